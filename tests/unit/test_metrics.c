/*
 * test_metrics.c: cells -> rows and goal values (metrics.c), on the
 * hand-built world of world.h: the buckets a range needs, which platform
 * rows a subject gets, the exact COPY text of a row and its JSON, goal
 * values by SPEC.md section 7's rules, exact percentages.
 *
 * Every expected JSON document and value is worked out by hand from
 * world_example's rows (world.c), cutoff 2024-03-03 (a Sunday).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "metrics.h"
#include "strbuf.h"
#include "world.h"

/* ------------------------------------------------------------ buckets */

struct plan_case {
    char what[48];
    char lo[11], hi[11];
    char want[400];           /* "type start last; ..." in the order planned */
};

static struct plan_case plan_cases[] = {
    {"a leap day, a Thursday", "2024-02-29", "2024-02-29",
     "monthly 2024-02-01 2024-02-29; weekly 2024-02-26 2024-03-03; daily 2024-02-29 2024-02-29"},
    {"ISO week 53 of 2020", "2021-01-01", "2021-01-01",
     "weekly 2020-12-28 2021-01-03; daily 2021-01-01 2021-01-01; monthly 2021-01-01 2021-01-31"},
    {"ISO week 53 of 2026 across the year", "2026-12-31", "2027-01-01",
     "monthly 2026-12-01 2026-12-31; weekly 2026-12-28 2027-01-03; daily 2026-12-31 2026-12-31;"
     " daily 2027-01-01 2027-01-01; monthly 2027-01-01 2027-01-31"},
    {"a DST day is a day like any other", "2024-03-31", "2024-03-31",
     "monthly 2024-03-01 2024-03-31; weekly 2024-03-25 2024-03-31; daily 2024-03-31 2024-03-31"},
    {"across a month end", "2024-01-30", "2024-02-01",
     "monthly 2024-01-01 2024-01-31; weekly 2024-01-29 2024-02-04; daily 2024-01-30 2024-01-30;"
     " daily 2024-01-31 2024-01-31; daily 2024-02-01 2024-02-01; monthly 2024-02-01 2024-02-29"},
    {"February of a year that is not leap", "2023-02-28", "2023-02-28",
     "monthly 2023-02-01 2023-02-28; weekly 2023-02-27 2023-03-05; daily 2023-02-28 2023-02-28"},
    {"an empty range", "2024-03-02", "2024-03-01", ""},
};

ParameterizedTestParameters(buckets, plan)
{
    return cr_make_param_array(struct plan_case, plan_cases, sizeof plan_cases / sizeof plan_cases[0]);
}

ParameterizedTest(struct plan_case *c, buckets, plan)
{
    struct bucket *b;
    char got[400] = "", start[16], last[16];
    int n = metrics_plan_buckets(day_of(c->lo), day_of(c->hi), &b);

    cr_assert_geq(n, 0);
    for (int i = 0; i < n; i++) {
        cal_format_date(b[i].start, start);
        cal_format_date(b[i].last, last);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s %s %s", i ? "; " : "",
                 cal_bucket_name(b[i].type), start, last);
    }
    cr_expect_str_eq(got, c->want, "%s", c->what);
    free(b);
}

/* ------------------------------------------------------------ which rows */

struct count_case {
    char lo[11], hi[11];
    size_t want;
    size_t youtube_weekly;    /* by_kind[youtube][weekly] */
};

/* Platforms in key order: all, devto, github, youtube.  github's first day
 * is 2023-06-01 (the first repository), youtube's 2024-02-10 (the first
 * video), devto is not covered. */
static struct count_case count_cases[] = {
    /* 31 days + 5 weeks (from Monday 01-01) + 1 month, for all and github;
     * youtube: none (the week of 01-29 ends 02-04, before 02-10) */
    {"2024-01-01", "2024-01-31", 2 * 37, 0},
    /* all 3, github 3, youtube 2 (not the day, 02-09 < 02-10) */
    {"2024-02-09", "2024-02-09", 8, 1},
    {"2024-02-10", "2024-02-10", 9, 1},
    /* only the week of 05-29 .. 06-04 reaches 06-01: all and github */
    {"2023-05-31", "2023-05-31", 2, 0},
    {"2023-05-01", "2023-05-28", 0, 0},
};

ParameterizedTestParameters(rows, count)
{
    return cr_make_param_array(struct count_case, count_cases,
                               sizeof count_cases / sizeof count_cases[0]);
}

ParameterizedTest(struct count_case *c, rows, count)
{
    struct world w;
    struct cells cells;
    struct bucket *b;
    size_t by_kind[4][N_BUCKET_TYPES] = {{0}};
    int32_t g, y;
    int n;

    world_example(&w, &g, &y);
    n = metrics_plan_buckets(day_of(c->lo), day_of(c->hi), &b);
    cr_assert_geq(n, 0);
    world_cells(&w, WORLD_CUTOFF, day_of(c->lo) - 1, &cells);
    cr_expect_eq(metrics_count_rows(&w.subject, &cells, b, n, by_kind), c->want, "%s .. %s",
                 c->lo, c->hi);
    cr_expect_eq(by_kind[3][BUCKET_WEEKLY], c->youtube_weekly, "%s .. %s", c->lo, c->hi);
    cr_expect_eq(by_kind[1][BUCKET_DAILY] + by_kind[1][BUCKET_WEEKLY] + by_kind[1][BUCKET_MONTHLY], 0,
                 "devto: not covered");
    cr_expect_leq(c->want, metrics_max_rows(&w.subject, n));
    free(b);
    cells_term(&cells);
    world_term(&w);
}

Test(rows, max_rows_counts_live_platforms)
{
    struct world w;
    int32_t g, y;

    world_example(&w, &g, &y);
    cr_expect_eq(metrics_max_rows(&w.subject, 4), 12, "4 buckets x (all, github, youtube)");
    world_live(&w, PLATFORM_DEVTO);
    cr_expect_eq(metrics_max_rows(&w.subject, 4), 16);
    world_term(&w);
}

/* ------------------------------------------------------------ the COPY text */

static const struct row_ids ids = {UINT64_C(0x0123456789ab), UINT32_C(0xdeadbeef)};

/* The rows of one bucket, as metrics_format_rows writes them (malloc'd). */
static char *
format_bucket(struct world *w, enum bucket_type type, const char *start, uint64_t seq)
{
    struct bucket b = {type, day_of(start), cal_bucket_last(type, day_of(start))};
    struct cells cells;
    struct strbuf out;
    char *text;

    cr_assert_eq(b.start, cal_bucket_start(type, b.start), "%s is no %s start", start,
                 cal_bucket_name(type));
    world_cells(w, WORLD_CUTOFF, (int64_t) b.start - 1, &cells);
    strbuf_init(&out);
    metrics_format_rows(&w->src, &w->subject, &cells, &b, 1, &ids, seq, &out);
    cr_assert_not(out.failed);
    text = strdup(out.data ? out.data : "");
    strbuf_term(&out);
    cells_term(&cells);
    return text;
}

#define GITHUB_DAILY_0229 \
    "{\"commits\": 3, \"pull_requests\": 1, \"issues\": 1, \"active_days\": 1," \
    " \"repositories_contributed_to\": 5, \"total_commits\": 14, \"repositories_count\": 2," \
    " \"new_repositories\": 0, \"total_stars\": 6, \"total_forks\": 1, \"total_watchers\": 3," \
    " \"total_open_issues\": 3}"
#define YOUTUBE_DAILY_0229 \
    "{\"total_subscribers\": 110, \"total_views\": 1500, \"subscribers_gained\": 0," \
    " \"views_gained\": 0, \"total_videos\": 1, \"videos_published\": 0, \"video_likes\": 4," \
    " \"video_comments\": 1}"

/* id (the run's ms, version 7, the sequence number, variant, the run's
 * tag), user, workspace (\N), platform, type, date, metrics: by hand. */
Test(rows, copy_text_of_a_personal_bucket)
{
    struct world w;
    int32_t g, y;
    char *text;

    world_example(&w, &g, &y);
    text = format_bucket(&w, BUCKET_DAILY, "2024-02-29", 1);
    cr_expect_str_eq(text,
        "01234567-89ab-7000-8000-0001deadbeef\t" WORLD_PROFILE "\t\\N\tall\tdaily\t2024-02-29\t"
        "{\"github\": " GITHUB_DAILY_0229 ", \"youtube\": " YOUTUBE_DAILY_0229 "}\n"
        "01234567-89ab-7000-8000-0002deadbeef\t" WORLD_PROFILE "\t\\N\tgithub\tdaily\t2024-02-29\t"
        "{\"github\": " GITHUB_DAILY_0229 "}\n"
        "01234567-89ab-7000-8000-0003deadbeef\t" WORLD_PROFILE "\t\\N\tyoutube\tdaily\t2024-02-29\t"
        "{\"youtube\": " YOUTUBE_DAILY_0229 "}\n");
    free(text);
    world_term(&w);
}

/* A workspace's rows carry its owner and its id; a sequence number past
 * 2^30 shows in the id's third group. */
Test(rows, copy_text_of_a_workspace_bucket)
{
    struct world w;
    int32_t d;
    char *text;

    world_init(&w, true);
    d = world_conn(&w, PLATFORM_DEVTO);
    world_article(&w, d, "2024-02-29T08:00:00Z", 7, 2, 1);
    text = format_bucket(&w, BUCKET_MONTHLY, "2024-02-01", (UINT64_C(1) << 30) + 5);
    cr_expect_str_eq(text,
        "01234567-89ab-7001-8000-0005deadbeef\t" WORLD_PROFILE "\t" WORLD_WORKSPACE
        "\tall\tmonthly\t2024-02-01\t"
        "{\"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 7,"
        " \"total_reactions\": 2, \"total_comments\": 1}}\n"
        "01234567-89ab-7001-8000-0006deadbeef\t" WORLD_PROFILE "\t" WORLD_WORKSPACE
        "\tdevto\tmonthly\t2024-02-01\t"
        "{\"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 7,"
        " \"total_reactions\": 2, \"total_comments\": 1}}\n");
    free(text);
    world_term(&w);
}

/* The metrics of one platform row, "" when the subject gets no such row. */
struct json_case {
    char what[48];
    enum bucket_type type;
    char start[11];
    char platform[8];
    char want[1024];
};

#define GITHUB_WEEK_0226 \
    "{\"commits\": 4, \"pull_requests\": 1, \"issues\": 1, \"active_days\": 2," \
    " \"repositories_contributed_to\": 5, \"total_commits\": 14, \"repositories_count\": 2," \
    " \"new_repositories\": 1, \"total_stars\": 6, \"total_forks\": 1, \"total_watchers\": 3," \
    " \"total_open_issues\": 3}"
#define YOUTUBE_WEEK_0226 \
    "{\"total_subscribers\": 105, \"total_views\": 1600, \"subscribers_gained\": 5," \
    " \"views_gained\": 600, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 6," \
    " \"video_comments\": 1}"

static struct json_case json_cases[] = {
    {"week of 02-26, github", BUCKET_WEEKLY, "2024-02-26", "github", "{\"github\": " GITHUB_WEEK_0226 "}"},
    {"week of 02-26, youtube", BUCKET_WEEKLY, "2024-02-26", "youtube",
     "{\"youtube\": " YOUTUBE_WEEK_0226 "}"},
    {"week of 02-26, all", BUCKET_WEEKLY, "2024-02-26", "all",
     "{\"github\": " GITHUB_WEEK_0226 ", \"youtube\": " YOUTUBE_WEEK_0226 "}"},
    {"February, github", BUCKET_MONTHLY, "2024-02-01", "github",
     "{\"github\": {\"commits\": 4, \"pull_requests\": 1, \"issues\": 1, \"active_days\": 2,"
     " \"repositories_contributed_to\": 5, \"total_commits\": 14, \"repositories_count\": 2,"
     " \"new_repositories\": 1, \"total_stars\": 6, \"total_forks\": 1, \"total_watchers\": 3,"
     " \"total_open_issues\": 3}}"},
    {"February, youtube: gained from nothing", BUCKET_MONTHLY, "2024-02-01", "youtube",
     "{\"youtube\": {\"total_subscribers\": 110, \"total_views\": 1500, \"subscribers_gained\": 110,"
     " \"views_gained\": 1500, \"total_videos\": 1, \"videos_published\": 1, \"video_likes\": 4,"
     " \"video_comments\": 1}}"},
    {"March to the cutoff, github", BUCKET_MONTHLY, "2024-03-01", "github",
     "{\"github\": {\"commits\": 0, \"pull_requests\": 0, \"issues\": 0, \"active_days\": 0,"
     " \"repositories_contributed_to\": 1, \"total_commits\": 14, \"repositories_count\": 2,"
     " \"new_repositories\": 0, \"total_stars\": 6, \"total_forks\": 1, \"total_watchers\": 3,"
     " \"total_open_issues\": 3}}"},
    {"March to the cutoff, youtube: a loss", BUCKET_MONTHLY, "2024-03-01", "youtube",
     "{\"youtube\": {\"total_subscribers\": 105, \"total_views\": 1600, \"subscribers_gained\": -5,"
     " \"views_gained\": 100, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 6,"
     " \"video_comments\": 1}}"},
    {"January, github", BUCKET_MONTHLY, "2024-01-01", "github",
     "{\"github\": {\"commits\": 10, \"pull_requests\": 0, \"issues\": 0, \"active_days\": 1,"
     " \"repositories_contributed_to\": 7, \"total_commits\": 10, \"repositories_count\": 1,"
     " \"new_repositories\": 0, \"total_stars\": 5, \"total_forks\": 1, \"total_watchers\": 2,"
     " \"total_open_issues\": 0}}"},
    {"January, youtube: before its first day", BUCKET_MONTHLY, "2024-01-01", "youtube", ""},
    {"June 2023, all: youtube live, all zeros", BUCKET_MONTHLY, "2023-06-01", "all",
     "{\"github\": {\"commits\": 0, \"pull_requests\": 0, \"issues\": 0, \"active_days\": 0,"
     " \"repositories_contributed_to\": 0, \"total_commits\": 0, \"repositories_count\": 1,"
     " \"new_repositories\": 1, \"total_stars\": 5, \"total_forks\": 1, \"total_watchers\": 2,"
     " \"total_open_issues\": 0}, \"youtube\": {\"total_subscribers\": 0, \"total_views\": 0,"
     " \"subscribers_gained\": 0, \"views_gained\": 0, \"total_videos\": 0, \"videos_published\": 0,"
     " \"video_likes\": 0, \"video_comments\": 0}}"},
    {"May 2023, all: before every first day", BUCKET_MONTHLY, "2023-05-01", "all", ""},
    {"devto is not covered", BUCKET_WEEKLY, "2024-02-26", "devto", ""},
};

ParameterizedTestParameters(rows, metrics_json)
{
    return cr_make_param_array(struct json_case, json_cases, sizeof json_cases / sizeof json_cases[0]);
}

/* The 7th column of the line whose 4th is platform, into out ("" if none). */
static void
metrics_of(const char *text, const char *platform, char *out, size_t size)
{
    out[0] = '\0';
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n'), *col[7] = {line};

        cr_assert_not_null(end);
        for (int i = 1; i < 7; i++) {
            col[i] = strchr(col[i - 1], '\t');
            cr_assert(col[i] != NULL && col[i] < end, "a row of 7 columns");
            col[i]++;
        }
        if ((size_t) (col[4] - col[3] - 1) == strlen(platform) &&
            strncmp(col[3], platform, strlen(platform)) == 0) {
            snprintf(out, size, "%.*s", (int) (end - col[6]), col[6]);
            return;
        }
        line = end + 1;
    }
}

ParameterizedTest(struct json_case *c, rows, metrics_json)
{
    struct world w;
    int32_t g, y;
    char *text, got[1024];

    world_example(&w, &g, &y);
    text = format_bucket(&w, c->type, c->start, 0);
    metrics_of(text, c->platform, got, sizeof got);
    cr_expect_str_eq(got, c->want, "%s", c->what);
    free(text);
    world_term(&w);
}

/* Integers past 32 bits and below zero, as they are. */
Test(rows, metrics_json_big_and_negative)
{
    struct world w;
    int32_t g, y;
    char *text, got[1024];

    world_init(&w, false);
    g = world_conn(&w, PLATFORM_GITHUB);
    y = world_conn(&w, PLATFORM_YOUTUBE);
    world_contribution(&w, g, "2024-03-01", INT32_MAX, 0, 0, 0);
    world_contribution(&w, g, "2024-03-02", INT32_MAX, 0, 0, 0);
    world_stat(&w, y, "2024-02-29", INT64_C(9000000000000000000), 0);
    world_stat(&w, y, "2024-03-01", 0, 0);
    text = format_bucket(&w, BUCKET_WEEKLY, "2024-02-26", 0);
    metrics_of(text, "github", got, sizeof got);
    cr_expect_str_eq(got,
        "{\"github\": {\"commits\": 4294967294, \"pull_requests\": 0, \"issues\": 0,"
        " \"active_days\": 2, \"repositories_contributed_to\": 0, \"total_commits\": 4294967294,"
        " \"repositories_count\": 0, \"new_repositories\": 0, \"total_stars\": 0,"
        " \"total_forks\": 0, \"total_watchers\": 0, \"total_open_issues\": 0}}");
    metrics_of(text, "youtube", got, sizeof got);
    cr_expect_str_eq(got,
        "{\"youtube\": {\"total_subscribers\": 0, \"total_views\": 0, \"subscribers_gained\": 0,"
        " \"views_gained\": 0, \"total_videos\": 0, \"videos_published\": 0, \"video_likes\": 0,"
        " \"video_comments\": 0}}");
    free(text);
    text = format_bucket(&w, BUCKET_DAILY, "2024-03-01", 0);
    metrics_of(text, "youtube", got, sizeof got);
    cr_expect_str_eq(got,
        "{\"youtube\": {\"total_subscribers\": 0, \"total_views\": 0,"
        " \"subscribers_gained\": -9000000000000000000, \"views_gained\": 0, \"total_videos\": 0,"
        " \"videos_published\": 0, \"video_likes\": 0, \"video_comments\": 0}}");
    free(text);
    world_term(&w);
}

/* ------------------------------------------------------------ goals */

enum want { VALUE, SKIPPED };

struct goal_case {
    char what[56];
    char platform[10], goal_type[16], unit[12];
    char start[11], end[11];  /* end "": open-ended */
    bool negative;
    enum want outcome;
    char want[48];            /* the value, or a phrase of the reason */
};

static struct goal_case goal_cases[] = {
    {"stars: a stock as of the cutoff", "github", "stars", "count", "2024-01-01", "", false, VALUE, "6"},
    {"commits: a flow over start..end", "github", "commits", "count", "2024-02-28", "2024-03-01", false, VALUE, "3"},
    {"commits: all of them up to the cutoff", "github", "commits", "count", "2024-01-01", "", false, VALUE, "14"},
    {"commits: end after the cutoff stops at it", "github", "commits", "count", "2024-02-29", "2024-03-10", false, VALUE, "3"},
    {"stars: end before the cutoff", "github", "stars", "count", "2024-01-01", "2024-02-27", false, VALUE, "5"},
    {"repositories as of the end", "github", "repositories", "count", "2023-01-01", "2024-02-27", false, VALUE, "1"},
    {"stars: 100 * (6 - 5) / 5", "github", "stars", "percentage", "2024-02-28", "", false, VALUE, "20.00"},
    {"subscribers: 100 * (105 - 100) / 100", "youtube", "subscribers", "percentage", "2024-02-21", "", false, VALUE, "5.00"},
    {"views: 100 * 100 / 1500 rounded", "youtube", "views", "percentage", "2024-02-29", "", false, VALUE, "6.67"},
    {"subscribers: a loss, 100 * -5 / 110", "youtube", "subscribers", "percentage", "2024-03-01", "", false, VALUE, "-4.55"},
    {"all views: youtube 1600 + devto none", "all", "views", "count", "2024-01-01", "", false, VALUE, "1600"},
    {"all views in percent", "all", "views", "percentage", "2024-02-29", "", false, VALUE, "6.67"},
    {"all commits: github's flow", "all", "commits", "count", "2024-02-29", "", false, VALUE, "3"},
    {"all likes: youtube's video_likes", "all", "likes", "count", "2024-01-01", "", false, VALUE, "6"},
    {"devto articles, not covered", "devto", "articles", "count", "2024-01-01", "", false, VALUE, "0"},
    {"rule 2: starts after the cutoff", "github", "stars", "count", "2024-03-04", "", false, VALUE, "0"},
    {"rule 2: the cutoff, not the end, is evaluated", "github", "stars", "percentage", "2024-03-05", "2024-03-10", false, VALUE, "0"},
    {"rule 2 before rule 3 (zero baseline)", "devto", "articles", "percentage", "2024-03-10", "", false, VALUE, "0"},
    {"rule 3: zero baseline", "youtube", "subscribers", "percentage", "2024-02-01", "", false, SKIPPED, "zero baseline"},
    {"rule 1: percentage of a flow", "github", "commits", "percentage", "2024-01-01", "", false, SKIPPED, "flow"},
    {"rule 1: unknown pair", "github", "subscribers", "count", "2024-01-01", "", false, SKIPPED, "platform/goal_type"},
    {"rule 1: unknown platform", "gitlab", "stars", "count", "2024-01-01", "", false, SKIPPED, "platform/goal_type"},
    {"rule 1: unknown unit", "github", "stars", "percent", "2024-01-01", "", false, SKIPPED, "unknown unit"},
    {"rule 1: negative target", "github", "stars", "count", "2024-01-01", "", true, SKIPPED, "negative"},
    {"rule 1: ends before it starts", "github", "stars", "count", "2024-02-02", "2024-02-01", false, SKIPPED, "ends before"},
    {"rule 1 before rule 2", "github", "commits", "percentage", "2024-03-10", "", false, SKIPPED, "flow"},
};

ParameterizedTestParameters(goal_values, rules)
{
    return cr_make_param_array(struct goal_case, goal_cases, sizeof goal_cases / sizeof goal_cases[0]);
}

ParameterizedTest(struct goal_case *c, goal_values, rules)
{
    struct world w;
    struct cells cells;
    struct goal_result r;
    struct goal g = {
        .user = 0, .workspace = -1, .platform = c->platform, .goal_type = c->goal_type,
        .unit = c->unit, .target_value = c->negative ? "-1" : "10",
        .target_negative = c->negative, .start_date = day_of(c->start),
        .end_date = c->end[0] ? day_of(c->end) : DAY_POS_INF,
    };
    int32_t gh, yt;

    world_example(&w, &gh, &yt);
    world_cells(&w, WORLD_CUTOFF, day_of("2023-01-01"), &cells);
    metrics_goal_value(&w.src, &w.subject, &cells, &g, &r);
    if (c->outcome == VALUE) {
        cr_assert_eq(r.outcome, GOAL_VALUE, "%s: skipped (%s)", c->what, r.reason);
        cr_expect_str_eq(r.value, c->want, "%s", c->what);
    } else {
        cr_assert_eq(r.outcome, GOAL_SKIPPED, "%s: valued %s", c->what, r.value);
        cr_expect_not_null(strstr(r.reason, c->want), "%s: %s", c->what, r.reason);
    }
    cells_term(&cells);
    world_term(&w);
}

struct need_case {
    char what[40];
    char start[11], end[11];  /* "-infinity" and "" (open) allowed */
    char cutoff[11];
    char want[11];            /* the day, or "" for INT64_MAX (none needed) */
};

static struct need_case need_cases[] = {
    {"the day before start", "2024-02-01", "", "2024-03-03", "2024-01-31"},
    {"start on the cutoff", "2024-03-03", "", "2024-03-03", "2024-03-02"},
    {"start after the cutoff", "2024-03-04", "", "2024-03-03", ""},
    {"ends before it starts", "2024-02-11", "2024-02-10", "2024-03-03", ""},
    {"start -infinity", "-infinity", "", "2024-03-03", "-infinity"},
};

ParameterizedTestParameters(goal_values, need_from)
{
    return cr_make_param_array(struct need_case, need_cases, sizeof need_cases / sizeof need_cases[0]);
}

ParameterizedTest(struct need_case *c, goal_values, need_from)
{
    bool neg = strcmp(c->start, "-infinity") == 0;
    struct goal g = {
        .start_date = neg ? DAY_NEG_INF : day_of(c->start),
        .end_date = c->end[0] ? day_of(c->end) : DAY_POS_INF,
    };
    int64_t want = c->want[0] == '\0' ? INT64_MAX
                 : strcmp(c->want, "-infinity") == 0 ? (int64_t) INT32_MIN - 1 : day_of(c->want);

    cr_expect_eq(metrics_goal_need_from(&g, day_of(c->cutoff)), want, "%s", c->what);
}

struct percentage_case {
    long long v, b;
    char want[32];
};

/* round(100 * (v - b) / b, 2), half away from zero, as numeric's round(). */
static struct percentage_case percentage_cases[] = {
    {6, 5, "20.00"},
    {7, 7, "0.00"},
    {0, 7, "-100.00"},
    {1, 3, "-66.67"},
    {2, 3, "-33.33"},
    {3, 8, "-62.50"},
    {20001, 20000, "0.01"},         /* 0.005 up */
    {19999, 20000, "-0.01"},        /* -0.005 down */
    {-5, 3, "-266.67"},
    {INT64_C(100000000000000001), 1, "10000000000000000000.00"},
};

ParameterizedTestParameters(goal_values, percentage)
{
    return cr_make_param_array(struct percentage_case, percentage_cases,
                               sizeof percentage_cases / sizeof percentage_cases[0]);
}

ParameterizedTest(struct percentage_case *c, goal_values, percentage)
{
    char buf[48];

    metrics_percentage(c->v, c->b, buf, sizeof buf);
    cr_expect_str_eq(buf, c->want, "v %lld, b %lld: %s", c->v, c->b, buf);
}

static const char *
int128_text(agg_sum v, char *buf)
{
    *strbuf_put_int128(buf, v) = '\0';
    return buf;
}

/* Values past int64, as snapshot rows and goals write them. */
Test(goal_values, int128_digits)
{
    char buf[STRBUF_INT128_MAX + 1];
    agg_sum m64 = INT64_MAX, max = (agg_sum) (((unsigned __int128) 1 << 127) - 1);

    cr_expect_str_eq(int128_text(0, buf), "0");
    cr_expect_str_eq(int128_text(-1, buf), "-1");
    cr_expect_str_eq(int128_text(m64, buf), "9223372036854775807");
    cr_expect_str_eq(int128_text(-m64 - 1, buf), "-9223372036854775808");
    cr_expect_str_eq(int128_text(m64 + 1, buf), "9223372036854775808");
    cr_expect_str_eq(int128_text(-m64 - 2, buf), "-9223372036854775809");
    cr_expect_str_eq(int128_text(2 * m64, buf), "18446744073709551614");
    /* 10^19 and its neighbours: the groups of 19 digits */
    cr_expect_str_eq(int128_text((agg_sum) 10000000000000000000u, buf), "10000000000000000000");
    cr_expect_str_eq(int128_text((agg_sum) 10000000000000000000u - 1, buf), "9999999999999999999");
    cr_expect_str_eq(int128_text((agg_sum) 10000000000000000000u * 10000000000000000000u + 7, buf),
                     "100000000000000000000000000000000000007");
    cr_expect_str_eq(int128_text(max, buf), "170141183460469231731687303715884105727");
    cr_expect_str_eq(int128_text(-max - 1, buf), "-170141183460469231731687303715884105728");
}

/* Percentages of values past int64, exact where numeric division would keep
 * no decimals (each expected value: the exact quotient, worked out by hand). */
Test(goal_values, percentage_past_int64)
{
    char buf[64];
    agg_sum m64 = INT64_MAX;

    metrics_percentage(m64, 1, buf, sizeof buf);            /* 100 * (2^63 - 2) */
    cr_expect_str_eq(buf, "922337203685477580600.00");
    metrics_percentage(m64, 3, buf, sizeof buf);            /* 100 * (2^63 - 4) / 3 = ...133.333 */
    cr_expect_str_eq(buf, "307445734561825860133.33");
    metrics_percentage(2 * m64, 3, buf, sizeof buf);        /* 100 * (2^64 - 5) / 3 = ...6.666 */
    cr_expect_str_eq(buf, "614891469123651720366.67");
    metrics_percentage(1, m64, buf, sizeof buf);            /* -100 + 100 / M64: -99.99999... */
    cr_expect_str_eq(buf, "-100.00");
    metrics_percentage(-m64, 2 * m64, buf, sizeof buf);     /* 100 * -3 M64 / 2 M64 = -150 */
    cr_expect_str_eq(buf, "-150.00");
    /* 2^31 channels at M64 (the most a subject can hold) against one */
    metrics_percentage(m64 << 31, m64, buf, sizeof buf);    /* 100 * (2^31 - 1) */
    cr_expect_str_eq(buf, "214748364700.00");
}
