/*
 * aggregate.c: typed rows -> metric cells (OpenMP).
 *
 * Entry point: agg_subjects.  Each subject pulls the rows of the connections
 * and repositories it covers (the rows are grouped by connection), turns
 * instants into its own local days, and adds them into its own dense array
 * indexed by day.  Subjects are independent, so the parallel loop needs no
 * locks and no merge: thread t only ever writes the cells of the subjects it
 * was handed.  The prefix sums that make buckets O(1) are taken at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "calendar.h"

static inline int64_t *
day_row(struct cells *c, int32_t day)
{
    size_t i = day < c->w0 ? 0 : (size_t) (day - c->w0) + 1;

    return c->sums + i * (size_t) c->stride;
}

/* Each platform's series, consecutive in enum series. */
static const enum series platform_series[N_PLATFORMS][2] = {
    [PLATFORM_GITHUB] = {S_COMMITS, S_OPEN_ISSUES},
    [PLATFORM_YOUTUBE] = {S_SUBSCRIBERS, S_VIDEO_COMMENTS},
    [PLATFORM_DEVTO] = {S_ARTICLES, S_ARTICLE_COMMENTS},
};

/* Columns for the platforms of the subject's live monitors (scope.c): every
 * connection and repository it covers is one of theirs. */
static void
lay_out_columns(struct cells *c, unsigned platforms)
{
    c->stride = 0;
    memset(c->col, -1, sizeof c->col);
    for (int p = 0; p < N_PLATFORMS; p++)
        if (platforms & (1u << p))
            for (int s = platform_series[p][0]; s <= (int) platform_series[p][1]; s++)
                c->col[s] = (int8_t) c->stride++;
}

static inline void
saw_day(struct cells *c, int platform, int32_t day)
{
    if (day < c->first_day[platform])
        c->first_day[platform] = day;
}

static void
add_contributions(struct cells *c, const struct source *src, int32_t conn, int32_t cutoff)
{
    for (size_t r = src->contributions.off[conn]; r < src->contributions.off[conn + 1]; r++) {
        const struct contribution_row *row = &src->contributions.rows[r];
        int64_t *cell;

        if (row->day > cutoff)
            continue;
        saw_day(c, PLATFORM_GITHUB, row->day);
        cell = day_row(c, row->day);
        cell[c->col[S_COMMITS]] += row->commits;
        cell[c->col[S_PULL_REQUESTS]] += row->pull_requests;
        cell[c->col[S_ISSUES]] += row->issues;
    }
}

static void
add_repository(struct cells *c, const struct repository_row *row, const struct tz_zone *zone,
               int32_t cutoff)
{
    int32_t day = tz_local_day(zone, row->created_at);
    int64_t *cell;

    if (day > cutoff)
        return;
    saw_day(c, PLATFORM_GITHUB, day);
    cell = day_row(c, day);
    cell[c->col[S_REPOSITORIES]] += 1;
    cell[c->col[S_STARS]] += row->stars;
    cell[c->col[S_FORKS]] += row->forks;
    cell[c->col[S_WATCHERS]] += row->watchers;
    cell[c->col[S_OPEN_ISSUES]] += row->open_issues;
}

/* A delta, exact in 128 bits, as its low 32 bits and the rest (aggregate.h). */
static inline void
add_split(int64_t *cell, int low, int high, agg_sum delta)
{
    cell[low] += (int64_t) (delta & 0xffffffff);
    cell[high] += (int64_t) (delta >> 32);
}

/*
 * The rows of a connection are sorted by day: summing each row's change
 * from the one before up to day e gives the latest row on or before e, 0
 * when none (SPEC.md section 4, "latest S before end").
 */
static void
add_channel_stats(struct cells *c, const struct source *src, int32_t conn, int32_t cutoff)
{
    int64_t subscribers = 0, views = 0;    /* of the row before */

    for (size_t r = src->channel_stats.off[conn]; r < src->channel_stats.off[conn + 1]; r++) {
        const struct channel_stat_row *row = &src->channel_stats.rows[r];
        int64_t *cell;

        if (row->day > cutoff)
            break;      /* later changes must not count either */
        saw_day(c, PLATFORM_YOUTUBE, row->day);
        cell = day_row(c, row->day);
        add_split(cell, c->col[S_SUBSCRIBERS], c->col[S_SUBSCRIBERS_HIGH],
                  (agg_sum) row->subscribers - subscribers);
        add_split(cell, c->col[S_CHANNEL_VIEWS], c->col[S_CHANNEL_VIEWS_HIGH],
                  (agg_sum) row->views - views);
        subscribers = row->subscribers;
        views = row->views;
    }
}

static void
add_videos(struct cells *c, const struct source *src, int32_t conn, const struct tz_zone *zone,
           int32_t cutoff)
{
    for (size_t r = src->videos.off[conn]; r < src->videos.off[conn + 1]; r++) {
        const struct video_row *row = &src->videos.rows[r];
        int32_t day = tz_local_day(zone, row->published_at);
        int64_t *cell;

        if (day > cutoff)
            continue;
        saw_day(c, PLATFORM_YOUTUBE, day);
        cell = day_row(c, day);
        cell[c->col[S_VIDEOS]] += 1;
        cell[c->col[S_VIDEO_LIKES]] += row->likes;
        cell[c->col[S_VIDEO_COMMENTS]] += row->comments;
    }
}

static void
add_articles(struct cells *c, const struct source *src, int32_t conn, const struct tz_zone *zone,
             int32_t cutoff)
{
    for (size_t r = src->articles.off[conn]; r < src->articles.off[conn + 1]; r++) {
        const struct article_row *row = &src->articles.rows[r];
        int32_t day = tz_local_day(zone, row->published_at);
        int64_t *cell;

        if (day > cutoff)
            continue;
        saw_day(c, PLATFORM_DEVTO, day);
        cell = day_row(c, day);
        cell[c->col[S_ARTICLES]] += 1;
        cell[c->col[S_ARTICLE_VIEWS]] += row->views;
        cell[c->col[S_ARTICLE_REACTIONS]] += row->reactions;
        cell[c->col[S_ARTICLE_COMMENTS]] += row->comments;
    }
}

/* Marks active days, then turns daily sums into cumulative sums. */
static void
finish_cells(struct cells *c)
{
    size_t stride = (size_t) c->stride;
    int active = c->col[S_ACTIVE_DAYS];

    for (int32_t i = 1; i <= c->n; i++) {
        int64_t *row = c->sums + (size_t) i * stride;
        const int64_t *prev = row - stride;

        if (active >= 0)
            row[active] = row[c->col[S_COMMITS]] + row[c->col[S_PULL_REQUESTS]] +
                          row[c->col[S_ISSUES]] > 0;
        for (size_t k = 0; k < stride; k++)
            row[k] += prev[k];
    }
    if (active >= 0)
        c->sums[active] = 0;    /* days before the window are never asked for */
    for (int p = 0; p < N_PLATFORMS; p++)
        saw_day(c, PLATFORM_ALL, c->first_day[p]);
}

/*
 * The days of the rows a subject counts (those on or before its cutoff) lie
 * in [lo, hi]; lo > hi when there are none.  A local date is within a day of
 * the instant's UTC date in every zone, so no zone is needed here, and
 * date-typed rows are sorted by day.  Rows at -infinity are left out: they
 * go to the first row of the cells, before any window.
 */
struct day_range {
    int64_t lo, hi;
};

static inline void
cover(struct day_range *r, int64_t lo, int64_t hi, int32_t cutoff)
{
    if (lo > cutoff)
        return;
    if (lo < r->lo)
        r->lo = lo;
    if (hi > r->hi)
        r->hi = hi < cutoff ? hi : cutoff;
}

static inline void
cover_instant(struct day_range *r, int64_t ts, int32_t cutoff)
{
    if (ts != TS_NEG_INF && ts != TS_POS_INF)
        cover(r, (int64_t) cal_floor_day(ts) - 1, (int64_t) cal_floor_day(ts) + 1, cutoff);
}

/* A connection's date-typed rows: the first finite day, the last on or before the cutoff. */
#define COVER_SORTED(r, table, conn, cutoff)                                      \
    do {                                                                          \
        size_t a_ = (table).off[conn], b_ = (table).off[(conn) + 1];              \
        while (a_ < b_ && (table).rows[a_].day == DAY_NEG_INF)                    \
            a_++;                                                                 \
        while (b_ > a_ && (table).rows[b_ - 1].day > (cutoff))                    \
            b_--;                                                                 \
        if (a_ < b_)                                                              \
            cover(r, (table).rows[a_].day, (table).rows[b_ - 1].day, cutoff);     \
    } while (0)

static struct day_range
data_days(const struct source *src, const struct subject *s)
{
    struct day_range r = {INT64_MAX, INT64_MIN};

    for (int32_t k = 0; k < s->n_conns; k++) {
        int32_t conn = s->conns[k];

        COVER_SORTED(&r, src->contributions, conn, s->cutoff);
        COVER_SORTED(&r, src->channel_stats, conn, s->cutoff);
        for (size_t i = src->repositories.off[conn]; i < src->repositories.off[conn + 1]; i++)
            cover_instant(&r, src->repositories.rows[i].created_at, s->cutoff);
        for (size_t i = src->videos.off[conn]; i < src->videos.off[conn + 1]; i++)
            cover_instant(&r, src->videos.rows[i].published_at, s->cutoff);
        for (size_t i = src->articles.off[conn]; i < src->articles.off[conn + 1]; i++)
            cover_instant(&r, src->articles.rows[i].published_at, s->cutoff);
    }
    for (int32_t k = 0; k < s->n_repos; k++)
        cover_instant(&r, src->repositories.rows[s->repos[k]].created_at, s->cutoff);
    return r;
}

/*
 * The days the cells hold one row each: from one day after the earliest day
 * asked for (rows before go to row 0), but not before the subject's first
 * row nor the first of any data, to its last row on or before the cutoff
 * (every day after it has that day's sums).  So the cells follow the days of
 * the subject's rows, not the span from them to the cutoff (an as-of in the
 * year 9999).
 */
static int
window(struct cells *c, unsigned platforms, int64_t need_from, int32_t min_data_day,
       int32_t cutoff, struct day_range rows)
{
    int64_t w0 = need_from == INT64_MAX ? need_from : need_from + 1, end;

    if (w0 < min_data_day)
        w0 = min_data_day;
    if (w0 > (int64_t) cutoff + 1)
        w0 = (int64_t) cutoff + 1;
    if (rows.lo > rows.hi) {
        end = w0 - 1;           /* no rows: row 0 alone, all zero */
    } else {
        end = rows.hi;
        if (w0 < rows.lo)
            w0 = rows.lo;
        if (w0 > end + 1)
            w0 = end + 1;
    }
    c->w0 = (int32_t) w0;
    c->n = (int32_t) (end - w0 + 1);
    lay_out_columns(c, platforms);
    c->sums = calloc(cells_bytes(c) / sizeof *c->sums, sizeof *c->sums);
    for (int p = 0; p <= N_PLATFORMS; p++)
        c->first_day[p] = DAY_POS_INF;
    return c->sums == NULL ? -1 : 0;
}

/* The rows the subject sums (before the cutoff or not). */
static int64_t
subject_rows(const struct source *src, const struct subject *s)
{
    int64_t n = s->n_repos;

    for (int32_t k = 0; k < s->n_conns; k++) {
        int32_t conn = s->conns[k];

        n += (int64_t) (src->contributions.off[conn + 1] - src->contributions.off[conn]) +
             (int64_t) (src->channel_stats.off[conn + 1] - src->channel_stats.off[conn]) +
             (int64_t) (src->repositories.off[conn + 1] - src->repositories.off[conn]) +
             (int64_t) (src->videos.off[conn + 1] - src->videos.off[conn]) +
             (int64_t) (src->articles.off[conn + 1] - src->articles.off[conn]);
    }
    return n;
}

int
agg_one_subject(const struct agg_input *in, const struct subject *s, int64_t need_from,
                struct cells *c)
{
    const struct source *src = in->src;
    const struct tz_zone *zone = &in->zones->zones[s->zone];

    memset(c, 0, sizeof *c);
    if (subject_rows(src, s) > AGG_MAX_ROWS)
        return AGG_TOO_MANY_ROWS;
    if (need_from == INT64_MAX)     /* nothing is asked of this subject in this run */
        return window(c, s->live_platforms, need_from, in->min_data_day, s->cutoff,
                      (struct day_range) {INT64_MAX, INT64_MIN});
    if (window(c, s->live_platforms, need_from, in->min_data_day, s->cutoff,
               data_days(src, s)) < 0)
        return -1;
    for (int32_t k = 0; k < s->n_conns; k++) {
        int32_t conn = s->conns[k];

        switch (src->connections[conn].platform) {
        case PLATFORM_GITHUB:
            add_contributions(c, src, conn, s->cutoff);
            for (size_t r = src->repositories.off[conn]; r < src->repositories.off[conn + 1]; r++)
                add_repository(c, &src->repositories.rows[r], zone, s->cutoff);
            break;
        case PLATFORM_YOUTUBE:
            add_channel_stats(c, src, conn, s->cutoff);
            add_videos(c, src, conn, zone, s->cutoff);
            break;
        case PLATFORM_DEVTO:
            add_articles(c, src, conn, zone, s->cutoff);
            break;
        default:
            break;
        }
    }
    for (int32_t k = 0; k < s->n_repos; k++)
        add_repository(c, &src->repositories.rows[s->repos[k]], zone, s->cutoff);
    finish_cells(c);
    return 0;
}

int
agg_subjects(const struct agg_input *in, int32_t first, int32_t count,
             const int64_t *need_from, struct cells *cells, struct etl_error *err)
{
    int failed = 0;
    int32_t too_many = INT32_MAX;     /* the first subject with too many rows */

#pragma omp parallel for schedule(dynamic, 16) reduction(+:failed) reduction(min:too_many)
    for (int32_t i = 0; i < count; i++) {
        int rc = agg_one_subject(in, &in->scope->subjects[first + i], need_from[i], &cells[i]);

        if (rc == AGG_TOO_MANY_ROWS && i < too_many)
            too_many = i;
        else if (rc < 0)
            failed++;
    }
    if (too_many != INT32_MAX) {
        const struct subject *s = &in->scope->subjects[first + too_many];
        char id[37];

        uuid_format(scope_subject_uuid(in->src, s), id);
        return etl_fail(err, "aggregating: %s %s has more than %lld rows, too many for its"
                        " sums to be exact; nothing was written for it", s->kind ==
                        SUBJECT_PERSONAL ? "profile" : "workspace", id, (long long) AGG_MAX_ROWS);
    }
    if (failed)
        return etl_fail(err, "aggregating: out of memory");
    return 0;
}

/* The row of the cells whose sums run through day: -1 for none (days before
 * -infinity, i.e. below INT32_MIN), 0 for days before the window, n for its
 * last day and every day after. */
static inline int64_t
row_through(const struct cells *c, int64_t day)
{
    int64_t i = day - c->w0 + 1;

    if (day < INT32_MIN)
        return -1;
    return i < 0 ? 0 : i > c->n ? c->n : i;
}

static inline int64_t
column_at(const struct cells *c, int col, int64_t i)
{
    return col < 0 || i < 0 ? 0 : c->sums[(size_t) i * (size_t) c->stride + (size_t) col];
}

/* Series s through row b minus through row a; S_SUBSCRIBERS and
 * S_CHANNEL_VIEWS with their _HIGH parts (aggregate.h). */
static inline agg_sum
change(const struct cells *c, enum series s, int64_t a, int64_t b)
{
    int high = s == S_SUBSCRIBERS ? c->col[S_SUBSCRIBERS_HIGH]
             : s == S_CHANNEL_VIEWS ? c->col[S_CHANNEL_VIEWS_HIGH] : -1;
    agg_sum v = (agg_sum) column_at(c, c->col[s], b) - column_at(c, c->col[s], a);

    if (high >= 0)
        v += ((agg_sum) column_at(c, high, b) - column_at(c, high, a)) * ((agg_sum) 1 << 32);
    return v;
}

agg_sum
cells_through(const struct cells *c, enum series s, int64_t day)
{
    return change(c, s, -1, row_through(c, day));
}

/* One lookup of the two rows, not two of cells_through. */
agg_sum
cells_over(const struct cells *c, enum series s, int64_t from, int64_t to)
{
    if (to < from)
        return 0;
    return change(c, s, row_through(c, from - 1), row_through(c, to));
}

size_t
cells_bytes(const struct cells *c)
{
    /* one column at least: a subject that covers nothing still has a row 0 */
    return ((size_t) c->n + 1) * (size_t) (c->stride ? c->stride : 1) * sizeof *c->sums;
}

void
cells_term(struct cells *c)
{
    free(c->sums);
    c->sums = NULL;
}
