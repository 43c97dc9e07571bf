/*
 * agg_prep.c: rows grouped by connection -> rows in order of day.
 *
 * Entry point: agg_prep_rows.
 *
 * Invariant: afterwards, within a connection, contributions and channel
 * stats are in order of day (aggregate.c sums a connection's channel stats
 * as the changes from one row to the next, in 128 bits, and stops at the
 * first past a cutoff; metrics.c binary-searches contributions by day).
 * One connection per OpenMP iteration: no thread touches another's rows.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "agg_prep.h"

static int
compare_contribution_day(const void *a, const void *b)
{
    int32_t x = ((const struct contribution_row *) a)->day;
    int32_t y = ((const struct contribution_row *) b)->day;

    return (x > y) - (x < y);
}

static int
compare_stat_day(const void *a, const void *b)
{
    int32_t x = ((const struct channel_stat_row *) a)->day;
    int32_t y = ((const struct channel_stat_row *) b)->day;

    return (x > y) - (x < y);
}

/* Whether rows of a date-typed table, (conn, day, ...) each, are in order
 * of day. */
static bool
days_in_order(const void *rows, size_t n, size_t row_size)
{
    const char *p = rows;

    for (size_t i = 1; i < n; i++)
        if (((const int32_t *) (p + i * row_size))[1] < ((const int32_t *) (p + (i - 1) * row_size))[1])
            return false;
    return true;
}

void
agg_prep_rows(struct source *src)
{
#pragma omp parallel for schedule(dynamic, 256)
    for (int32_t c = 0; c < src->n_connections; c++) {
        struct channel_stat_row *s = src->channel_stats.rows + src->channel_stats.off[c];
        size_t ns = src->channel_stats.off[c + 1] - src->channel_stats.off[c];

        struct contribution_row *k = src->contributions.rows + src->contributions.off[c];
        size_t nk = src->contributions.off[c + 1] - src->contributions.off[c];

        /* Rows mostly arrive in order of day (tables filled day by day):
         * then there is nothing to sort. */
        if (!days_in_order(k, nk, sizeof *k))
            qsort(k, nk, sizeof *k, compare_contribution_day);
        if (!days_in_order(s, ns, sizeof *s))
            qsort(s, ns, sizeof *s, compare_stat_day);
    }
}
