/*
 * job.c: the life of a run of nightly, backfill or goals: its attempts and
 * their retries, its lock and its row in the run ledger, the read, and the
 * end (goals, the outcome, the commit).
 *
 * Entry point: job_run.  One attempt (attempt()) is: connect; refuse a
 * transaction-mode pooler; check the schema; end the session a lost attempt
 * left behind and take the run's advisory locks (runlock.c: one run at a
 * time per database, or per shard); open or reattach its ledger row
 * (ledger.c); read everything in one snapshot (extract_all: the small
 * tables, then plan.c picks the subjects and the partitions, then the
 * platform tables and the zones); plan each subject's cutoff and buckets
 * (plan.c); run the batches (batch.c); finish.  An attempt that fails
 * because a connection was lost or a serialization race was lost is
 * followed by another, after a backoff, up to opts->retries times; anything
 * else fails at once, and the ledger row says how it ended.
 *
 * Transactions: nightly and goals write in one transaction (snapshots, goals
 * and the ledger's "succeeded" together); backfill commits batch by batch,
 * each batch with its progress in the ledger, so a failure keeps exactly the
 * batches already committed and `--resume` (or the next attempt) continues
 * after the last subject they hold.  A dry run rolls back.
 *
 * run.h holds the state these files share: struct job_state lives across
 * attempts, struct run for one.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "cancel.h"
#include "db.h"
#include "migrate.h"
#include "run.h"

#define LOCK_POLL_MS 250        /* --wait: how often to try the lock again */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000

const char *const job_phase_names[N_PHASES] = {"extract", "aggregate", "load", "goals"};

double
job_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The earliest as-of instant, 0001-01-03 00:00 UTC: the local date there is
 * 0001-01-02 or later in every zone (tzdata's offsets, local mean times
 * included, are under 16 hours), so every cutoff day is 0001-01-01 or later. */
#define AS_OF_MIN (INT64_C(-730117) * USECS_PER_DAY)

int
job_check_as_of(int64_t as_of, int lookback, struct etl_error *err)
{
    if (as_of < AS_OF_MIN)
        return etl_fail(err, "--as-of is too early: a subject's cutoff day would be before"
                        " 0001-01-01; the earliest is 0001-01-03 00:00 UTC");
    /* A nightly's first day is then at least 0001-01-01 too, which is a
     * Monday and a 1st: its week and month start no earlier. */
    if (lookback > 1 && as_of < AS_OF_MIN + (int64_t) (lookback - 1) * USECS_PER_DAY)
        return etl_fail(err, "--lookback %d reaches before 0001-01-01 from this --as-of; the"
                        " earliest --as-of for it is %d day(s) after 0001-01-03 00:00 UTC",
                        lookback, lookback - 1);
    return 0;
}

static int
load_zones(struct run *run, struct etl_error *err)
{
    /* The server that named the valid zones gives their offsets, for the
     * instants of the rows and the as-of instant (not the days between). */
    return tz_load(run->reader, run->scope.zone_names, run->scope.n_zones, run->src.min_instant,
                   run->src.max_instant, run->report->as_of, &run->zones, err);
}

/*
 * Which subjects the run takes, and whether their source rows fit in memory
 * at once: when not, in how many partitions they are read back from spill
 * files (plan.c decides, spill.c holds them).
 */
static int
plan_reads(struct run *run, struct etl_error *err)
{
    int32_t *conns, *parts;
    size_t estimate, n;
    int rc;

    if (plan_select(&run->plan, &run->state->done, err) < 0)
        return -1;
    run->report->subjects_in_shard = run->plan.subjects_in_shard;
    run->report->subjects_skipped = run->plan.subjects_skipped;
    if (extract_estimate_bytes(run->reader, &estimate, err) < 0 ||
        plan_partitions(&run->plan, estimate, spill_max_parts(), err) < 0)
        return -1;
    if (run->plan.n_parts == 1)
        return 0;
    if (plan_spill_pairs(&run->plan, &conns, &parts, &n, err) < 0)
        return -1;
    rc = spill_router_init(&run->router, run->plan.n_parts, run->src.n_connections, conns, parts,
                           n, err);
    free(conns);
    free(parts);
    return rc;
}

/* The first attempt did not reach the server (a wrong DSN, or a server
 * that is down); every later attempt follows one that did. */
static bool
never_connected(const struct job_state *st)
{
    return st->attempt == 1 && !st->connected;
}

/* Reads everything in one snapshot: the small tables, the plan of what to
 * read, the platform tables (extract.c), the zones' offsets. */
static int
extract_all(struct run *run, struct etl_error *err)
{
    char snapshot[64];
    int workers = run->opts->workers > 0 ? run->opts->workers : omp_get_num_procs();
    const char *source_dsn = run->opts->source_dsn ? run->opts->source_dsn : run->opts->dsn;

    /* A read replica, when given, serves every read of the source. */
    run->reader = run->conn;
    if (run->opts->source_dsn != NULL) {
        run->reader = db_connect(source_dsn, err);
        if (run->reader == NULL || db_require_session(run->reader, source_dsn, err) < 0) {
            db_close(run->reader);
            run->reader = run->conn;
            return etl_error_prefix(err, "source database (--source-dsn)");
        }
    }
    if (extract_begin(run->reader, &run->src, snapshot, err) < 0)
        return -1;
    if (scope_build(&run->src, &run->scope, &run->report->warnings, err) < 0 ||
        plan_reads(run, err) < 0) {
        db_rollback_quietly(run->reader);
        return -1;
    }
    run->report->subjects = run->scope.n_subjects;
    if (extract_bulk(run->reader, source_dsn, snapshot, workers, run->scope.wanted,
                     run->plan.n_parts > 1 ? &run->router : NULL, &run->src,
                     &run->report->extract, err) < 0)
        return -1;
    if (run->plan.n_parts == 1 &&
        scope_resolve_repositories(&run->src, &run->scope, 0, run->scope.n_subjects, err) < 0)
        return -1;
    run->plan.min_data_day = source_min_day(&run->src);
    run->plan.max_data_day = source_max_day(&run->src);
    if (load_zones(run, err) < 0)
        return -1;
    if (run->reader != run->conn)
        db_close(run->reader);
    run->reader = run->conn;
    return 0;
}

/* A read replica that cancels the read says why, and what prevents it;
 * the error stays what it was for the retry (40001 or a lost session). */
static void
explain_recovery_conflict(const struct run *run, struct etl_error *err)
{
    if (run->opts->source_dsn == NULL || !etl_error_recovery_conflict(err))
        return;
    etl_error_prefix(err, "the replica (--source-dsn) cancelled the read to replay the primary's"
                     " changes, a recovery conflict; on the replica, set hot_standby_feedback ="
                     " on, or raise max_standby_streaming_delay to more than a run's read takes");
}

struct ledger_counts
job_ledger_counts(const struct job_state *st)
{
    const struct job_report *r = st->report;
    struct ledger_counts c;

    memset(&c, 0, sizeof c);
    for (int t = 0; t < BULK_N_TABLES; t++)
        c.rows_read += (int64_t) r->extract.rows_read[t];
    if (!st->opts.dry_run)
        c.rows_written = (int64_t) (r->snapshots.inserted + r->snapshots.replaced);
    c.goals_updated = (int64_t) r->goals_updated;
    c.warnings = (int64_t) warnings_count(&r->warnings);
    c.attempts = st->attempt;
    return c;
}

struct ledger_counts
job_committed_counts(const struct job_state *st)
{
    struct ledger_counts c = job_ledger_counts(st);

    c.rows_written = (int64_t) (st->committed.inserted + st->committed.replaced);
    c.goals_updated = 0;
    return c;
}

void
job_tell(struct run *run, enum job_event event, int32_t subjects_done, int batches_total)
{
    struct job_progress p;

    if (run->opts->progress == NULL)
        return;
    memset(&p, 0, sizeof p);
    p.event = event;
    p.run_id = run->state->run_id;
    p.resumes = run->report->resumed;
    p.batches_done = run->report->batches;
    p.batches_total = batches_total;
    p.subjects_done = subjects_done;
    p.subjects_total = run->report->subjects_in_shard;
    p.rows_staged = run->report->snapshots.staged;
    p.elapsed = job_now() - run->state->started;
    run->opts->progress(&p, run->opts->progress_arg);
}

/* The end of a successful attempt: the goals' new values, the dry run's
 * rollback, and the ledger's "succeeded", committed with the last of the
 * work it describes. */
static int
finish(struct run *run, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_counts counts;
    char as_of[40];
    double t0 = job_now();

    if (cancel_check(err) < 0 || (!run->in_write_txn && batch_begin_write(run, err) < 0))
        return -1;
    if (plan_runs_goals(run->opts)) {
        if (run->goal_lines.failed)
            return etl_fail(err, "goals: out of memory");
        cal_format_timestamp(run->report->as_of, as_of);
        if (load_apply_goals(run->conn, &run->goal_lines, as_of,
                             &run->report->goals_updated, err) < 0)
            return -1;
    }
    run->report->seconds[PHASE_GOALS] += job_now() - t0;
    if (run->opts->dry_run) {
        run->in_write_txn = false;
        if (db_exec(run->conn, "rolling back the dry run", "ROLLBACK", err) < 0)
            return -1;
    }
    /* The outcome commits with the last of the work it describes. */
    counts = job_ledger_counts(st);
    if (ledger_close(run->conn, st->run_id, "succeeded", NULL, &counts, err) < 0 ||
        cancel_check(err) < 0)
        return -1;
    if (run->in_write_txn && batch_commit_write(run, err) < 0)
        return -1;
    st->ledger_closed = true;
    return 0;
}

/* The run's locks (runlock.h), waiting up to --wait for them.  When they are
 * still busy: JOB_BUSY, and err says who holds them by the ledger. */
static int
take_lock(struct run *run, struct etl_error *err)
{
    double deadline = job_now() + run->opts->wait_seconds;
    bool told = false;
    char holder[256];
    int got;

    while ((got = runlock_try(run->conn, run->opts->shard, run->opts->shards, err)) == 0) {
        if (job_now() >= deadline) {
            ledger_describe_holder(run->conn, run->state->shard, &run->state->blocked_by, holder,
                                   sizeof holder);
            etl_error_suffix(err, "%s; try again later, or wait for it with --wait SECONDS", holder);
            return JOB_BUSY;
        }
        if (!told)
            job_tell(run, JOB_EVENT_WAITING, 0, 0);
        told = true;
        cancel_sleep_ms(LOCK_POLL_MS);
        if (cancel_check(err) < 0)
            return -1;
    }
    return got < 0 ? -1 : 0;
}

/* Ids of this run's rows: its start millisecond and a tag that tells two
 * runs of the same millisecond apart. */
static void
run_ids_init(struct row_ids *ids)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ids->unix_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    ids->tag = (uint32_t) ts.tv_nsec ^ ((uint32_t) getpid() << 16);
}

/* --resume: fills the range, as-of and position of the backfill to continue. */
static int
find_resume(struct run *run, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_resumable r;

    if (ledger_find_resumable(run->conn, st->shard, st->opts.has_range, st->opts.from,
                              st->opts.to, st->opts.overwrite, &r, err) < 0)
        return -1;
    if (r.run_id == 0) {
        /* Nothing unfinished; with a range never backfilled, a fresh backfill. */
        st->finished_nothing = !st->opts.has_range || strcmp(r.status, "succeeded") == 0;
        return 0;
    }
    st->opts.has_range = true;
    st->opts.from = r.from;
    st->opts.to = r.to;
    st->opts.overwrite = r.overwrite;
    st->opts.has_as_of = true;
    st->opts.as_of = r.as_of;
    st->done = r.position;
    st->report->resumed = r.run_id;
    return 0;
}

/* What the ledger row says about the run, from its options. */
static void
ledger_entry_of(const struct job_state *st, struct ledger_entry *e)
{
    static const char *const names[] = {"nightly", "backfill", "goals"};

    memset(e, 0, sizeof *e);
    e->command = names[st->opts.command];
    e->shard = st->shard;
    e->has_as_of = st->opts.has_as_of;
    e->as_of = st->opts.as_of;
    e->lookback = st->opts.command == JOB_NIGHTLY ? st->opts.lookback : 0;
    e->has_range = st->opts.command == JOB_BACKFILL && st->opts.has_range;
    e->from = st->opts.from;
    e->to = st->opts.to;
    e->overwrite = st->opts.overwrite;
    e->dry_run = st->opts.dry_run;
    e->resumes = st->report->resumed;
    e->start = st->done;
    e->version = st->opts.version;
}

/* The ledger row: a new one on the first attempt, the same one after. */
static int
open_ledger(struct run *run, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_entry e;

    if (ledger_recover(run->conn, st->shard, st->run_id, run->opts->keep_days > 0 ?
                       run->opts->keep_days : JOB_DEFAULT_KEEP_DAYS, err) < 0)
        return -1;
    if (st->run_id > 0)
        return ledger_reattach(run->conn, st->run_id, st->attempt, err);
    if (st->opts.resume && find_resume(run, err) < 0)
        return -1;
    if (st->finished_nothing)
        return 0;
    ledger_entry_of(st, &e);
    return ledger_open(run->conn, &e, &st->run_id, &st->as_of, err);
}

/* The number of subjects to do, committed at once so that `status` sees it
 * while the run works.  The reads have ended their transaction here; were
 * one still open, the count would wait rather than end it. */
static int
record_plan(struct run *run, struct etl_error *err)
{
    if (PQtransactionStatus(run->conn) != PQTRANS_IDLE)
        return 0;
    return ledger_plan(run->conn, run->state->run_id, run->report->subjects_in_shard, err);
}

static void
run_term(struct run *run)
{
    /* A batch still being written, after a failure elsewhere. */
    load_snapshots_abandon(run->conn, &run->pending);
    if (run->in_write_txn && PQstatus(run->conn) == CONNECTION_OK)
        db_rollback_quietly(run->conn);
    /* The server drops a session's locks when its backend exits, which may
     * be a moment after we disconnect; a run started right after this one
     * must not find the lock still held. */
    runlock_release(run->conn);
    plan_term(&run->plan);
    spill_router_term(&run->router);
    strbuf_term(&run->goal_lines);
    tz_table_term(&run->zones);
    scope_term(&run->scope);
    source_term(&run->src);
    if (run->reader != run->conn)
        db_close(run->reader);
    db_close(run->conn);
}

/* What an attempt starts from: the work committed by the attempts before. */
static void
reset_report(struct job_state *st)
{
    struct job_report *r = st->report;

    warnings_term(&r->warnings);
    memset(&r->extract, 0, sizeof r->extract);
    r->subjects = r->subjects_in_shard = r->subjects_skipped = 0;
    r->snapshots = st->committed;
    r->batches = st->batches_committed;
    r->goals_total = r->goals_updated = r->goals_skipped = 0;
    r->attempts = st->attempt;
}

static int
attempt(struct job_state *st, struct etl_error *err)
{
    struct run run;
    double t0;
    int rc;

    memset(&run, 0, sizeof run);
    run.opts = &st->opts;
    run.state = st;
    run.report = st->report;
    plan_init(&run.plan, &st->opts, &run.src, &run.scope);
    strbuf_init(&run.goal_lines);
    run_ids_init(&run.ids);
    reset_report(st);
    st->connected = false;
    if ((run.conn = db_connect(st->opts.dsn, err)) == NULL)
        return -1;
    st->connected = true;
    /* Before anything is locked or written: a transaction-mode pooler is refused. */
    if ((rc = db_require_session(run.conn, st->opts.dsn, err)) < 0 ||
        (rc = migrate_check_current(run.conn, err)) < 0 ||
        (rc = runlock_end_lost_session(run.conn, st->session, err)) < 0 ||
        (rc = take_lock(&run, err)) < 0 || (rc = runlock_session(run.conn, st->session, err)) < 0 ||
        (rc = open_ledger(&run, err)) < 0)
        goto out;
    if (st->finished_nothing)
        goto out;
    st->report->run_id = st->run_id;
    st->report->as_of = st->as_of;
    job_tell(&run, JOB_EVENT_STARTED, st->done.subjects_done, 0);
    t0 = job_now();
    if ((rc = extract_all(&run, err)) < 0) {
        explain_recovery_conflict(&run, err);
        goto out;
    }
    st->report->seconds[PHASE_EXTRACT] += job_now() - t0;
    if ((rc = cancel_check(err)) < 0 ||
        (rc = plan_subjects(&run.plan, &run.zones, st->report->as_of, err)) < 0 ||
        (rc = record_plan(&run, err)) < 0 ||
        (rc = batch_run_all(&run, err)) < 0 || (rc = finish(&run, err)) < 0)
        goto out;
    rc = 0;

out:
    if (rc == -1 && cancel_requested() != 0)
        cancel_check(err);      /* a statement cancelled by the signal says why */
    run_term(&run);
    return rc;
}

/*
 * Records a run's failure, cancellation or refusal by the lock, on a fresh
 * connection.  A run that never opened its row gets one already ended, as
 * far as a connection allows: none when the server was never reached, nor
 * when the schema or the role's rights are what failed.
 */
static void
close_ledger_failed(struct job_state *st, const char *status, const char *error)
{
    struct etl_error ignored;
    struct ledger_counts counts = job_committed_counts(st);
    struct ledger_entry e;
    PGconn *conn;

    if (st->ledger_closed || (st->run_id == 0 && never_connected(st)))
        return;
    if ((conn = db_connect(st->opts.dsn, &ignored)) == NULL)
        return;     /* the next run marks it failed */
    if (st->run_id > 0 && ledger_close(conn, st->run_id, status, error, &counts, &ignored) == 0)
        st->ledger_closed = true;
    if (st->run_id == 0) {
        ledger_entry_of(st, &e);
        e.resume = st->opts.resume;
        if (ledger_record_unlocked(conn, &e, status, error, job_now() - st->started,
                                   st->blocked_by, &st->report->run_id, &ignored) == 0)
            st->ledger_closed = true;
    }
    db_close(conn);
}

static long
backoff_ms(int attempt)
{
    long ms = BACKOFF_FIRST_MS;

    for (int i = 1; i < attempt && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static bool
worth_retrying(const struct job_state *st, int rc, const struct etl_error *err)
{
    if (rc != -1 || cancel_requested() != 0 || st->attempt > st->opts.retries)
        return false;
    /* A connection that cannot be made on the first attempt is a wrong DSN
     * or a server that is down: say so now.  A later attempt follows a loss
     * or a cancelled read, and not getting back in (the database, the
     * source, a worker's or a loader's connection) is part of it. */
    if (err->not_connected)
        return st->attempt > 1;
    return !never_connected(st) && etl_error_retryable(err);
}

int
job_run(const struct job_options *opts, struct job_report *report, struct etl_error *err)
{
    struct job_state st;
    struct rusage usage;
    int rc;

    memset(&st, 0, sizeof st);
    memset(report, 0, sizeof *report);
    st.opts = *opts;
    st.report = report;
    st.started = job_now();
    snprintf(st.shard, sizeof st.shard, "%d/%d", opts->shards > 1 ? opts->shard : 1,
             opts->shards > 1 ? opts->shards : 1);
    memcpy(report->shard, st.shard, sizeof report->shard);
    for (st.attempt = 1;; st.attempt++) {
        struct job_progress p;

        rc = attempt(&st, err);
        if (!worth_retrying(&st, rc, err))
            break;
        if (opts->progress != NULL) {
            memset(&p, 0, sizeof p);
            p.event = JOB_EVENT_RETRY;
            p.run_id = st.run_id;
            p.attempt = st.attempt + 1;
            p.retry_in = (double) backoff_ms(st.attempt) / 1000;
            p.detail = err->text;
            p.elapsed = job_now() - st.started;
            opts->progress(&p, opts->progress_arg);
        }
        cancel_sleep_ms(backoff_ms(st.attempt));
        if (cancel_requested() != 0)
            break;      /* stopped while waiting to retry */
    }
    report->nothing_to_resume = st.finished_nothing;
    report->attempts = st.attempt;
    if (rc != 0 && cancel_requested() != 0) {
        report->signal = cancel_requested();
        cancel_check(err);
        rc = JOB_CANCELLED;
    }
    if (rc != 0)
        close_ledger_failed(&st, rc == JOB_CANCELLED ? "cancelled" : rc == JOB_BUSY &&
                            st.run_id == 0 ? "skipped" : "failed", err->text);
    if (rc != 0 && opts->command == JOB_BACKFILL) {
        report->snapshots = st.committed;
        report->batches = st.batches_committed;
    }
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        report->peak_rss_kb = usage.ru_maxrss;
    return rc;
}

void
job_report_term(struct job_report *report)
{
    warnings_term(&report->warnings);
}
