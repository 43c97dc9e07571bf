/*
 * job.c: a run: as-of, buckets to write, lock, batches, commit.
 *
 * Entry point: job_run.  The order is fixed: check the schema, take the
 * advisory lock, read everything in one snapshot (extract.c), find each
 * subject's cutoff day and buckets, then per batch of subjects aggregate
 * (aggregate.c), format (metrics.c) and load (load.c).
 *
 * Transactions: nightly and goals write in one transaction (snapshots and
 * goals together); backfill commits batch by batch, so a failure keeps the
 * batches already committed and loses nothing else; a dry run rolls back.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "calendar.h"
#include "db.h"
#include "extract.h"
#include "job.h"
#include "load.h"
#include "metrics.h"
#include "migrate.h"
#include "scope.h"
#include "tz.h"

#define DEFAULT_BATCH_BYTES ((size_t) 256 << 20)
#define ROW_BYTES_ESTIMATE 700
/* pg_try_advisory_lock(int4, int4): "devpulse", "one run at a time" */
#define LOCK_SQL "SELECT pg_try_advisory_lock(7236, 1)"

struct plan {
    int32_t lo, hi;
    struct bucket *buckets;
    int n;
};

struct run {
    const struct job_options *opts;
    struct job_report *report;
    PGconn *conn;
    struct source src;
    struct scope scope;
    struct tz_table zones;
    int32_t min_data_day;
    int64_t *need_from;         /* per subject */
    int32_t *plan_of;           /* per subject: index into plans, -1 none */
    struct plan *plans;
    int n_plans;
    int32_t *goals_by_subject;  /* goal numbers sorted by subject */
    struct row_ids ids;
    uint64_t next_seq;
    struct strbuf goal_lines;
    bool in_write_txn;
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
        if (lo <= hi) {
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

        if (need < run->need_from[s])
            run->need_from[s] = need;
    }
    return 0;
}

/* The earliest finite day of any row: nothing before it needs a cell. */
static int32_t
min_data_day(const struct source *src)
{
    int32_t min = src->min_instant == TS_POS_INF ? DAY_POS_INF
                                                 : cal_floor_day(src->min_instant) - 1;

    for (size_t i = 0; i < src->contributions.n; i++)
        if (src->contributions.rows[i].day != DAY_NEG_INF && src->contributions.rows[i].day < min)
            min = src->contributions.rows[i].day;
    for (size_t i = 0; i < src->channel_stats.n; i++)
        if (src->channel_stats.rows[i].day != DAY_NEG_INF && src->channel_stats.rows[i].day < min)
            min = src->channel_stats.rows[i].day;
    return min;
}

static int
load_zones(struct run *run, struct etl_error *err)
{
    int64_t as_of = run->report->as_of;
    int64_t lo = run->src.min_instant < as_of ? run->src.min_instant : as_of;

    /* Beyond as_of + 2 days every local date is past every cutoff, so the
     * offsets there need not be exact. */
    return tz_load(run->conn, run->scope.zone_names, run->scope.n_zones, lo,
                   as_of + 2 * USECS_PER_DAY, &run->zones, err);
}

static int
extract_all(struct run *run, struct etl_error *err)
{
    char snapshot[64];
    int workers = run->opts->workers > 0 ? run->opts->workers : omp_get_num_procs();

    if (extract_begin(run->conn, &run->src, snapshot, err) < 0)
        return -1;
    run->report->as_of = run->opts->has_as_of ? run->opts->as_of : run->src.server_now;
    if (scope_build(&run->src, &run->scope, &run->report->warnings, err) < 0) {
        PQclear(PQexec(run->conn, "ROLLBACK"));
        return -1;
    }
    run->report->subjects = run->scope.n_subjects;
    if (extract_bulk(run->conn, run->opts->dsn, snapshot, workers, run->scope.wanted,
                     &run->src, &run->report->extract, err) < 0)
        return -1;
    if (scope_resolve_repositories(&run->src, &run->scope, err) < 0)
        return -1;
    run->min_data_day = min_data_day(&run->src);
    return load_zones(run, err);
}

/* Bytes a subject's batch share takes: its cells and its formatted rows. */
static size_t
subject_bytes(const struct run *run, int32_t i)
{
    const struct subject *s = &run->scope.subjects[i];
    int64_t from = run->need_from[i], days;
    size_t rows = 0;

    if (from == INT64_MAX)
        return 64;
    if (from + 1 < run->min_data_day)
        from = (int64_t) run->min_data_day - 1;
    days = (int64_t) s->cutoff - from + 1;
    if (days < 1)
        days = 1;
    if (run->plan_of[i] >= 0)
        rows = (size_t) run->plans[run->plan_of[i]].n * (N_PLATFORMS + 1);
    return (size_t) days * N_SERIES * sizeof(int64_t) + rows * ROW_BYTES_ESTIMATE;
}

static int
begin_write(struct run *run, struct etl_error *err)
{
    if (db_exec(run->conn, "starting the write transaction", "BEGIN", err) < 0)
        return -1;
    run->in_write_txn = true;
    return load_prepare(run->conn, err);
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

        if (s < first || s >= first + count)
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

/* Formats the batch's rows, one buffer per subject, in parallel. */
static int
format_batch(struct run *run, int32_t first, int32_t count, const struct cells *cells,
             struct strbuf *bufs)
{
    uint64_t *seq = malloc(sizeof *seq * ((size_t) count + 1));
    int failed = 0;

    if (seq == NULL)
        return -1;
    for (int32_t i = 0; i < count; i++) {
        int32_t p = run->plan_of[first + i];

        seq[i] = run->next_seq;
        if (p >= 0)
            run->next_seq += metrics_count_rows(&run->scope.subjects[first + i], &cells[i],
                                                run->plans[p].buckets, run->plans[p].n);
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

static int
run_batch(struct run *run, int32_t first, int32_t count, struct etl_error *err)
{
    const struct agg_input in = {&run->src, &run->scope, &run->zones, run->min_data_day};
    struct cells *cells = calloc((size_t) count, sizeof *cells);
    struct strbuf *bufs = calloc((size_t) count, sizeof *bufs);
    const struct strbuf **views = calloc((size_t) count, sizeof *views);
    double t0 = now_seconds(), t1;
    int rc = -1;
    enum load_mode mode = (run->opts->command == JOB_BACKFILL && !run->opts->overwrite)
                              ? LOAD_KEEP : LOAD_REPLACE;

    if (cells == NULL || bufs == NULL || views == NULL) {
        etl_fail(err, "batch: out of memory");
        goto out_free;
    }
    if (agg_subjects(&in, first, count, run->need_from + first, cells, err) < 0)
        goto out_free;
    if (format_batch(run, first, count, cells, bufs) < 0) {
        etl_fail(err, "formatting rows: out of memory");
        goto out_free;
    }
    t1 = now_seconds();
    run->report->seconds[PHASE_AGGREGATE] += t1 - t0;
    for (int32_t i = 0; i < count; i++)
        views[i] = &bufs[i];
    if (run->opts->command != JOB_GOALS &&
        (load_stage_rows(run->conn, views, (size_t) count, err) < 0 ||
         load_apply_snapshots(run->conn, mode, run->opts->dry_run, &run->report->snapshots, err) < 0))
        goto out_free;
    run->report->seconds[PHASE_LOAD] += now_seconds() - t1;
    t1 = now_seconds();
    if (runs_goals(run->opts))
        add_goal_values(run, first, count, cells);
    run->report->seconds[PHASE_GOALS] += now_seconds() - t1;
    rc = 0;

out_free:
    for (int32_t i = 0; cells != NULL && i < count; i++) {
        cells_term(&cells[i]);
        strbuf_term(&bufs[i]);
    }
    free(cells);
    free(bufs);
    free(views);
    return rc;
}

static int
run_batches(struct run *run, struct etl_error *err)
{
    size_t budget = run->opts->batch_bytes ? run->opts->batch_bytes : DEFAULT_BATCH_BYTES;
    bool commit_each = run->opts->command == JOB_BACKFILL && !run->opts->dry_run;
    int32_t first = 0;

    while (first < run->scope.n_subjects) {
        int32_t count = 0;
        size_t bytes = 0;

        while (first + count < run->scope.n_subjects &&
               (count == 0 || bytes + subject_bytes(run, first + count) <= budget))
            bytes += subject_bytes(run, first + count++);
        if (!run->in_write_txn && begin_write(run, err) < 0)
            return -1;
        if (run_batch(run, first, count, err) < 0)
            return -1;
        run->report->batches++;
        if (commit_each && commit_write(run, err) < 0)
            return -1;
        first += count;
    }
    return 0;
}

static int
finish(struct run *run, struct etl_error *err)
{
    char as_of[40];
    double t0 = now_seconds();

    if (!run->in_write_txn && begin_write(run, err) < 0)
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
        return db_exec(run->conn, "rolling back the dry run", "ROLLBACK", err);
    }
    return commit_write(run, err);
}

static int
take_lock(PGconn *conn, struct etl_error *err)
{
    PGresult *res = db_query(conn, "taking the run lock", LOCK_SQL, 0, NULL, PGRES_TUPLES_OK, err);
    bool got;

    if (res == NULL)
        return -1;
    got = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!got) {
        etl_fail(err, "another devpulse-etl run holds the lock on this database; try again later");
        return JOB_BUSY;
    }
    return 0;
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

static void
run_term(struct run *run)
{
    if (run->in_write_txn)
        PQclear(PQexec(run->conn, "ROLLBACK"));
    for (int i = 0; i < run->n_plans; i++)
        free(run->plans[i].buckets);
    free(run->plans);
    free(run->need_from);
    free(run->plan_of);
    free(run->goals_by_subject);
    strbuf_term(&run->goal_lines);
    tz_table_term(&run->zones);
    scope_term(&run->scope);
    source_term(&run->src);
    PQfinish(run->conn);
}

int
job_run(const struct job_options *opts, struct job_report *report, struct etl_error *err)
{
    struct run run;
    struct rusage usage;
    double t0;
    int rc;

    memset(&run, 0, sizeof run);
    memset(report, 0, sizeof *report);
    run.opts = opts;
    run.report = report;
    strbuf_init(&run.goal_lines);
    run_ids_init(&run.ids);
    if ((run.conn = db_connect(opts->dsn, err)) == NULL)
        return -1;
    if ((rc = migrate_check_current(run.conn, err)) < 0 || (rc = take_lock(run.conn, err)) < 0)
        goto out;
    t0 = now_seconds();
    if ((rc = extract_all(&run, err)) < 0)
        goto out;
    report->seconds[PHASE_EXTRACT] = now_seconds() - t0;
    if ((rc = plan_subjects(&run, err)) < 0 || (rc = run_batches(&run, err)) < 0 ||
        (rc = finish(&run, err)) < 0)
        goto out;
    rc = 0;

out:
    run_term(&run);
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        report->peak_rss_kb = usage.ru_maxrss;
    return rc;
}

void
job_report_term(struct job_report *report)
{
    warnings_term(&report->warnings);
}
