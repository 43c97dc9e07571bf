/*
 * job.c: a run: as-of, buckets to write, lock, run ledger, batches, commit.
 *
 * Entry point: job_run.  One attempt is: connect, check the schema, take the
 * advisory lock, record the run in the ledger (ledger.c), read everything in
 * one snapshot (extract.c), find each subject's cutoff day and buckets, then
 * per batch of subjects aggregate (aggregate.c), format (metrics.c) and load
 * (load.c).  An attempt that fails because the connection was lost or a
 * serialization race was lost is followed by another, after a backoff, up to
 * opts->retries times; anything else fails at once.
 *
 * Transactions: nightly and goals write in one transaction (snapshots, goals
 * and the ledger's "succeeded" together); backfill commits batch by batch,
 * each batch with its progress in the ledger, so a failure keeps exactly the
 * batches already committed and `--resume` (or the next attempt) continues
 * after the last subject they hold.  A dry run rolls back.
 */
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "calendar.h"
#include "cancel.h"
#include "db.h"
#include "extract.h"
#include "job.h"
#include "ledger.h"
#include "load.h"
#include "metrics.h"
#include "pipeline.h"
#include "migrate.h"
#include "scope.h"
#include "tz.h"

#define DEFAULT_BATCH_BYTES ((size_t) JOB_DEFAULT_BATCH_MB << 20)
/* The source rows held at once get this fraction of the batch memory: with
 * a fixed share (not "whatever fits") the peak stays the same as users grow. */
#define SOURCE_SHARE 4
#define ROW_BYTES_ESTIMATE 700
#define LOCK_POLL_MS 250
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000

const char *const job_phase_names[N_PHASES] = {"extract", "aggregate", "load", "goals"};

/*
 * The run lock: session advisory locks on (7236, 1), "devpulse", "runs".  An
 * unsharded run holds it exclusively; a shard holds it shared, plus
 * (7237, shards << 16 | shard) exclusively, so shards run side by side but
 * never beside an unsharded run or a second copy of themselves.
 */

/* What survives from one attempt to the next. */
struct job_state {
    struct job_options opts;    /* the caller's, with --resume's range filled in */
    struct job_report *report;
    char shard[24];             /* "K/N" */
    int attempt;                /* 1-based */
    int64_t run_id;
    int64_t as_of;
    struct ledger_position done;    /* backfill: subjects committed so far */
    struct load_counts committed;   /* backfill: counts of the committed batches */
    int batches_committed;
    double started;
    bool connected;             /* the last attempt got a connection */
    bool ever_connected;        /* some attempt did */
    char session[64];           /* "pid backend_start" of the session that held the lock */
    int64_t blocked_by;         /* refused by the lock: the holder's run, by the ledger */
    bool ledger_closed;
    bool finished_nothing;      /* --resume: nothing left to do */
};

struct plan {
    int32_t lo, hi;
    struct bucket *buckets;
    int n;
};

struct run {
    const struct job_options *opts;
    struct job_state *state;
    struct job_report *report;
    PGconn *conn;               /* lock, ledger, writes */
    PGconn *reader;             /* reads the source: conn, or --source-dsn's */
    struct source src;
    struct scope scope;
    struct tz_table zones;
    int32_t min_data_day, max_data_day;
    int64_t *need_from;         /* per subject */
    int32_t *plan_of;           /* per subject: index into plans, -1 none */
    bool *in_shard;             /* per subject: this run's (all when unsharded) */
    struct plan *plans;
    int n_plans;
    int32_t *goals_by_subject;  /* goal numbers sorted by subject */
    int32_t first_subject;      /* backfill going on: the first subject not yet done */
    int n_parts;                /* partitions of the source (1: held whole) */
    int32_t *part_start;        /* partition p: subjects [part_start[p], part_start[p + 1]) */
    struct spill_router router;
    struct pipeline *pipe;      /* backfill with several loaders, while batches run */
    int batches_total;
    struct row_ids ids;
    uint64_t next_seq;
    struct strbuf goal_lines;
    bool in_write_txn;
    bool direct_copy;           /* kept rows may be COPYed into the table */
    struct load_pending pending;    /* one connection: the batch the server is writing */
};

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
plan_for(struct run *run, int32_t lo, int32_t hi)
{
    struct plan *grown;

    for (int i = 0; i < run->n_plans; i++)
        if (run->plans[i].lo == lo && run->plans[i].hi == hi)
            return i;
    grown = realloc(run->plans, sizeof *grown * ((size_t) run->n_plans + 1));
    if (grown == NULL)
        return -1;
    run->plans = grown;
    grown[run->n_plans].lo = lo;
    grown[run->n_plans].hi = hi;
    grown[run->n_plans].n = metrics_plan_buckets(lo, hi, &grown[run->n_plans].buckets);
    if (grown[run->n_plans].n < 0)
        return -1;
    return run->n_plans++;
}

/* SPEC.md section 6: the days whose buckets a subject gets in this run. */
static void
bucket_days(const struct job_options *opts, int32_t cutoff, int32_t *lo, int32_t *hi)
{
    switch (opts->command) {
    case JOB_NIGHTLY:
        *lo = cutoff - opts->lookback + 1;
        *hi = cutoff;
        break;
    case JOB_BACKFILL:
        *lo = opts->from;
        *hi = opts->to < cutoff ? opts->to : cutoff;
        break;
    case JOB_GOALS:
    default:
        *lo = 1;
        *hi = 0;
        break;
    }
}

static int
compare_goal_subjects(const void *a, const void *b, void *arg)
{
    const struct source *src = arg;
    int32_t x = scope_goal_subject(src, &src->goals[*(const int32_t *) a]);
    int32_t y = scope_goal_subject(src, &src->goals[*(const int32_t *) b]);

    if (x != y)
        return x < y ? -1 : 1;
    return (*(const int32_t *) a > *(const int32_t *) b) - (*(const int32_t *) a < *(const int32_t *) b);
}

static bool
runs_goals(const struct job_options *opts)
{
    return opts->command == JOB_NIGHTLY || opts->command == JOB_GOALS;
}

static const struct uuid *
subject_uuid(const struct source *src, const struct subject *s)
{
    return s->kind == SUBJECT_PERSONAL ? &src->profiles[s->entity].id
                                       : &src->workspaces[s->entity].id;
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

bool
job_subject_in_shard(const struct uuid *id, int k, int n)
{
    uint64_t h = UINT64_C(14695981039346656037);    /* FNV-1a, 64 bits */

    if (n <= 1)
        return true;
    for (int i = 0; i < 16; i++) {
        h ^= id->b[i];
        h *= UINT64_C(1099511628211);
    }
    return h % (uint64_t) n == (uint64_t) (k - 1);
}

/*
 * Which subjects this run takes: its shard's, and for a backfill that goes
 * on from a committed position, only those after it.  When sharded, only the
 * connections of the shard's subjects are read.
 */
static int
select_subjects(struct run *run, struct etl_error *err)
{
    const struct ledger_position *done = &run->state->done;
    int32_t n = run->scope.n_subjects;
    bool sharded = run->opts->shards > 1;

    run->in_shard = calloc((size_t) n + 1, sizeof *run->in_shard);
    if (run->in_shard == NULL)
        return etl_fail(err, "planning: out of memory");
    for (int32_t i = 0; i < n; i++) {
        const struct subject *s = &run->scope.subjects[i];

        if (!sharded || job_subject_in_shard(subject_uuid(&run->src, s), run->opts->shard,
                                             run->opts->shards)) {
            run->in_shard[i] = true;
            run->report->subjects_in_shard++;
        }
    }
    run->first_subject = 0;
    if (done->has_last) {
        int32_t lo = done->last_is_workspace ? run->src.n_profiles : 0;
        int32_t hi = done->last_is_workspace ? n : run->src.n_profiles;

        /* Subjects are sorted by kind, then id: skip every one up to the last done. */
        run->first_subject = hi;
        for (int32_t i = lo; i < hi; i++)
            if (uuid_compare(subject_uuid(&run->src, &run->scope.subjects[i]), &done->last_id) > 0) {
                run->first_subject = i;
                break;
            }
    }
    for (int32_t i = 0; i < run->first_subject; i++)
        if (run->in_shard[i])
            run->report->subjects_skipped++;
    /* Read only the connections of the subjects this run takes. */
    memset(run->scope.wanted, 0, sizeof *run->scope.wanted * (size_t) run->src.n_connections);
    for (int32_t i = run->first_subject; i < n; i++) {
        const struct subject *s = &run->scope.subjects[i];

        for (int32_t k = 0; run->in_shard[i] && k < s->n_conns; k++)
            run->scope.wanted[s->conns[k]] = true;
        for (int32_t k = 0; run->in_shard[i] && k < s->n_repo_monitors; k++)
            run->scope.wanted[run->src.monitors[s->repo_monitors[k]].connection] = true;
    }
    return 0;
}

static bool
takes_subject(const struct run *run, int32_t i)
{
    return run->in_shard[i] && i >= run->first_subject;
}

static size_t
subject_weight(const struct subject *s)
{
    return (size_t) s->n_conns + (size_t) s->n_repo_monitors;
}

static int
compare_pairs(const void *a, const void *b)
{
    const int32_t *x = a, *y = b;

    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The (connection, partition) pairs of the partitions' subjects, unique. */
static int
route_connections(struct run *run, struct etl_error *err)
{
    size_t n = 0, cap = 0, u = 0;
    int32_t *pairs = NULL, *conns, *parts;
    int rc;

    for (int p = 0; p < run->n_parts; p++)
        for (int32_t i = run->part_start[p]; i < run->part_start[p + 1]; i++) {
            const struct subject *s = &run->scope.subjects[i];

            if (!takes_subject(run, i))
                continue;
            for (int32_t k = 0; k < s->n_conns + s->n_repo_monitors; k++) {
                if (n == cap) {
                    int32_t *grown = realloc(pairs, sizeof *pairs * 2 * (cap = cap ? 2 * cap : 1024));

                    if (grown == NULL) {
                        free(pairs);
                        return etl_fail(err, "planning partitions: out of memory");
                    }
                    pairs = grown;
                }
                pairs[2 * n] = k < s->n_conns ? s->conns[k]
                             : run->src.monitors[s->repo_monitors[k - s->n_conns]].connection;
                pairs[2 * n + 1] = p;
                n++;
            }
        }
    if (n > 0)
        qsort(pairs, n, 2 * sizeof *pairs, compare_pairs);
    conns = malloc(sizeof *conns * (n + 1));
    parts = malloc(sizeof *parts * (n + 1));
    if (conns == NULL || parts == NULL) {
        free(pairs);
        free(conns);
        free(parts);
        return etl_fail(err, "planning partitions: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (u == 0 || conns[u - 1] != pairs[2 * i] || parts[u - 1] != pairs[2 * i + 1]) {
            conns[u] = pairs[2 * i];
            parts[u++] = pairs[2 * i + 1];
        }
    rc = spill_router_init(&run->router, run->n_parts, run->src.n_connections, conns, parts,
                           u, err);
    free(pairs);
    free(conns);
    free(parts);
    return rc;
}

/* One spill file is open per partition: stay well inside the open-file limit. */
static int
max_spill_files(void)
{
    struct rlimit lim;
    rlim_t n = 4096;

    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur / 2 < n)
        n = lim.rlim_cur / 2;
    return n > 1 ? (int) n : 1;
}

/* --batch-memory in bytes, or its default. */
static size_t
batch_budget(const struct job_options *opts)
{
    return opts->batch_bytes ? opts->batch_bytes : DEFAULT_BATCH_BYTES;
}

/*
 * Bounded memory: when the source rows the run needs would take more than
 * their share of the batch budget, the subjects are split into partitions
 * by weight (connections covered) and the source is spilled to disk by
 * partition (extract.h), so that only one partition's rows are in memory.
 * Every partition but the last is filled up to the share: the partition
 * held is then the same size whatever the number of users, where partitions
 * of equal weight would be anywhere between half the share and all of it.
 */
static int
plan_partitions(struct run *run, struct etl_error *err)
{
    size_t budget = batch_budget(run->opts) / SOURCE_SHARE;
    size_t estimate, total = 0, acc = 0, fill;
    int32_t n = run->scope.n_subjects;
    int parts, p = 1;

    if (extract_estimate_bytes(run->reader, &estimate, err) < 0)
        return -1;
    for (int32_t i = 0; i < n; i++)
        if (takes_subject(run, i))
            total += subject_weight(&run->scope.subjects[i]);
    /* The run needs its subjects' share of the source, at most all of it. */
    if (run->src.n_connections > 0 && total < (size_t) run->src.n_connections)
        estimate = estimate / (size_t) run->src.n_connections * total;
    parts = total == 0 || estimate <= budget ? 1 : (int) ((estimate + budget - 1) / budget);
    if (parts > max_spill_files())
        parts = max_spill_files();      /* larger partitions, but it runs */
    /* The weight that fills a partition; enough for all in `parts` of them. */
    fill = parts == 1 ? total : (size_t) ((double) total * (double) budget / (double) estimate);
    if (fill < (total + (size_t) parts - 1) / (size_t) parts)
        fill = (total + (size_t) parts - 1) / (size_t) parts;
    run->part_start = malloc(sizeof *run->part_start * ((size_t) parts + 1));
    if (run->part_start == NULL)
        return etl_fail(err, "planning partitions: out of memory");
    run->part_start[0] = 0;
    for (int32_t i = 0; i < n && p < parts; i++) {
        if (takes_subject(run, i))
            acc += subject_weight(&run->scope.subjects[i]);
        if (acc >= fill * (size_t) p)
            run->part_start[p++] = i + 1;
    }
    while (p <= parts)
        run->part_start[p++] = n;
    run->n_parts = parts;
    return parts > 1 ? route_connections(run, err) : 0;
}

/* Cutoffs, bucket plans and the earliest day each subject needs. */
static int
plan_subjects(struct run *run, struct etl_error *err)
{
    int32_t n = run->scope.n_subjects;

    run->need_from = malloc(sizeof *run->need_from * ((size_t) n + 1));
    run->plan_of = malloc(sizeof *run->plan_of * ((size_t) n + 1));
    run->goals_by_subject = malloc(sizeof(int32_t) * ((size_t) run->src.n_goals + 1));
    if (run->need_from == NULL || run->plan_of == NULL || run->goals_by_subject == NULL)
        return etl_fail(err, "planning: out of memory");
    for (int32_t i = 0; i < n; i++) {
        struct subject *s = &run->scope.subjects[i];
        int32_t lo, hi;

        s->cutoff = tz_local_day(&run->zones.zones[s->zone], run->report->as_of) - 1;
        bucket_days(run->opts, s->cutoff, &lo, &hi);
        run->need_from[i] = INT64_MAX;
        run->plan_of[i] = -1;
        if (lo <= hi && run->in_shard[i] && i >= run->first_subject) {
            if ((run->plan_of[i] = plan_for(run, lo, hi)) < 0)
                return etl_fail(err, "planning: out of memory");
            run->need_from[i] = (int64_t) run->plans[run->plan_of[i]].buckets[0].start - 1;
        }
    }
    for (int32_t g = 0; g < run->src.n_goals; g++)
        run->goals_by_subject[g] = g;
    qsort_r(run->goals_by_subject, (size_t) run->src.n_goals, sizeof(int32_t),
            compare_goal_subjects, &run->src);
    for (int32_t g = 0; runs_goals(run->opts) && g < run->src.n_goals; g++) {
        const struct goal *goal = &run->src.goals[g];
        int32_t s = scope_goal_subject(&run->src, goal);
        int64_t need = metrics_goal_need_from(goal, run->scope.subjects[s].cutoff);

        if (run->in_shard[s] && need < run->need_from[s])
            run->need_from[s] = need;
    }
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

static int
extract_all(struct run *run, struct etl_error *err)
{
    char snapshot[64];
    int workers = run->opts->workers > 0 ? run->opts->workers : omp_get_num_procs();
    const char *source_dsn = run->opts->source_dsn ? run->opts->source_dsn : run->opts->dsn;

    /* A read replica, when given, serves every read of the source. */
    run->reader = run->conn;
    if (run->opts->source_dsn != NULL && ((run->reader = db_connect(source_dsn, err)) == NULL ||
                                          db_require_session(run->reader, source_dsn, err) < 0)) {
        char detail[sizeof err->text];

        snprintf(detail, sizeof detail, "%s", err->text);
        db_close(run->reader);
        run->reader = run->conn;
        return etl_fail(err, "source database (--source-dsn): %s", detail);
    }
    if (extract_begin(run->reader, &run->src, snapshot, err) < 0)
        return -1;
    if (scope_build(&run->src, &run->scope, &run->report->warnings, err) < 0 ||
        select_subjects(run, err) < 0 || plan_partitions(run, err) < 0) {
        db_rollback_quietly(run->reader);
        return -1;
    }
    run->report->subjects = run->scope.n_subjects;
    if (extract_bulk(run->reader, source_dsn, snapshot, workers, run->scope.wanted,
                     run->n_parts > 1 ? &run->router : NULL, &run->src,
                     &run->report->extract, err) < 0)
        return -1;
    if (run->n_parts == 1 &&
        scope_resolve_repositories(&run->src, &run->scope, 0, run->scope.n_subjects, err) < 0)
        return -1;
    run->min_data_day = source_min_day(&run->src);
    run->max_data_day = source_max_day(&run->src);
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
    struct etl_error was = *err;

    if (run->opts->source_dsn == NULL || !etl_error_recovery_conflict(err))
        return;
    etl_fail(err, "the replica (--source-dsn) cancelled the read to replay the primary's changes,"
             " a recovery conflict; on the replica, set hot_standby_feedback = on, or raise"
             " max_standby_streaming_delay to more than a run's read takes: %s", was.text);
    memcpy(err->sqlstate, was.sqlstate, sizeof err->sqlstate);
    err->connection_lost = was.connection_lost;
}

/* Bytes a subject's batch share takes: its cells (at most, aggregate.c's
 * window: from the first day asked for or of any data, to the last day of
 * any data or the cutoff) and its formatted rows. */
static size_t
subject_bytes(const struct run *run, int32_t i)
{
    const struct subject *s = &run->scope.subjects[i];
    int64_t from = run->need_from[i], days;
    int32_t end = s->cutoff < run->max_data_day ? s->cutoff : run->max_data_day;
    size_t rows = 0;

    if (from == INT64_MAX)
        return 64;
    if (from + 1 < run->min_data_day)
        from = (int64_t) run->min_data_day - 1;
    days = (int64_t) end - from + 1;
    if (days < 1)
        days = 1;
    if (run->plan_of[i] >= 0)
        rows = metrics_max_rows(s, run->plans[run->plan_of[i]].n);
    return (size_t) days * N_SERIES * sizeof(int64_t) + rows * ROW_BYTES_ESTIMATE;
}

static int
begin_write(struct run *run, struct etl_error *err)
{
    if (db_exec(run->conn, "starting the write transaction", "BEGIN", err) < 0)
        return -1;
    run->in_write_txn = true;
    return load_prepare(run->conn, &run->direct_copy, err);
}

static int
commit_write(struct run *run, struct etl_error *err)
{
    run->in_write_txn = false;
    return db_exec(run->conn, "committing", "COMMIT", err);
}

static void
add_goal_values(struct run *run, int32_t first, int32_t count, const struct cells *cells)
{
    char id[37];

    for (int32_t k = 0; k < run->src.n_goals; k++) {
        const struct goal *g = &run->src.goals[run->goals_by_subject[k]];
        int32_t s = scope_goal_subject(&run->src, g);
        struct goal_result result;

        if (s < first || s >= first + count || !run->in_shard[s])
            continue;
        metrics_goal_value(&run->src, &run->scope.subjects[s], &cells[s - first], g, &result);
        uuid_format(&g->id, id);
        run->report->goals_total++;
        if (result.outcome == GOAL_SKIPPED) {
            run->report->goals_skipped++;
            warnings_add(&run->report->warnings, result.reason, id);
            continue;
        }
        strbuf_puts(&run->goal_lines, id);
        strbuf_putc(&run->goal_lines, '\t');
        strbuf_puts(&run->goal_lines, result.value);
        strbuf_putc(&run->goal_lines, '\n');
    }
}

/*
 * What the loader needs to know of a batch besides its rows: how many of each
 * kind, the subjects' ids as array literals and the range of bucket starts.
 */
static int
describe_batch(struct run *run, int32_t first, int32_t count, struct strbuf keys[2],
               char dates[2][16], struct load_batch *b)
{
    int32_t lo = DAY_POS_INF, hi = DAY_NEG_INF;
    char id[37];

    strbuf_puts(&keys[0], "{");
    strbuf_puts(&keys[1], "{");
    for (int32_t i = first; i < first + count; i++) {
        const struct subject *s = &run->scope.subjects[i];
        const struct plan *p;
        struct strbuf *list = &keys[s->kind == SUBJECT_WORKSPACE];

        if (run->plan_of[i] < 0)
            continue;
        p = &run->plans[run->plan_of[i]];
        if (p->buckets[0].start < lo)
            lo = p->buckets[0].start;
        for (int k = 0; k < p->n; k++)
            if (p->buckets[k].start > hi)
                hi = p->buckets[k].start;
        uuid_format(subject_uuid(&run->src, s), id);
        if (list->len > 1)
            strbuf_putc(list, ',');
        strbuf_puts(list, id);
    }
    strbuf_puts(&keys[0], "}");
    strbuf_puts(&keys[1], "}");
    if (keys[0].failed || keys[1].failed)
        return -1;
    cal_format_date(lo <= hi ? lo : 0, dates[0]);
    cal_format_date(lo <= hi ? hi : 0, dates[1]);
    b->personal_ids = keys[0].data;
    b->workspace_ids = keys[1].data;
    b->first_date = dates[0];
    b->last_date = dates[1];
    return 0;
}

/* Formats the batch's rows, one buffer per subject, in parallel. */
static int
format_batch(struct run *run, int32_t first, int32_t count, const struct cells *cells,
             struct strbuf *bufs, struct load_batch *batch)
{
    uint64_t *seq = malloc(sizeof *seq * ((size_t) count + 1));
    int failed = 0;

    if (seq == NULL)
        return -1;
    for (int32_t i = 0; i < count; i++) {
        int32_t p = run->plan_of[first + i];
        size_t n = 0;

        seq[i] = run->next_seq;
        if (p >= 0)
            n = metrics_count_rows(&run->scope.subjects[first + i], &cells[i],
                                   run->plans[p].buckets, run->plans[p].n, batch->by_kind);
        run->next_seq += n;
        batch->rows += n;
    }
#pragma omp parallel for schedule(dynamic, 8) reduction(+:failed)
    for (int32_t i = 0; i < count; i++) {
        int32_t p = run->plan_of[first + i];

        strbuf_init(&bufs[i]);
        if (p < 0)
            continue;
        metrics_format_rows(&run->src, &run->scope.subjects[first + i], &cells[i],
                            run->plans[p].buckets, run->plans[p].n, &run->ids, seq[i], &bufs[i]);
        failed += bufs[i].failed;
    }
    free(seq);
    return failed ? -1 : 0;
}

static enum load_mode
load_mode_of(const struct job_options *opts)
{
    return opts->command == JOB_BACKFILL && !opts->overwrite ? LOAD_KEEP : LOAD_REPLACE;
}

/* Waits for the batch the server is still writing, if there is one. */
static int
wait_load(struct run *run, struct etl_error *err)
{
    double t0 = now_seconds();
    int rc = load_snapshots_wait(run->conn, &run->pending, &run->report->snapshots, err);

    run->report->seconds[PHASE_LOAD] += now_seconds() - t0;
    return rc;
}

/* The batch's rows, formatted and described for the loader, into pb. */
static int
prepare_batch(struct run *run, int32_t first, int32_t count, const struct cells *cells,
              struct pipeline_batch *pb, struct etl_error *err)
{
    pb->bufs = calloc((size_t) count + 1, sizeof *pb->bufs);
    pb->views = calloc((size_t) count + 1, sizeof *pb->views);
    pb->n_bufs = (size_t) count;
    strbuf_init(&pb->keys[0]);
    strbuf_init(&pb->keys[1]);
    if (pb->bufs == NULL || pb->views == NULL ||
        format_batch(run, first, count, cells, pb->bufs, &pb->batch) < 0 ||
        describe_batch(run, first, count, pb->keys, pb->dates, &pb->batch) < 0)
        return etl_fail(err, "formatting rows: out of memory");
    for (int32_t i = 0; i < count; i++)
        pb->views[i] = &pb->bufs[i];
    pb->batch.bufs = pb->views;
    pb->batch.n_bufs = (size_t) count;
    pb->batch.direct_copy = run->direct_copy;
    return 0;
}

/*
 * One batch: aggregate, format, then load it here, or hand it to the
 * pipeline (backfill with several loaders); goals from the same cells.
 * Loaded here, a batch is still being written by the server while the
 * next one is computed; it is waited for when the next one is ready.
 */
static int
run_batch(struct run *run, int32_t first, int32_t count, const struct ledger_position *pos,
          struct etl_error *err)
{
    const struct agg_input in = {&run->src, &run->scope, &run->zones, run->min_data_day};
    struct cells *cells = calloc((size_t) count + 1, sizeof *cells);
    struct pipeline_batch *pb = calloc(1, sizeof *pb);
    double t0 = now_seconds(), t1;
    int rc = -1;

    if (cells == NULL || pb == NULL) {
        etl_fail(err, "batch: out of memory");
        goto out_free;
    }
    if (agg_subjects(&in, first, count, run->need_from + first, cells, err) < 0 ||
        prepare_batch(run, first, count, cells, pb, err) < 0)
        goto out_free;
    t1 = now_seconds();
    run->report->seconds[PHASE_AGGREGATE] += t1 - t0;
    if (run->pipe != NULL) {
        pb->pos = *pos;
        rc = pipeline_submit(run->pipe, pb, err);
        pb = NULL;      /* the pipeline took it */
        run->report->seconds[PHASE_LOAD] += now_seconds() - t1;
        goto out_free;
    }
    if (run->opts->command != JOB_GOALS &&
        (load_snapshots_wait(run->conn, &run->pending, &run->report->snapshots, err) < 0 ||
         load_snapshots_send(run->conn, &pb->batch, load_mode_of(run->opts), run->opts->dry_run,
                             &run->report->snapshots, &run->pending, err) < 0))
        goto out_free;
    run->report->seconds[PHASE_LOAD] += now_seconds() - t1;
    t1 = now_seconds();
    if (runs_goals(run->opts))
        add_goal_values(run, first, count, cells);
    run->report->seconds[PHASE_GOALS] += now_seconds() - t1;
    rc = 0;

out_free:
    for (int32_t i = 0; cells != NULL && i < count; i++)
        cells_term(&cells[i]);
    free(cells);
    pipeline_batch_free(pb);
    return rc;
}

static struct ledger_counts
ledger_counts_of(const struct job_state *st)
{
    const struct job_report *r = st->report;
    struct ledger_counts c;

    memset(&c, 0, sizeof c);
    for (int t = 0; t < 5; t++)
        c.rows_read += (int64_t) r->extract.rows_read[t];
    if (!st->opts.dry_run)
        c.rows_written = (int64_t) (r->snapshots.inserted + r->snapshots.replaced);
    c.goals_updated = (int64_t) r->goals_updated;
    c.warnings = (int64_t) warnings_count(&r->warnings);
    c.attempts = st->attempt;
    return c;
}

static void
report_progress(struct run *run, enum job_event event, int32_t subjects_done, int batches_total)
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
    p.elapsed = now_seconds() - run->state->started;
    run->opts->progress(&p, run->opts->progress_arg);
}

static int
check_cancel(struct etl_error *err)
{
    int sig = cancel_requested();

    if (sig == 0)
        return 0;
    etl_fail(err, "cancelled by %s", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal");
    return -1;
}

/* The subjects of the batch that starts at first (and ends by end), within
 * the memory budget. */
static int32_t
batch_size(const struct run *run, int32_t first, int32_t end, size_t budget)
{
    int32_t count = 0;
    size_t bytes = 0;

    while (first + count < end &&
           (count == 0 || bytes + subject_bytes(run, first + count) <= budget))
        bytes += subject_bytes(run, first + count++);
    return count;
}

/* The position once the batch ending with subject last is committed. */
static void
advance_position(const struct run *run, struct ledger_position *pos, int32_t first, int32_t last)
{
    for (int32_t i = first; i <= last; i++)
        pos->subjects_done += run->in_shard[i];
    pos->has_last = true;
    pos->last_is_workspace = run->scope.subjects[last].kind == SUBJECT_WORKSPACE;
    pos->last_id = *subject_uuid(&run->src, &run->scope.subjects[last]);
}

/* Backfill on one connection: the batch's position, committed with it. */
static int
record_progress(struct run *run, const struct ledger_position *pos, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_counts counts;

    if (wait_load(run, err) < 0)
        return -1;
    counts = ledger_counts_of(st);
    if (ledger_progress(run->conn, st->run_id, pos, &counts, err) < 0 ||
        commit_write(run, err) < 0)
        return -1;
    st->done = *pos;
    st->committed = run->report->snapshots;
    st->batches_committed = run->report->batches;
    return 0;
}

/* Backfill with several loaders: a batch is committed (pipeline's lock held). */
static void
on_committed(const struct load_counts *c, const struct ledger_position *pos, void *arg)
{
    struct run *run = arg;
    struct job_state *st = run->state;

    load_counts_add(&st->committed, c);
    st->done = *pos;
    st->batches_committed++;
    run->report->snapshots = st->committed;
    run->report->batches = st->batches_committed;
    report_progress(run, JOB_EVENT_BATCH, pos->subjects_done, run->batches_total);
}

/* The batches of partition p's subjects that this run still has to do. */
static int
part_batches(const struct run *run, int p, size_t budget)
{
    int32_t first = run->part_start[p] > run->first_subject ? run->part_start[p] : run->first_subject;
    int n = 0;

    for (int32_t f = first; f < run->part_start[p + 1]; f += batch_size(run, f, run->part_start[p + 1], budget))
        n++;
    return n;
}

/* Brings partition p's source rows into memory (when the source is split). */
static int
enter_part(struct run *run, int p, struct etl_error *err)
{
    double t0 = now_seconds();
    int rc;

    if (run->n_parts == 1)
        return 0;
    rc = extract_load_part(&run->router, p, &run->src, err) < 0 ||
         scope_resolve_repositories(&run->src, &run->scope, run->part_start[p],
                                    run->part_start[p + 1], err) < 0 ? -1 : 0;
    run->report->seconds[PHASE_EXTRACT] += now_seconds() - t0;
    return rc;
}

static int
run_part(struct run *run, int p, size_t budget, bool commit_each,
         struct ledger_position *position, struct etl_error *err)
{
    int32_t end = run->part_start[p + 1];
    int32_t first = run->part_start[p] > run->first_subject ? run->part_start[p] : run->first_subject;

    while (first < end) {
        int32_t count = batch_size(run, first, end, budget);
        struct ledger_position pos = *position;

        advance_position(run, &pos, first, first + count - 1);
        if (check_cancel(err) < 0)
            return -1;
        if (run->pipe == NULL && !run->in_write_txn && begin_write(run, err) < 0)
            return -1;
        if (run_batch(run, first, count, &pos, err) < 0)
            return -1;
        *position = pos;
        first += count;
        if (run->pipe != NULL)
            continue;       /* counted and reported as the loaders commit */
        run->report->batches++;
        if (commit_each && record_progress(run, &pos, err) < 0)
            return -1;
        report_progress(run, JOB_EVENT_BATCH, pos.subjects_done, run->batches_total);
    }
    return 0;
}

/*
 * The batches, partition by partition.  A backfill that commits batch by
 * batch loads them on several connections (--loaders, pipeline.c) while the
 * next batch is computed; then each batch gets a share of the memory budget.
 */
static int
run_batches(struct run *run, struct etl_error *err)
{
    size_t budget = batch_budget(run->opts);
    bool commit_each = run->opts->command == JOB_BACKFILL && !run->opts->dry_run;
    int loaders = run->opts->loaders > 0 ? run->opts->loaders : JOB_DEFAULT_LOADERS;
    struct ledger_position position = run->state->done;
    double t0;
    int rc = 0;

    if (commit_each && loaders > 1) {
        struct ledger_counts base = ledger_counts_of(run->state);

        budget /= (size_t) loaders + 1;     /* the loaders' batches and the next one */
        base.rows_written = (int64_t) (run->state->committed.inserted +
                                       run->state->committed.replaced);
        run->pipe = pipeline_start(run->opts->dsn, loaders, run->state->run_id,
                                   load_mode_of(run->opts), &base, on_committed, run, err);
        if (run->pipe == NULL)
            return -1;
    }
    run->batches_total = run->report->batches;
    for (int p = 0; p < run->n_parts; p++)
        run->batches_total += part_batches(run, p, budget);
    report_progress(run, JOB_EVENT_EXTRACTED, position.subjects_done, run->batches_total);
    for (int p = 0; p < run->n_parts && rc == 0; p++)
        if (part_batches(run, p, budget) > 0 &&
            (enter_part(run, p, err) < 0 || run_part(run, p, budget, commit_each, &position, err) < 0))
            rc = -1;
    if (rc < 0)
        load_snapshots_abandon(run->conn, &run->pending);
    else if (wait_load(run, err) < 0)
        rc = -1;
    if (run->pipe != NULL) {
        struct etl_error pipe_err;

        t0 = now_seconds();
        if (pipeline_finish(run->pipe, &pipe_err) < 0 && rc == 0) {
            *err = pipe_err;
            rc = -1;
        }
        run->pipe = NULL;
        run->report->seconds[PHASE_LOAD] += now_seconds() - t0;
    }
    return rc;
}

static int
finish(struct run *run, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_counts counts;
    char as_of[40];
    double t0 = now_seconds();

    if (check_cancel(err) < 0 || (!run->in_write_txn && begin_write(run, err) < 0))
        return -1;
    if (runs_goals(run->opts)) {
        if (run->goal_lines.failed)
            return etl_fail(err, "goals: out of memory");
        cal_format_timestamp(run->report->as_of, as_of);
        if (load_apply_goals(run->conn, &run->goal_lines, as_of,
                             &run->report->goals_updated, err) < 0)
            return -1;
    }
    run->report->seconds[PHASE_GOALS] += now_seconds() - t0;
    if (run->opts->dry_run) {
        run->in_write_txn = false;
        if (db_exec(run->conn, "rolling back the dry run", "ROLLBACK", err) < 0)
            return -1;
    }
    /* The outcome commits with the last of the work it describes. */
    counts = ledger_counts_of(st);
    if (ledger_close(run->conn, st->run_id, "succeeded", NULL, &counts, err) < 0 ||
        check_cancel(err) < 0)
        return -1;
    if (run->in_write_txn && commit_write(run, err) < 0)
        return -1;
    st->ledger_closed = true;
    return 0;
}

/* Who holds the lock, from the ledger, for the message: the latest run
 * still marked running among those that can hold it. */
static void
describe_holder(struct run *run, char *buf, size_t size)
{
    const char *params[1] = {run->state->shard};
    PGresult *res = PQexecParams(run->conn,
                                 "SELECT id, command, shard, started_at::text,"
                                 " coalesce(client_host, '?'), coalesce(client_pid::text, '?')"
                                 " FROM devpulse_etl.runs WHERE status = 'running'"
                                 "   AND ($1 = '1/1' OR shard IN ($1, '1/1'))"
                                 " ORDER BY id DESC LIMIT 1", 1, NULL, params, NULL, NULL, 0);

    buf[0] = '\0';
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        run->state->blocked_by = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(buf, size, " (by the ledger, run %s, %s%s%s, started %s on %s, pid %s)",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                 strcmp(PQgetvalue(res, 0, 2), "1/1") != 0 ? " shard " : "",
                 strcmp(PQgetvalue(res, 0, 2), "1/1") != 0 ? PQgetvalue(res, 0, 2) : "",
                 PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
    }
    PQclear(res);
}

/* Runs a query that answers one boolean: 1 true, 0 false, -1 error. */
static int
query_bool(PGconn *conn, const char *what, const char *sql, int nparams,
           const char *const *params, struct etl_error *err)
{
    PGresult *res = db_query(conn, what, sql, nparams, params, PGRES_TUPLES_OK, err);
    int v;

    if (res == NULL)
        return -1;
    v = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return v;
}

/*
 * One try at the locks of this run: 1 held, 0 busy (err says why), -1 error.
 * A shard holds (7236, 1) shared, (7238, N) shared, and its own
 * (7237, N << 16 | K) exclusively, and refuses to run beside shards of
 * another N, whose subjects overlap its own.
 */
static int
try_lock(struct run *run, struct etl_error *err)
{
    char n_text[16], key_text[16];
    const char *params[1];
    int got;

    if (run->opts->shards <= 1) {
        got = query_bool(run->conn, "taking the run lock", "SELECT pg_try_advisory_lock(7236, 1)",
                         0, NULL, err);
        if (got == 0)
            etl_fail(err, "another devpulse-etl run holds the lock on this database");
        return got;
    }
    snprintf(n_text, sizeof n_text, "%d", run->opts->shards);
    snprintf(key_text, sizeof key_text, "%d", run->opts->shards << 16 | run->opts->shard);
    if ((got = query_bool(run->conn, "taking the run lock",
                          "SELECT pg_try_advisory_lock_shared(7236, 1)", 0, NULL, err)) <= 0) {
        if (got == 0)
            etl_fail(err, "another devpulse-etl run holds the lock on this database");
        return got;
    }
    params[0] = n_text;
    got = query_bool(run->conn, "taking the run lock",
                     "SELECT pg_try_advisory_lock_shared(7238, $1::int) AND NOT EXISTS ("
                     "  SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                     "    AND database = (SELECT oid FROM pg_database"
                     "                    WHERE datname = current_database())"
                     "    AND classid = 7238 AND objid <> $1::int)", 1, params, err);
    if (got == 0)
        etl_fail(err, "shards of another count run on this database: every shard of a run"
                 " must use the same N");
    if (got == 1) {
        params[0] = key_text;
        got = query_bool(run->conn, "taking the run lock",
                         "SELECT pg_try_advisory_lock(7237, $1::int)", 1, params, err);
        if (got == 0)
            etl_fail(err, "another devpulse-etl run holds the lock of shard %d/%d on this database",
                     run->opts->shard, run->opts->shards);
    }
    if (got != 1)
        PQclear(PQexec(run->conn, "SELECT pg_advisory_unlock_all()"));
    return got;
}

static int
take_lock(struct run *run, struct etl_error *err)
{
    double deadline = now_seconds() + run->opts->wait_seconds;
    bool told = false;
    char holder[256];
    int got;

    while ((got = try_lock(run, err)) == 0) {
        if (now_seconds() >= deadline) {
            char why[sizeof err->text];

            snprintf(why, sizeof why, "%s", err->text);
            describe_holder(run, holder, sizeof holder);
            etl_fail(err, "%s%s; try again later, or wait for it with --wait SECONDS", why, holder);
            return JOB_BUSY;
        }
        if (!told)
            report_progress(run, JOB_EVENT_WAITING, 0, 0);
        told = true;
        cancel_sleep_ms(LOCK_POLL_MS);
        if (check_cancel(err) < 0)
            return -1;
    }
    return got < 0 ? -1 : 0;
}

/* Which session holds the lock for this run: its pid and start, which
 * together name one backend for good (a pid alone may be reused). */
static int
remember_session(struct run *run, struct etl_error *err)
{
    PGresult *res = db_query(run->conn, "reading the session's identity",
                             "SELECT pg_backend_pid() || ' ' || backend_start::text"
                             " FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                             0, NULL, PGRES_TUPLES_OK, err);

    if (res == NULL)
        return -1;
    snprintf(run->state->session, sizeof run->state->session, "%s",
             PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}

/*
 * A retry after the network failed: the server may not have noticed yet that
 * the previous attempt's session is gone, and that session still holds the
 * lock.  End it (it is this run's own), and wait until it has let go.
 */
static int
end_lost_session(struct run *run, struct etl_error *err)
{
    const char *params[1] = {run->state->session};
    int rc = 0;

    if (run->state->session[0] == '\0')
        return 0;
    for (int i = 0; i < 50 && rc == 0; i++) {
        /* Find it first, then end it by pid: a volatile function in a WHERE
         * clause may be called for rows the rest of the clause rejects. */
        PGresult *res = db_query(run->conn, "looking for the lost session",
                                 "SELECT pid::text FROM pg_stat_activity"
                                 " WHERE pid || ' ' || backend_start::text = $1",
                                 1, params, PGRES_TUPLES_OK, err);
        const char *pid[1];

        if (res == NULL)
            return -1;
        if (PQntuples(res) == 0) {
            PQclear(res);
            break;          /* gone */
        }
        pid[0] = PQgetvalue(res, 0, 0);
        if (query_bool(run->conn, "ending the lost session", "SELECT pg_terminate_backend($1::int)",
                       1, pid, err) < 0)
            rc = -1;
        PQclear(res);
        cancel_sleep_ms(100);
    }
    run->state->session[0] = '\0';
    return rc;
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
    if (PQstatus(run->conn) == CONNECTION_OK)
        PQclear(PQexec(run->conn, "SELECT pg_advisory_unlock_all()"));
    for (int i = 0; i < run->n_plans; i++)
        free(run->plans[i].buckets);
    free(run->plans);
    free(run->need_from);
    free(run->plan_of);
    free(run->in_shard);
    free(run->part_start);
    spill_router_term(&run->router);
    free(run->goals_by_subject);
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
    strbuf_init(&run.goal_lines);
    run_ids_init(&run.ids);
    reset_report(st);
    st->connected = false;
    if ((run.conn = db_connect(st->opts.dsn, err)) == NULL)
        return -1;
    st->connected = st->ever_connected = true;
    /* Before anything is locked or written: a transaction-mode pooler is refused. */
    if ((rc = db_require_session(run.conn, st->opts.dsn, err)) < 0 ||
        (rc = migrate_check_current(run.conn, err)) < 0 || (rc = end_lost_session(&run, err)) < 0 ||
        (rc = take_lock(&run, err)) < 0 || (rc = remember_session(&run, err)) < 0 ||
        (rc = open_ledger(&run, err)) < 0)
        goto out;
    if (st->finished_nothing)
        goto out;
    st->report->run_id = st->run_id;
    st->report->as_of = st->as_of;
    report_progress(&run, JOB_EVENT_STARTED, st->done.subjects_done, 0);
    t0 = now_seconds();
    if ((rc = extract_all(&run, err)) < 0) {
        explain_recovery_conflict(&run, err);
        goto out;
    }
    st->report->seconds[PHASE_EXTRACT] += now_seconds() - t0;
    if ((rc = check_cancel(err)) < 0 || (rc = plan_subjects(&run, err)) < 0 ||
        (rc = record_plan(&run, err)) < 0 ||
        (rc = run_batches(&run, err)) < 0 || (rc = finish(&run, err)) < 0)
        goto out;
    rc = 0;

out:
    if (rc == -1 && cancel_requested() != 0)
        check_cancel(err);      /* a statement cancelled by the signal says why */
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
    struct ledger_counts counts = ledger_counts_of(st);
    struct ledger_entry e;
    PGconn *conn;

    if (st->ledger_closed || (st->run_id == 0 && !st->ever_connected))
        return;
    /* The report counts only what is committed: backfill's finished batches. */
    counts.rows_written = (int64_t) (st->committed.inserted + st->committed.replaced);
    counts.goals_updated = 0;
    if ((conn = db_connect(st->opts.dsn, &ignored)) == NULL)
        return;     /* the next run marks it failed */
    if (st->run_id > 0 && ledger_close(conn, st->run_id, status, error, &counts, &ignored) == 0)
        st->ledger_closed = true;
    if (st->run_id == 0) {
        ledger_entry_of(st, &e);
        e.resume = st->opts.resume;
        if (ledger_record_unlocked(conn, &e, status, error, now_seconds() - st->started,
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
    /* A first connection that fails is a wrong DSN or a server that is down:
     * say so now.  After a loss, not getting back in is part of the loss. */
    if (!st->connected)
        return st->ever_connected;
    return etl_error_retryable(err);
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
    st.started = now_seconds();
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
            p.elapsed = now_seconds() - st.started;
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
        check_cancel(err);
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
