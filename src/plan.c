/*
 * plan.c: what a run will do: its subjects, partitions, cutoffs, buckets and
 * batches.  See plan.h.
 *
 * Entry points, in the order of a run: plan_select, plan_partitions (and
 * plan_spill_pairs), plan_subjects, then plan_batch_size and plan_advance
 * batch by batch.  Nothing here reads a database or the clock.
 *
 * Invariant: a subject the run does not take (another shard's, or done
 * before a resume) has no bucket plan, no weight in a partition and no
 * connection in scope->wanted; only goals of taken subjects widen need_from.
 */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define DEFAULT_BATCH_BYTES ((size_t) JOB_DEFAULT_BATCH_MB << 20)

void
plan_init(struct plan *p, const struct job_options *opts, const struct source *src,
          struct scope *scope)
{
    memset(p, 0, sizeof *p);
    p->opts = opts;
    p->src = src;
    p->scope = scope;
}

void
plan_term(struct plan *p)
{
    for (int i = 0; i < p->n_plans; i++)
        free(p->plans[i].buckets);
    free(p->plans);
    free(p->need_from);
    free(p->plan_of);
    free(p->in_shard);
    free(p->part_start);
    free(p->goals_by_subject);
    memset(p, 0, sizeof *p);
}

bool
plan_subject_in_shard(const struct uuid *id, int k, int n)
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

void
plan_bucket_days(const struct job_options *opts, int32_t cutoff, int32_t *lo, int32_t *hi)
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

bool
plan_runs_goals(const struct job_options *opts)
{
    return opts->command == JOB_NIGHTLY || opts->command == JOB_GOALS;
}

size_t
plan_batch_budget(const struct job_options *opts)
{
    return opts->batch_bytes ? opts->batch_bytes : DEFAULT_BATCH_BYTES;
}

int
plan_select(struct plan *p, const struct ledger_position *done, struct etl_error *err)
{
    const struct source *src = p->src;
    struct scope *scope = p->scope;
    int32_t n = scope->n_subjects;
    bool sharded = p->opts->shards > 1;

    p->in_shard = calloc((size_t) n + 1, sizeof *p->in_shard);
    if (p->in_shard == NULL)
        return etl_fail(err, "planning: out of memory");
    for (int32_t i = 0; i < n; i++) {
        const struct subject *s = &scope->subjects[i];

        if (!sharded || plan_subject_in_shard(scope_subject_uuid(src, s), p->opts->shard,
                                              p->opts->shards)) {
            p->in_shard[i] = true;
            p->subjects_in_shard++;
        }
    }
    p->first_subject = 0;
    if (done->has_last) {
        int32_t lo = done->last_is_workspace ? src->n_profiles : 0;
        int32_t hi = done->last_is_workspace ? n : src->n_profiles;

        /* Subjects are sorted by kind, then id: skip every one up to the last done. */
        p->first_subject = hi;
        for (int32_t i = lo; i < hi; i++)
            if (uuid_compare(scope_subject_uuid(src, &scope->subjects[i]), &done->last_id) > 0) {
                p->first_subject = i;
                break;
            }
    }
    for (int32_t i = 0; i < p->first_subject; i++)
        if (p->in_shard[i])
            p->subjects_skipped++;
    /* Read only the connections of the subjects this run takes. */
    memset(scope->wanted, 0, sizeof *scope->wanted * (size_t) src->n_connections);
    for (int32_t i = p->first_subject; i < n; i++) {
        const struct subject *s = &scope->subjects[i];

        for (int32_t k = 0; p->in_shard[i] && k < s->n_conns; k++)
            scope->wanted[s->conns[k]] = true;
        for (int32_t k = 0; p->in_shard[i] && k < s->n_repo_monitors; k++)
            scope->wanted[src->monitors[s->repo_monitors[k]].connection] = true;
    }
    return 0;
}

bool
plan_takes_subject(const struct plan *p, int32_t i)
{
    return p->in_shard[i] && i >= p->first_subject;
}

static size_t
subject_weight(const struct subject *s)
{
    return (size_t) s->n_conns + (size_t) s->n_repo_monitors;
}

int
plan_partitions(struct plan *p, size_t estimate, int max_parts, struct etl_error *err)
{
    size_t budget = plan_batch_budget(p->opts) / PLAN_SOURCE_SHARE;
    size_t total = 0, acc = 0, fill;
    int32_t n = p->scope->n_subjects;
    int parts, k = 1;

    for (int32_t i = 0; i < n; i++)
        if (plan_takes_subject(p, i))
            total += subject_weight(&p->scope->subjects[i]);
    /* The run needs its subjects' share of the source, at most all of it. */
    if (p->src->n_connections > 0 && total < (size_t) p->src->n_connections)
        estimate = estimate / (size_t) p->src->n_connections * total;
    parts = total == 0 || estimate <= budget ? 1 : (int) ((estimate + budget - 1) / budget);
    if (parts > max_parts)
        parts = max_parts;      /* larger partitions, but it runs */
    /* The weight that fills a partition; enough for all in `parts` of them. */
    fill = parts == 1 ? total : (size_t) ((double) total * (double) budget / (double) estimate);
    if (fill < (total + (size_t) parts - 1) / (size_t) parts)
        fill = (total + (size_t) parts - 1) / (size_t) parts;
    p->part_start = malloc(sizeof *p->part_start * ((size_t) parts + 1));
    if (p->part_start == NULL)
        return etl_fail(err, "planning partitions: out of memory");
    p->part_start[0] = 0;
    for (int32_t i = 0; i < n && k < parts; i++) {
        if (plan_takes_subject(p, i))
            acc += subject_weight(&p->scope->subjects[i]);
        if (acc >= fill * (size_t) k)
            p->part_start[k++] = i + 1;
    }
    while (k <= parts)
        p->part_start[k++] = n;
    p->n_parts = parts;
    return 0;
}

static int
compare_pairs(const void *a, const void *b)
{
    const int32_t *x = a, *y = b;

    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

int
plan_spill_pairs(const struct plan *p, int32_t **conns_out, int32_t **parts_out, size_t *n_out,
                 struct etl_error *err)
{
    size_t n = 0, cap = 0, u = 0;
    int32_t *pairs = NULL, *conns, *parts;

    for (int k = 0; k < p->n_parts; k++)
        for (int32_t i = p->part_start[k]; i < p->part_start[k + 1]; i++) {
            const struct subject *s = &p->scope->subjects[i];

            if (!plan_takes_subject(p, i))
                continue;
            for (int32_t c = 0; c < s->n_conns + s->n_repo_monitors; c++) {
                if (n == cap) {
                    int32_t *grown = realloc(pairs, sizeof *pairs * 2 * (cap = cap ? 2 * cap : 1024));

                    if (grown == NULL) {
                        free(pairs);
                        return etl_fail(err, "planning partitions: out of memory");
                    }
                    pairs = grown;
                }
                pairs[2 * n] = c < s->n_conns ? s->conns[c]
                             : p->src->monitors[s->repo_monitors[c - s->n_conns]].connection;
                pairs[2 * n + 1] = k;
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
    free(pairs);
    *conns_out = conns;
    *parts_out = parts;
    *n_out = u;
    return 0;
}

/* The bucket plan of days [lo, hi], shared with the subjects that have it. */
static int
plan_for(struct plan *p, int32_t lo, int32_t hi)
{
    struct bucket_plan *grown;

    for (int i = 0; i < p->n_plans; i++)
        if (p->plans[i].lo == lo && p->plans[i].hi == hi)
            return i;
    grown = realloc(p->plans, sizeof *grown * ((size_t) p->n_plans + 1));
    if (grown == NULL)
        return -1;
    p->plans = grown;
    grown[p->n_plans].lo = lo;
    grown[p->n_plans].hi = hi;
    grown[p->n_plans].n = metrics_plan_buckets(lo, hi, &grown[p->n_plans].buckets);
    if (grown[p->n_plans].n < 0)
        return -1;
    return p->n_plans++;
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

int
plan_subjects(struct plan *p, const struct tz_table *zones, int64_t as_of, struct etl_error *err)
{
    const struct source *src = p->src;
    int32_t n = p->scope->n_subjects;

    p->need_from = malloc(sizeof *p->need_from * ((size_t) n + 1));
    p->plan_of = malloc(sizeof *p->plan_of * ((size_t) n + 1));
    p->goals_by_subject = malloc(sizeof(int32_t) * ((size_t) src->n_goals + 1));
    if (p->need_from == NULL || p->plan_of == NULL || p->goals_by_subject == NULL)
        return etl_fail(err, "planning: out of memory");
    for (int32_t i = 0; i < n; i++) {
        struct subject *s = &p->scope->subjects[i];
        int32_t lo, hi;

        s->cutoff = tz_local_day(&zones->zones[s->zone], as_of) - 1;
        plan_bucket_days(p->opts, s->cutoff, &lo, &hi);
        p->need_from[i] = INT64_MAX;
        p->plan_of[i] = -1;
        if (lo <= hi && plan_takes_subject(p, i)) {
            if ((p->plan_of[i] = plan_for(p, lo, hi)) < 0)
                return etl_fail(err, "planning: out of memory");
            p->need_from[i] = (int64_t) p->plans[p->plan_of[i]].buckets[0].start - 1;
        }
    }
    for (int32_t g = 0; g < src->n_goals; g++)
        p->goals_by_subject[g] = g;
    qsort_r(p->goals_by_subject, (size_t) src->n_goals, sizeof(int32_t), compare_goal_subjects,
            (void *) src);
    for (int32_t g = 0; plan_runs_goals(p->opts) && g < src->n_goals; g++) {
        const struct goal *goal = &src->goals[g];
        int32_t s = scope_goal_subject(src, goal);
        int64_t need = metrics_goal_need_from(goal, p->scope->subjects[s].cutoff);

        if (p->in_shard[s] && need < p->need_from[s])
            p->need_from[s] = need;
    }
    return 0;
}

size_t
plan_subject_bytes(const struct plan *p, int32_t i)
{
    const struct subject *s = &p->scope->subjects[i];
    int64_t from = p->need_from[i], days;
    int32_t end = s->cutoff < p->max_data_day ? s->cutoff : p->max_data_day;
    size_t rows = 0;

    if (from == INT64_MAX)
        return 64;
    if (from + 1 < p->min_data_day)
        from = (int64_t) p->min_data_day - 1;
    days = (int64_t) end - from + 1;
    if (days < 1)
        days = 1;
    if (p->plan_of[i] >= 0)
        rows = metrics_max_rows(s, p->plans[p->plan_of[i]].n);
    return (size_t) days * N_SERIES * sizeof(int64_t) + rows * PLAN_ROW_BYTES;
}

int32_t
plan_batch_size(const struct plan *p, int32_t first, int32_t end, size_t budget)
{
    int32_t count = 0;
    size_t bytes = 0;

    while (first + count < end &&
           (count == 0 || bytes + plan_subject_bytes(p, first + count) <= budget))
        bytes += plan_subject_bytes(p, first + count++);
    return count;
}

int32_t
plan_part_first(const struct plan *p, int part)
{
    return p->part_start[part] > p->first_subject ? p->part_start[part] : p->first_subject;
}

int
plan_part_batches(const struct plan *p, int part, size_t budget)
{
    int32_t end = p->part_start[part + 1];
    int n = 0;

    for (int32_t f = plan_part_first(p, part); f < end; f += plan_batch_size(p, f, end, budget))
        n++;
    return n;
}

void
plan_advance(const struct plan *p, struct ledger_position *pos, int32_t first, int32_t last)
{
    for (int32_t i = first; i <= last; i++)
        pos->subjects_done += p->in_shard[i];
    pos->has_last = true;
    pos->last_is_workspace = p->scope->subjects[last].kind == SUBJECT_WORKSPACE;
    pos->last_id = *scope_subject_uuid(p->src, &p->scope->subjects[last]);
}
