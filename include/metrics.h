/*
 * metrics.h: cells -> snapshot rows (SPEC.md sections 2, 4, 5) and goal
 * values (section 7).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "calendar.h"
#include "model.h"
#include "scope.h"
#include "strbuf.h"

struct bucket {
    enum bucket_type type;
    int32_t start, last;
};

/*
 * The buckets that contain a day of [lo, hi] (lo <= hi), every type, sorted
 * as the unique index sorts them: by start day, then by type name.
 * Returns the number (0 when lo > hi), -1 when out of memory; *out is malloc'd.
 */
int metrics_plan_buckets(int32_t lo, int32_t hi, struct bucket **out);

/* The platforms of the rows (PLATFORM_ALL and each platform) in the order of
 * the unique key: 'all' < 'devto' < 'github' < 'youtube'. */
#define METRICS_ROW_PLATFORMS (N_PLATFORMS + 1)
extern const int metrics_platforms_in_key_order[METRICS_ROW_PLATFORMS];

/* The rows a subject gets for these buckets (section 5); adds them to
 * by_kind[platform in key order][bucket type]. */
size_t metrics_count_rows(const struct subject *s, const struct cells *c, const struct bucket *b,
                          int n, size_t by_kind[METRICS_ROW_PLATFORMS][N_BUCKET_TYPES]);

/* An upper bound of metrics_count_rows before the cells are known: one row
 * per bucket for 'all' and for each live platform. */
size_t metrics_max_rows(const struct subject *s, int n);

/* Identity of the rows written by one run: ids are UUIDv7 made from the run's
 * millisecond, a random tag and the row's sequence number, so ids follow the
 * order rows are written in. */
struct row_ids {
    uint64_t unix_ms;
    uint32_t tag;
};

/*
 * Appends a subject's rows as COPY text lines
 * (id, user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics),
 * numbering them from seq: bucket by bucket in order of the buckets' last
 * days (the latest, which the next nightly rewrites, together at the end),
 * each bucket's platforms in key order.
 */
void metrics_format_rows(const struct source *src, const struct subject *s,
                         const struct cells *c, const struct bucket *b, int n,
                         const struct row_ids *ids, uint64_t seq, struct strbuf *out);

/* ---- goals ---- */

enum goal_outcome { GOAL_VALUE, GOAL_SKIPPED };

struct goal_result {
    enum goal_outcome outcome;
    const char *reason;       /* when skipped */
    char value[STRBUF_INT128_MAX + 8];   /* numeric text when GOAL_VALUE */
};

/* The earliest day a goal needs cumulative values for, or INT64_MAX when it
 * needs none (skipped, or not started by its evaluation day). */
int64_t metrics_goal_need_from(const struct goal *g, int32_t cutoff);

/* Section 7 rules 1-4 for one goal of subject s. */
void metrics_goal_value(const struct source *src, const struct subject *s,
                        const struct cells *c, const struct goal *g, struct goal_result *out);

/* round(100 * (v - b) / b, 2) as PostgreSQL's numeric does, into buf; b != 0,
 * |v| and |b| below 2^96. */
void metrics_percentage(agg_sum v, agg_sum b, char *buf, size_t size);

#endif
