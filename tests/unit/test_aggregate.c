/*
 * test_aggregate.c: rows -> cells (agg_prep.c, aggregate.c), on hand-built
 * sources (world.h): sums through a day and over days, the cutoff, the
 * latest channel stats as sums of deltas, local days by zone (fixed offsets
 * and a hand-written DST switch), each platform's first day.
 *
 * Values are read through cells_through / cells_over, never from the
 * cells' arrays, so the tests hold whatever width the sums have.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "aggregate.h"
#include "calendar.h"
#include "world.h"

/* Criterion copies parameters into another process: no pointers in them. */
struct sum_case {
    char what[56];
    enum series series;
    char from[11];            /* "": the sum through `to` (a stock) */
    char to[11];
    long long want;
};

/* world_example's rows (world.c), cutoff 2024-03-03, by hand. */
static struct sum_case sum_cases[] = {
    {"commits through the cutoff: 10+1+3+0", S_COMMITS, "", "2024-03-03", 14},
    {"commits through a day after it: 03-04 never counts", S_COMMITS, "", "2024-03-10", 14},
    {"commits through 02-28: 10+1", S_COMMITS, "", "2024-02-28", 11},
    {"commits over 02-27..02-29: 1+3", S_COMMITS, "2024-02-27", "2024-02-29", 4},
    {"commits before the first row", S_COMMITS, "", "2024-01-14", 0},
    {"commits over an empty range", S_COMMITS, "2024-02-29", "2024-02-27", 0},
    {"pull requests over the week of 02-26", S_PULL_REQUESTS, "2024-02-26", "2024-03-03", 1},
    {"active days over the week: 02-27, 02-29 (not 03-01)", S_ACTIVE_DAYS, "2024-02-26", "2024-03-03", 2},
    {"active days over January", S_ACTIVE_DAYS, "2024-01-01", "2024-01-31", 1},
    {"subscribers through 02-19: no stat yet", S_SUBSCRIBERS, "", "2024-02-19", 0},
    {"subscribers through 02-25: the 02-20 row", S_SUBSCRIBERS, "", "2024-02-25", 100},
    {"subscribers through 02-29: the 02-28 row", S_SUBSCRIBERS, "", "2024-02-29", 110},
    {"subscribers through the cutoff: the 03-02 row", S_SUBSCRIBERS, "", "2024-03-03", 105},
    {"subscribers gained in March: 105-110", S_SUBSCRIBERS, "2024-03-01", "2024-03-03", -5},
    {"views through 03-10: the 03-04 row never counts", S_CHANNEL_VIEWS, "", "2024-03-10", 1600},
    {"views gained over the week: 1600-1000", S_CHANNEL_VIEWS, "2024-02-26", "2024-03-03", 600},
    {"repositories through 02-27", S_REPOSITORIES, "", "2024-02-27", 1},
    {"repositories through 02-28: created 23:30 UTC", S_REPOSITORIES, "", "2024-02-28", 2},
    {"repositories through 03-10: 03-05 never counts", S_REPOSITORIES, "", "2024-03-10", 2},
    {"new repositories in February", S_REPOSITORIES, "2024-02-01", "2024-02-29", 1},
    {"stars of the repositories through the cutoff", S_STARS, "", "2024-03-03", 6},
    {"open issues through 02-28: 0+3", S_OPEN_ISSUES, "", "2024-02-28", 3},
    {"videos through 02-29", S_VIDEOS, "", "2024-02-29", 1},
    {"video likes through 03-10: 4+2", S_VIDEO_LIKES, "", "2024-03-10", 6},
    {"video comments over March", S_VIDEO_COMMENTS, "2024-03-01", "2024-03-31", 0},
    {"articles: devto is not covered", S_ARTICLES, "", "2024-03-03", 0},
};

ParameterizedTestParameters(aggregate, sums)
{
    return cr_make_param_array(struct sum_case, sum_cases, sizeof sum_cases / sizeof sum_cases[0]);
}

ParameterizedTest(struct sum_case *c, aggregate, sums)
{
    struct world w;
    struct cells cells;
    int32_t g, y;
    long long got;

    world_example(&w, &g, &y);
    world_cells(&w, WORLD_CUTOFF, day_of("2023-01-01"), &cells);
    got = c->from[0] ? (long long) cells_over(&cells, c->series, day_of(c->from), day_of(c->to))
                     : (long long) cells_through(&cells, c->series, day_of(c->to));
    cr_expect_eq(got, c->want, "%s: got %lld", c->what, got);
    cells_term(&cells);
    world_term(&w);
}

/* The window starts after need_from: what came before is one sum. */
Test(aggregate, narrow_window_keeps_earlier_sums)
{
    struct world w;
    struct cells cells;
    int32_t g, y;

    world_example(&w, &g, &y);
    world_cells(&w, WORLD_CUTOFF, day_of("2024-02-28"), &cells);
    cr_expect_eq(cells.w0, day_of("2024-02-29"));
    cr_expect_eq(cells.n, 4, "2024-02-29 .. 2024-03-03");
    cr_expect_eq((long long) cells_through(&cells, S_COMMITS, day_of("2024-02-28")), 11);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-02-28")), 110);
    cr_expect_eq((long long) cells_over(&cells, S_COMMITS, day_of("2024-02-29"),
                                        day_of("2024-03-03")), 3);
    cells_term(&cells);
    world_term(&w);
}

Test(aggregate, first_days_by_platform)
{
    struct world w;
    struct cells cells;
    int32_t g, y;

    world_example(&w, &g, &y);
    world_cells(&w, WORLD_CUTOFF, day_of("2023-01-01"), &cells);
    cr_expect_eq(cells.first_day[PLATFORM_GITHUB], day_of("2023-06-01"));
    cr_expect_eq(cells.first_day[PLATFORM_YOUTUBE], day_of("2024-02-10"), "a video before any stat");
    cr_expect_eq(cells.first_day[PLATFORM_DEVTO], DAY_POS_INF);
    cr_expect_eq(cells.first_day[PLATFORM_ALL], day_of("2023-06-01"));
    cells_term(&cells);
    world_term(&w);
}

/* A row after the cutoff leaves no trace: no sum, no first day. */
struct late_case {
    char what[16];
    int platform;
};

static struct late_case late_cases[] = {
    {"contribution", PLATFORM_GITHUB}, {"repository", PLATFORM_GITHUB},
    {"channel stat", PLATFORM_YOUTUBE}, {"video", PLATFORM_YOUTUBE}, {"article", PLATFORM_DEVTO},
};

ParameterizedTestParameters(aggregate, rows_after_the_cutoff_leave_no_trace)
{
    return cr_make_param_array(struct late_case, late_cases, sizeof late_cases / sizeof late_cases[0]);
}

ParameterizedTest(struct late_case *c, aggregate, rows_after_the_cutoff_leave_no_trace)
{
    struct world w;
    struct cells cells;
    int32_t k;
    long long total = 0;

    world_init(&w, false);
    k = world_conn(&w, c->platform);
    if (strcmp(c->what, "contribution") == 0)
        world_contribution(&w, k, "2024-03-04", 1, 1, 1, 1);
    else if (strcmp(c->what, "repository") == 0)
        world_repo(&w, k, "2024-03-04T00:00:00Z", 1, 1, 1, 1);
    else if (strcmp(c->what, "channel stat") == 0)
        world_stat(&w, k, "2024-03-04", 1, 1);
    else if (strcmp(c->what, "video") == 0)
        world_video(&w, k, "2024-03-04T00:00:00Z", 1, 1);
    else
        world_article(&w, k, "2024-03-04T00:00:00Z", 1, 1, 1);
    world_cells(&w, WORLD_CUTOFF, day_of("2024-01-01"), &cells);
    cr_expect_eq(cells.first_day[c->platform], DAY_POS_INF, "%s", c->what);
    cr_expect_eq(cells.first_day[PLATFORM_ALL], DAY_POS_INF, "%s", c->what);
    for (int s = 0; s < N_SERIES; s++)
        total += (long long) cells_through(&cells, (enum series) s, day_of("2024-03-10"));
    cr_expect_eq(total, 0, "%s", c->what);
    cells_term(&cells);
    world_term(&w);
}

/* Channel stats of two connections are summed, each its own latest. */
Test(aggregate, latest_stats_per_connection)
{
    struct world w;
    struct cells cells;
    int32_t a, b;

    world_init(&w, false);
    a = world_conn(&w, PLATFORM_YOUTUBE);
    b = world_conn(&w, PLATFORM_YOUTUBE);
    world_stat(&w, a, "2024-01-10", 10, 100);
    world_stat(&w, b, "2024-01-12", 1000, 5);
    world_stat(&w, a, "2024-01-05", 7, 70);
    world_stat(&w, b, "2024-01-20", 900, 6);
    world_cells(&w, "2024-01-31", day_of("2024-01-01"), &cells);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-04")), 0);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-06")), 7);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-11")), 10);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-12")), 1010);
    cr_expect_eq((long long) cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-31")), 910);
    cr_expect_eq((long long) cells_through(&cells, S_CHANNEL_VIEWS, day_of("2024-01-31")), 106);
    cells_term(&cells);
    world_term(&w);
}

/*
 * Channel stats past 64 bits: two channels at 2^63 - 1 sum to 2^64 - 2, and
 * a change from 2^63 - 1 to -2^63 (counters may be negative without the
 * schema's CHECKs) is -(2^64 - 1), itself past int64.
 */
Test(aggregate, sums_past_64_bits)
{
    const agg_sum m64 = INT64_MAX;
    struct world w;
    struct cells cells;
    int32_t a, b;

    world_init(&w, false);
    a = world_conn(&w, PLATFORM_YOUTUBE);
    b = world_conn(&w, PLATFORM_YOUTUBE);
    world_stat(&w, a, "2024-01-10", INT64_MAX, 1);
    world_stat(&w, b, "2024-01-10", INT64_MAX, INT64_MIN);
    world_stat(&w, a, "2024-01-11", INT64_MIN, INT64_MAX);
    world_cells(&w, "2024-01-31", day_of("2024-01-01"), &cells);
    cr_expect(cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-10")) == 2 * m64, "2^64 - 2");
    cr_expect(cells_through(&cells, S_CHANNEL_VIEWS, day_of("2024-01-10")) == -m64, "1 - 2^63");
    cr_expect(cells_through(&cells, S_SUBSCRIBERS, day_of("2024-01-11")) == -1, "-2^63 + M64");
    cr_expect(cells_over(&cells, S_SUBSCRIBERS, day_of("2024-01-11"), day_of("2024-01-11")) ==
              -1 - 2 * m64, "-(2^64 - 1)");
    cr_expect(cells_over(&cells, S_CHANNEL_VIEWS, day_of("2024-01-11"), day_of("2024-01-31")) ==
              m64 - 1, "(M64 - 2^63) - (1 - 2^63)");
    cells_term(&cells);
    world_term(&w);
}

/*
 * The cells hold the days of the subject's rows, not every day up to the
 * cutoff: rows of January 2024 and a cutoff in the year 9999 give a month's
 * cells (they were 2.9 million days), with the same values at the end.
 */
Test(aggregate, window_follows_the_rows)
{
    struct world w;
    struct cells cells;
    int32_t g;

    world_init(&w, false);
    g = world_conn(&w, PLATFORM_GITHUB);
    world_contribution(&w, g, "2024-01-05", 3, 0, 0, 0);
    world_contribution(&w, g, "2024-01-20", 4, 0, 0, 0);
    world_repo(&w, g, "2024-01-25T12:00:00Z", 5, 0, 0, 0);
    world_cells(&w, "9999-12-30", day_of("2023-12-31"), &cells);
    cr_expect_leq(cells.n, 31, "%d days of cells", cells.n);
    cr_expect_eq((long long) cells_through(&cells, S_COMMITS, day_of("2024-01-19")), 3);
    cr_expect_eq((long long) cells_through(&cells, S_COMMITS, day_of("9999-12-30")), 7);
    cr_expect_eq((long long) cells_over(&cells, S_COMMITS, day_of("9000-01-01"),
                                        day_of("9999-12-30")), 0);
    cr_expect_eq((long long) cells_through(&cells, S_STARS, day_of("9999-12-30")), 5);
    cr_expect_eq((long long) cells_over(&cells, S_ACTIVE_DAYS, day_of("2024-01-01"),
                                        day_of("9999-12-30")), 2);
    cells_term(&cells);
    world_term(&w);
}

/* Sums past 32 bits stay exact. */
Test(aggregate, sums_past_32_bits)
{
    struct world w;
    struct cells cells;
    int32_t g;

    world_init(&w, false);
    g = world_conn(&w, PLATFORM_GITHUB);
    world_contribution(&w, g, "2024-01-01", INT32_MAX, 0, 0, 0);
    world_contribution(&w, g, "2024-01-02", INT32_MAX, 0, 0, 0);
    world_contribution(&w, g, "2024-01-03", INT32_MAX, 0, 0, 0);
    world_cells(&w, "2024-01-31", day_of("2023-12-31"), &cells);
    cr_expect_eq((long long) cells_through(&cells, S_COMMITS, day_of("2024-01-31")),
                 6442450941LL, "3 x 2147483647");
    cells_term(&cells);
    world_term(&w);
}

/*
 * Local days by zone: three repositories created at 2024-02-28 23:30,
 * 2024-03-03 03:00 and 2024-03-03 20:00 UTC, cutoff 2024-03-03.  Their
 * local dates, by hand, for each offset:
 *   UTC     02-28, 03-03, 03-03
 *   +05:30  02-29, 03-03, 03-04 (after the cutoff)
 *   -05:00  02-28, 03-02, 03-03
 *   +14:00  02-29, 03-03, 03-04 (after the cutoff)
 *   -12:00  02-28, 03-02, 03-03
 */
struct zone_case {
    int32_t offset;
    char day[11];
    long long want;           /* repositories through day */
    char first_day[11];
};

static struct zone_case zone_cases[] = {
    {0, "2024-02-28", 1, "2024-02-28"},
    {0, "2024-03-03", 3, "2024-02-28"},
    {19800, "2024-02-28", 0, "2024-02-29"},
    {19800, "2024-02-29", 1, "2024-02-29"},
    {19800, "2024-03-03", 2, "2024-02-29"},
    {-18000, "2024-03-02", 2, "2024-02-28"},
    {-18000, "2024-03-03", 3, "2024-02-28"},
    {50400, "2024-03-10", 2, "2024-02-29"},
    {-43200, "2024-03-02", 2, "2024-02-28"},
};

ParameterizedTestParameters(aggregate, local_days_by_zone)
{
    return cr_make_param_array(struct zone_case, zone_cases, sizeof zone_cases / sizeof zone_cases[0]);
}

ParameterizedTest(struct zone_case *c, aggregate, local_days_by_zone)
{
    struct world w;
    struct cells cells;
    int32_t g;

    world_init(&w, false);
    world_fixed_zone(&w, c->offset);
    g = world_conn(&w, PLATFORM_GITHUB);
    world_repo(&w, g, "2024-02-28T23:30:00Z", 1, 0, 0, 0);
    world_repo(&w, g, "2024-03-03T20:00:00Z", 1, 0, 0, 0);
    world_repo(&w, g, "2024-03-03T03:00:00Z", 1, 0, 0, 0);
    world_cells(&w, WORLD_CUTOFF, day_of("2024-01-01"), &cells);
    cr_expect_eq((long long) cells_through(&cells, S_REPOSITORIES, day_of(c->day)), c->want,
                 "offset %d s, through %s", c->offset, c->day);
    cr_expect_eq(cells.first_day[PLATFORM_GITHUB], day_of(c->first_day), "offset %d s", c->offset);
    cells_term(&cells);
    world_term(&w);
}

/* A row whose local day comes before its UTC day still has a day of its
 * own in the window: 2024-03-03 03:00 UTC is 03-02 22:00 at -05:00. */
Test(aggregate, window_starts_a_day_before_the_first_utc_day)
{
    struct world w;
    struct cells cells;
    int32_t g;

    world_init(&w, false);
    world_fixed_zone(&w, -18000);
    g = world_conn(&w, PLATFORM_GITHUB);
    world_repo(&w, g, "2024-03-03T03:00:00Z", 4, 0, 0, 0);
    world_cells(&w, WORLD_CUTOFF, day_of("2024-01-01"), &cells);
    cr_expect_eq((long long) cells_through(&cells, S_REPOSITORIES, day_of("2024-03-01")), 0);
    cr_expect_eq((long long) cells_through(&cells, S_STARS, day_of("2024-03-02")), 4);
    cells_term(&cells);
    world_term(&w);
}

/* Europe/Berlin in 2024, written by hand: CET (+1), CEST (+2) from
 * 2024-03-31 01:00 UTC, CET again from 2024-10-27 01:00 UTC. */
static void
berlin_2024(struct world *w)
{
    const int64_t from[3] = {TS_NEG_INF, instant_of("2024-03-31T01:00:00Z"),
                             instant_of("2024-10-27T01:00:00Z")};
    const int32_t offset[3] = {3600, 7200, 3600};

    world_zone(w, 3, from, offset);
}

/* An article at 2024-03-31 22:30 UTC is 2024-04-01 00:30 in Berlin (CEST);
 * one at 2024-10-27 22:30 UTC is 23:30 on 10-27 (CET again). */
Test(aggregate, dst_switch_moves_local_days)
{
    struct world w;
    struct cells cells;
    int32_t d;

    world_init(&w, false);
    berlin_2024(&w);
    d = world_conn(&w, PLATFORM_DEVTO);
    world_article(&w, d, "2024-03-31T22:30:00Z", 10, 1, 0);
    world_article(&w, d, "2024-10-27T22:30:00Z", 20, 2, 0);
    world_cells(&w, "2024-12-31", day_of("2024-01-01"), &cells);
    cr_expect_eq((long long) cells_through(&cells, S_ARTICLES, day_of("2024-03-31")), 0);
    cr_expect_eq((long long) cells_through(&cells, S_ARTICLES, day_of("2024-04-01")), 1);
    cr_expect_eq((long long) cells_over(&cells, S_ARTICLE_VIEWS, day_of("2024-10-27"),
                                        day_of("2024-10-27")), 20);
    cr_expect_eq((long long) cells_through(&cells, S_ARTICLE_REACTIONS, day_of("2024-12-31")), 3);
    cr_expect_eq(cells.first_day[PLATFORM_DEVTO], day_of("2024-04-01"));
    cells_term(&cells);
    world_term(&w);
}

/* The cutoff day of an as-of instant is its local date minus one: by zone. */
struct cutoff_case {
    char as_of[32];
    int32_t offset;           /* fixed; 1: the Berlin segments above */
    char cutoff[11];
};

static struct cutoff_case cutoff_cases[] = {
    {"2024-03-04T03:00:00Z", 0, "2024-03-03"},
    {"2024-03-04T03:00:00Z", -18000, "2024-03-02"},     /* 22:00 on 03-03 */
    {"2024-03-03T20:00:00Z", 19800, "2024-03-03"},      /* 01:30 on 03-04 */
    {"2024-03-31T21:59:59Z", 1, "2024-03-30"},          /* 23:59:59 CEST */
    {"2024-03-31T22:00:00Z", 1, "2024-03-31"},          /* 00:00 CEST on 04-01 */
    {"2024-10-27T22:59:59Z", 1, "2024-10-26"},          /* 23:59:59 CET */
    {"2024-10-27T23:00:00Z", 1, "2024-10-27"},
    {"2000-01-01T00:30:00+01:00", 0, "1999-12-30"},     /* 1999-12-31 23:30 UTC */
};

ParameterizedTestParameters(aggregate, cutoff_by_zone)
{
    return cr_make_param_array(struct cutoff_case, cutoff_cases,
                               sizeof cutoff_cases / sizeof cutoff_cases[0]);
}

ParameterizedTest(struct cutoff_case *c, aggregate, cutoff_by_zone)
{
    struct world w;

    world_init(&w, false);
    if (c->offset == 1)
        berlin_2024(&w);
    else
        world_fixed_zone(&w, c->offset);
    cr_expect_eq(tz_local_day(&w.zones.zones[0], instant_of(c->as_of)) - 1, day_of(c->cutoff),
                 "%s at %d", c->as_of, c->offset);
    world_term(&w);
}

Test(aggregate, infinities_stay_infinite)
{
    struct world w;

    world_init(&w, false);
    berlin_2024(&w);
    cr_expect_eq(tz_local_day(&w.zones.zones[0], TS_POS_INF), DAY_POS_INF);
    cr_expect_eq(tz_local_day(&w.zones.zones[0], TS_NEG_INF), DAY_NEG_INF);
    world_term(&w);
}
