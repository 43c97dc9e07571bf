/*
 * aggregate.h: typed rows -> per-subject daily cells (OpenMP).
 *
 * A subject's cells are cumulative sums per series over a window of days:
 * row 0 holds everything up to the day before the window, row i the sums
 * through day w0 + i - 1.  A stock "as of day e" is one lookup and a flow over
 * [a, e] is the difference of two, so weekly and monthly buckets come from the
 * daily cells, never from the rows again.
 */
#ifndef AGGREGATE_H
#define AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "etl_error.h"
#include "model.h"
#include "scope.h"
#include "tz.h"

enum series {
    S_COMMITS, S_PULL_REQUESTS, S_ISSUES,
    S_ACTIVE_DAYS,            /* 1 on a day whose commits+pull requests+issues > 0 */
    S_REPOSITORIES, S_STARS, S_FORKS, S_WATCHERS, S_OPEN_ISSUES,
    S_SUBSCRIBERS, S_CHANNEL_VIEWS,   /* deltas of the latest channel stats */
    S_SUBSCRIBERS_HIGH, S_CHANNEL_VIEWS_HIGH,   /* their high parts (below) */
    S_VIDEOS, S_VIDEO_LIKES, S_VIDEO_COMMENTS,
    S_ARTICLES, S_ARTICLE_VIEWS, S_ARTICLE_REACTIONS, S_ARTICLE_COMMENTS,
    N_SERIES
};

/*
 * Exact values.  Metrics are sums and differences of the source's integers
 * (int32 columns, and bigint channel stats summed over connections), which
 * can pass int64; a value read from the cells is an agg_sum, exact.  The
 * cells themselves stay int64, which holds every sum of a subject's int32
 * values (at most AGG_MAX_ROWS rows of them, each |v| <= 2^31: |sum| <=
 * 2^61, and the difference of two sums, or three sums of a day added for
 * active days, still fit).  A channel-stat delta (the difference of two
 * bigints, up to 2^64) is split in two: its low 32 bits (unsigned) go to
 * S_SUBSCRIBERS / S_CHANNEL_VIEWS, the rest (delta >> 32, |.| <= 2^32) to
 * the _HIGH series; each column's sum is then at most 2^62, and the value
 * is low + high * 2^32 in 128 bits.
 */
typedef __int128 agg_sum;
#define AGG_MAX_ROWS (INT64_C(1) << 30)

/*
 * A row of cells holds only the series of the platforms the subject covers
 * (those of its live monitors): col[s] is series s's column, -1 for
 * the others, whose sums are all 0.  Most subjects cover github alone, and
 * zeroing and summing the other columns was most of the kernel's time.
 */
struct cells {
    int32_t w0;               /* first day of the window */
    int32_t n;                /* days in the window: w0 .. w0 + n - 1, at most to the
                               * cutoff; later days (no rows) have the last one's sums */
    int64_t *sums;            /* (n + 1) rows of `stride` cumulative sums */
    int stride;               /* columns per row */
    int8_t col[N_SERIES];
    /* Earliest local day of an in-scope row on or before the cutoff, per
     * platform and for PLATFORM_ALL; DAY_POS_INF when there is none. */
    int32_t first_day[N_PLATFORMS + 1];
};

struct agg_input {
    const struct source *src;
    const struct scope *scope;
    const struct tz_table *zones;   /* indexed like scope->zone_names */
    int32_t min_data_day;           /* no finite row is dated earlier */
};

/*
 * Fills cells[i] for subjects first .. first + count - 1.  need_from[i] is
 * the earliest day whose cumulative value will be asked for (a bucket's or a
 * goal's first day minus one).  Runs one subject per OpenMP iteration; each
 * iteration writes only its own cells.  Fails (naming the subject) when a
 * subject has more than AGG_MAX_ROWS rows, whose sums could not be exact.
 */
int agg_subjects(const struct agg_input *in, int32_t first, int32_t count,
                 const int64_t *need_from, struct cells *cells, struct etl_error *err);

/* The sum of series through day (days before the window: its first row; days
 * before -infinity, i.e. below INT32_MIN: zero).  S_SUBSCRIBERS and
 * S_CHANNEL_VIEWS include their _HIGH parts; a _HIGH series alone gives the
 * sum of the high parts. */
agg_sum cells_through(const struct cells *c, enum series s, int64_t day);

/* The sum of series over the days [from, to]. */
agg_sum cells_over(const struct cells *c, enum series s, int64_t from, int64_t to);

/* The bytes c->sums takes. */
size_t cells_bytes(const struct cells *c);

void cells_term(struct cells *c);

/* Accumulates one subject (the unit of work, public for the kernel bench):
 * 0, -1 when out of memory, AGG_TOO_MANY_ROWS. */
#define AGG_TOO_MANY_ROWS (-2)
int agg_one_subject(const struct agg_input *in, const struct subject *s, int64_t need_from,
                    struct cells *c);

#endif
