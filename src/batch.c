/*
 * batch.c: the batches of a run: aggregate -> format -> load, one batch of
 * subjects at a time, partition by partition.
 *
 * Entry point: batch_run_all (after job.c has read the source and plan.c has
 * planned the subjects); batch_begin_write and batch_commit_write for job.c's
 * finish.  One batch (run_batch): aggregate.c turns the rows of its subjects
 * into cells, metrics.c formats each subject's rows (in parallel) and the
 * goals' values, and load.c sends the rows; on one connection the server
 * writes a batch while the next one is computed (waited for when that one is
 * ready), with several loaders (backfill) pipeline.c takes it.
 *
 * Invariant: a backfill commits each batch together with its position in
 * the ledger (record_progress, or pipeline.c's loaders in order), so what is
 * committed is always a prefix of the subjects; nightly and goals leave
 * everything in one open transaction for job.c's finish.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "calendar.h"
#include "cancel.h"
#include "db.h"
#include "run.h"

int
batch_begin_write(struct run *run, struct etl_error *err)
{
    if (db_exec(run->conn, "starting the write transaction", "BEGIN", err) < 0)
        return -1;
    run->in_write_txn = true;
    return load_prepare(run->conn, &run->direct_copy, err);
}

int
batch_commit_write(struct run *run, struct etl_error *err)
{
    run->in_write_txn = false;
    return db_exec(run->conn, "committing", "COMMIT", err);
}

/* The values of the goals of this shard's subjects [first, first + count),
 * from their cells, as "id\tvalue" lines for load_apply_goals; a goal
 * skipped (SPEC.md section 7) is a warning. */
static void
add_goal_values(struct run *run, int32_t first, int32_t count, const struct cells *cells)
{
    char id[37];

    for (int32_t k = 0; k < run->src.n_goals; k++) {
        const struct goal *g = &run->src.goals[run->plan.goals_by_subject[k]];
        int32_t s = scope_goal_subject(&run->src, g);
        struct goal_result result;

        if (s < first || s >= first + count || !run->plan.in_shard[s])
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
        const struct bucket_plan *p;
        struct strbuf *list = &keys[s->kind == SUBJECT_WORKSPACE];

        if (run->plan.plan_of[i] < 0)
            continue;
        p = &run->plan.plans[run->plan.plan_of[i]];
        if (p->buckets[0].start < lo)
            lo = p->buckets[0].start;
        for (int k = 0; k < p->n; k++)
            if (p->buckets[k].start > hi)
                hi = p->buckets[k].start;
        uuid_format(scope_subject_uuid(&run->src, s), id);
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
        int32_t p = run->plan.plan_of[first + i];
        size_t n = 0;

        seq[i] = run->next_seq;
        if (p >= 0)
            n = metrics_count_rows(&run->scope.subjects[first + i], &cells[i],
                                   run->plan.plans[p].buckets, run->plan.plans[p].n, batch->by_kind);
        run->next_seq += n;
        batch->rows += n;
    }
#pragma omp parallel for schedule(dynamic, 8) reduction(+:failed)
    for (int32_t i = 0; i < count; i++) {
        int32_t p = run->plan.plan_of[first + i];

        strbuf_init(&bufs[i]);
        if (p < 0)
            continue;
        metrics_format_rows(&run->src, &run->scope.subjects[first + i], &cells[i],
                            run->plan.plans[p].buckets, run->plan.plans[p].n, &run->ids, seq[i], &bufs[i]);
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
    double t0 = job_now();
    int rc = load_snapshots_wait(run->conn, &run->pending, &run->report->snapshots, err);

    run->report->seconds[PHASE_LOAD] += job_now() - t0;
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
    const struct agg_input in = {&run->src, &run->scope, &run->zones, run->plan.min_data_day};
    struct cells *cells = calloc((size_t) count + 1, sizeof *cells);
    struct pipeline_batch *pb = calloc(1, sizeof *pb);
    double t0 = job_now(), t1;
    int rc = -1;

    if (cells == NULL || pb == NULL) {
        etl_fail(err, "batch: out of memory");
        goto out_free;
    }
    if (agg_subjects(&in, first, count, run->plan.need_from + first, cells, err) < 0 ||
        prepare_batch(run, first, count, cells, pb, err) < 0)
        goto out_free;
    t1 = job_now();
    run->report->seconds[PHASE_AGGREGATE] += t1 - t0;
    if (run->pipe != NULL) {
        pb->pos = *pos;
        rc = pipeline_submit(run->pipe, pb, err);
        pb = NULL;      /* the pipeline took it */
        run->report->seconds[PHASE_LOAD] += job_now() - t1;
        goto out_free;
    }
    if (run->opts->command != JOB_GOALS &&
        (load_snapshots_wait(run->conn, &run->pending, &run->report->snapshots, err) < 0 ||
         load_snapshots_send(run->conn, &pb->batch, load_mode_of(run->opts), run->opts->dry_run,
                             &run->report->snapshots, &run->pending, err) < 0))
        goto out_free;
    run->report->seconds[PHASE_LOAD] += job_now() - t1;
    t1 = job_now();
    if (plan_runs_goals(run->opts))
        add_goal_values(run, first, count, cells);
    run->report->seconds[PHASE_GOALS] += job_now() - t1;
    rc = 0;

out_free:
    for (int32_t i = 0; cells != NULL && i < count; i++)
        cells_term(&cells[i]);
    free(cells);
    pipeline_batch_free(pb);
    return rc;
}

static int
record_progress(struct run *run, const struct ledger_position *pos, struct etl_error *err)
{
    struct job_state *st = run->state;
    struct ledger_counts counts;

    if (wait_load(run, err) < 0)
        return -1;
    counts = job_ledger_counts(st);
    if (ledger_progress(run->conn, st->run_id, pos, &counts, err) < 0 ||
        batch_commit_write(run, err) < 0)
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
    job_tell(run, JOB_EVENT_BATCH, pos->subjects_done, run->batches_total);
}

/* Brings partition p's source rows into memory (when the source is split). */
static int
enter_part(struct run *run, int p, struct etl_error *err)
{
    double t0 = job_now();
    int rc;

    if (run->plan.n_parts == 1)
        return 0;
    rc = extract_load_part(&run->router, p, &run->src, err) < 0 ||
         scope_resolve_repositories(&run->src, &run->scope, run->plan.part_start[p],
                                    run->plan.part_start[p + 1], err) < 0 ? -1 : 0;
    run->report->seconds[PHASE_EXTRACT] += job_now() - t0;
    return rc;
}

static int
run_part(struct run *run, int p, size_t budget, bool commit_each,
         struct ledger_position *position, struct etl_error *err)
{
    int32_t end = run->plan.part_start[p + 1];
    int32_t first = plan_part_first(&run->plan, p);

    while (first < end) {
        int32_t count = plan_batch_size(&run->plan, first, end, budget);
        struct ledger_position pos = *position;

        plan_advance(&run->plan, &pos, first, first + count - 1);
        if (cancel_check(err) < 0)
            return -1;
        if (run->pipe == NULL && !run->in_write_txn && batch_begin_write(run, err) < 0)
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
        job_tell(run, JOB_EVENT_BATCH, pos.subjects_done, run->batches_total);
    }
    return 0;
}

/*
 * The batches, partition by partition.  A backfill that commits batch by
 * batch loads them on several connections (--loaders, pipeline.c) while the
 * next batch is computed; then each batch gets a share of the memory budget.
 */
int
batch_run_all(struct run *run, struct etl_error *err)
{
    size_t budget = plan_batch_budget(run->opts);
    bool commit_each = run->opts->command == JOB_BACKFILL && !run->opts->dry_run;
    int loaders = run->opts->loaders > 0 ? run->opts->loaders : JOB_DEFAULT_LOADERS;
    struct ledger_position position = run->state->done;
    double t0;
    int rc = 0;

    if (commit_each && loaders > 1) {
        struct ledger_counts base = job_committed_counts(run->state);

        budget /= (size_t) loaders + 1;     /* the loaders' batches and the next one */
        run->pipe = pipeline_start(run->opts->dsn, loaders, run->state->run_id,
                                   load_mode_of(run->opts), &base, on_committed, run, err);
        if (run->pipe == NULL)
            return -1;
    }
    run->batches_total = run->report->batches;
    for (int p = 0; p < run->plan.n_parts; p++)
        run->batches_total += plan_part_batches(&run->plan, p, budget);
    job_tell(run, JOB_EVENT_EXTRACTED, position.subjects_done, run->batches_total);
    for (int p = 0; p < run->plan.n_parts && rc == 0; p++)
        if (plan_part_batches(&run->plan, p, budget) > 0 &&
            (enter_part(run, p, err) < 0 || run_part(run, p, budget, commit_each, &position, err) < 0))
            rc = -1;
    if (rc < 0)
        load_snapshots_abandon(run->conn, &run->pending);
    else if (wait_load(run, err) < 0)
        rc = -1;
    if (run->pipe != NULL) {
        struct etl_error pipe_err;

        t0 = job_now();
        if (pipeline_finish(run->pipe, &pipe_err) < 0 && rc == 0) {
            *err = pipe_err;
            rc = -1;
        }
        run->pipe = NULL;
        run->report->seconds[PHASE_LOAD] += job_now() - t0;
    }
    return rc;
}
