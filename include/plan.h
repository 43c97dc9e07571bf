/*
 * plan.h: what a run will do, worked out from what it has read and before
 * it writes anything.  No connection: every input is in memory, so each rule
 * is tested without a server (tests/unit/test_plan.c).
 *
 * In the order job.c calls them:
 *   plan_select      which subjects the run takes: its shard's (a hash of the
 *                    subject's id), after the position a backfill resumes
 *                    from; and so which connections it reads;
 *   plan_partitions  when the source would not fit in its share of the
 *                    memory budget, subjects in partitions read one at a time
 *                    (plan_spill_pairs: which partitions need a connection);
 *   plan_subjects    each subject's cutoff day (SPEC.md section 6: the day
 *                    before the as-of's local date in its zone), its buckets,
 *                    the earliest day its cells need (buckets and goals);
 *   plan_batch_size  batches of subjects within the memory budget.
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl_error.h"
#include "job.h"
#include "ledger.h"
#include "metrics.h"
#include "model.h"
#include "scope.h"
#include "tz.h"

/* The source rows held at once get 1/PLAN_SOURCE_SHARE of the batch memory:
 * with a fixed share (not "whatever fits") the peak stays the same as users
 * grow. */
#define PLAN_SOURCE_SHARE 4
/* Bytes a formatted snapshot row takes, at most (for batch sizing). */
#define PLAN_ROW_BYTES 700

/* The buckets of every subject whose bucket days are [lo, hi] (subjects
 * with the same cutoff day share one). */
struct bucket_plan {
    int32_t lo, hi;
    struct bucket *buckets;     /* metrics_plan_buckets: sorted, buckets[0] the earliest */
    int n;
};

struct plan {
    const struct job_options *opts;     /* command, lookback, range, shard, batch memory */
    const struct source *src;
    struct scope *scope;        /* plan_select sets its wanted, plan_subjects the cutoffs */

    /* plan_select */
    bool *in_shard;             /* per subject: this run's (all when unsharded) */
    int32_t first_subject;      /* a backfill going on: the first subject not yet done */
    int32_t subjects_in_shard, subjects_skipped;    /* skipped: done before a resume */

    /* plan_partitions: partition p holds subjects [part_start[p], part_start[p + 1]) */
    int n_parts;                /* 1: the source is held whole */
    int32_t *part_start;

    /* plan_subjects */
    int64_t *need_from;         /* per subject: cells hold days after this one; INT64_MAX none */
    int32_t *plan_of;           /* per subject: index into plans, -1 when it gets no rows */
    struct bucket_plan *plans;
    int n_plans;
    int32_t *goals_by_subject;  /* goal numbers sorted by subject */

    /* set by the caller once the rows are read: the first and last day of any data */
    int32_t min_data_day, max_data_day;
};

void plan_init(struct plan *p, const struct job_options *opts, const struct source *src,
               struct scope *scope);
void plan_term(struct plan *p);

/* True when a subject with this id belongs to shard k (1-based) of n: the
 * 64-bit FNV-1a hash of its 16 bytes, modulo n, is k - 1.  n <= 1: all. */
bool plan_subject_in_shard(const struct uuid *id, int k, int n);

/* SPEC.md section 6: the days [*lo, *hi] whose buckets a subject with this
 * cutoff day gets (none when *lo > *hi): a nightly's lookback days up to
 * the cutoff, a backfill's range cut at the cutoff, nothing for goals. */
void plan_bucket_days(const struct job_options *opts, int32_t cutoff, int32_t *lo, int32_t *hi);

/* True for the commands that recompute goals (nightly, goals). */
bool plan_runs_goals(const struct job_options *opts);

/* --batch-memory in bytes, or its default (JOB_DEFAULT_BATCH_MB). */
size_t plan_batch_budget(const struct job_options *opts);

/*
 * The subjects the run takes: those of its shard and, for a backfill that
 * goes on from done (done->has_last), only those after the last one done
 * (subjects are in order of kind, then id).  Counts them, and sets
 * scope->wanted for the connections they cover (only those are read).
 */
int plan_select(struct plan *p, const struct ledger_position *done, struct etl_error *err);

/* Subject i is the run's and not yet done. */
bool plan_takes_subject(const struct plan *p, int32_t i);

/*
 * Bounded memory: when `estimate` bytes of source rows (the whole source's;
 * the run needs its subjects' share of it) exceed 1/PLAN_SOURCE_SHARE of the
 * batch budget, the subjects are split into partitions by weight (the
 * connections they cover), at most max_parts of them.  Every partition but
 * the last is filled up to the share: the one held is then the same size
 * whatever the number of users.
 */
int plan_partitions(struct plan *p, size_t estimate, int max_parts, struct etl_error *err);

/* The (connection, partition) pairs of the partitions' subjects, unique and
 * sorted, for spill_router_init: *conns and *parts malloc'd, *n pairs. */
int plan_spill_pairs(const struct plan *p, int32_t **conns, int32_t **parts, size_t *n,
                     struct etl_error *err);

/*
 * Each subject's cutoff day from the as-of instant in its zone (zones
 * indexed as scope->zone_names), its bucket plan, and need_from: the day
 * before its first bucket, or earlier for a goal that needs it (nightly and
 * goals).  After plan_select.
 */
int plan_subjects(struct plan *p, const struct tz_table *zones, int64_t as_of,
                  struct etl_error *err);

/* Bytes subject i's share of a batch takes, at most: its cells (from the
 * first day asked for or of any data, to the last day of any data or its
 * cutoff) and its formatted rows.  After plan_subjects. */
size_t plan_subject_bytes(const struct plan *p, int32_t i);

/* The number of subjects of the batch that starts at first (and ends by
 * end) within budget bytes: at least one. */
int32_t plan_batch_size(const struct plan *p, int32_t first, int32_t end, size_t budget);

/* The first subject of partition part the run still has to do. */
int32_t plan_part_first(const struct plan *p, int part);

/* The batches of partition part that the run still has to do. */
int plan_part_batches(const struct plan *p, int part, size_t budget);

/* pos once the batch of subjects [first, last] is committed: its subjects
 * of the shard counted, last the last one done. */
void plan_advance(const struct plan *p, struct ledger_position *pos, int32_t first,
                  int32_t last);

#endif
