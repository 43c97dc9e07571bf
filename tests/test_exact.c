/*
 * test_exact.c: metrics and goals are exact integers whatever their size.
 *
 * Single values are limited by the schema (integer and bigint columns), but
 * sums over rows, connections and members are not: a workspace of two
 * YouTube channels near 2^63 has total_views near 2^64.  Every metric that
 * sums or subtracts is taken here at and past the int32 limit (github,
 * videos, devto: their columns are integers, and passing int64 with them
 * takes 2^32 rows) and the youtube totals and gains also at and past the
 * int64 limit, in snapshots of a person and of a workspace, and in goals
 * (count, percentage, workspace, `all`).  Values are compared with sums
 * worked out by hand (in the comments) and, row by row, with
 * tests/reference.sql, which computes in numeric.  (The 128-bit digits and
 * the percentages alone: tests/unit/test_metrics.c.)
 *
 * Data (all UTC; as of 2025-01-10 12:00, cutoff Jan 9; M32 = 2^31 - 1,
 * M64 = 2^63 - 1).  Workspace W of P1, P2 a member; each person has a
 * github, a youtube and a devto connection with an 'all' monitor in W.
 *   P1 github  contributions Jan 6: commits, PRs, issues M32 (rct 5);
 *                            Jan 8: commits M32 (rct 7)
 *              repositories  created Jan 2 and Jan 7: stars, forks,
 *                            watchers, open issues M32 each
 *   P1 youtube channel stats Jan 5 (1, 1), Jan 8 (M64, M64), Jan 9 (0, M64)
 *              videos        Jan 3 and Jan 7: likes, comments M32 each
 *   P1 devto   articles      Jan 4 and Jan 8: views, reactions, comments M32
 *   P2 github  contributions Jan 8: commits, PRs, issues M32 (rct 3)
 *   P2 youtube channel stats Jan 4 (3, M64), Jan 8 (M64, M64)
 *   P2 devto   articles      Jan 6: views, reactions, comments M32
 * (subscribers, views) per channel-stats row.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define AS_OF "2025-01-10T12:00:00Z"
#define M32 "2147483647"
#define M64 "9223372036854775807"

#define P1 "00000000-0000-0000-0000-000000000101"
#define P2 "00000000-0000-0000-0000-000000000102"
#define W "00000000-0000-0000-0000-000000000301"

static void
exact_data(struct fx_db *db)
{
    fx_exec(db,
        "INSERT INTO auth.users VALUES ('" P1 "'), ('" P2 "');"
        "INSERT INTO profiles (id, timezone) VALUES ('" P1 "', 'UTC'), ('" P2 "', 'UTC');"
        "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" W "', 'w', 'w', '" P1 "');"
        "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" W "', '" P2 "');"
        /* connections 2pp (person p, platform p: 1 github, 2 youtube, 3 devto) */
        "INSERT INTO platform_connections (id, user_id, platform, platform_user_id,"
        "  platform_username, access_token, is_active)"
        " SELECT ('00000000-0000-0000-0000-0000000002' || u || p)::uuid,"
        "        ('00000000-0000-0000-0000-00000000010' || u)::uuid,"
        "        (ARRAY['github', 'youtube', 'devto'])[p], 'pu', 'n', 't', true"
        " FROM generate_series(1, 2) u, generate_series(1, 3) p;"
        "INSERT INTO monitors (user_id, workspace_id, platform, platform_connection_id,"
        "  monitor_type, is_active)"
        " SELECT c.user_id, '" W "', c.platform, c.id, 'all', true FROM platform_connections c;"
        "INSERT INTO github_contributions (platform_connection_id, date, commits_count,"
        "  pull_requests_count, issues_count, repositories_contributed_to) VALUES"
        " ('00000000-0000-0000-0000-000000000211', '2025-01-06', " M32 ", " M32 ", " M32 ", 5),"
        " ('00000000-0000-0000-0000-000000000211', '2025-01-08', " M32 ", 0, 0, 7),"
        " ('00000000-0000-0000-0000-000000000221', '2025-01-08', " M32 ", " M32 ", " M32 ", 3);"
        "INSERT INTO github_repositories (platform_connection_id, github_repo_id, name, full_name,"
        "  html_url, created_at, updated_at, stars_count, forks_count, watchers_count,"
        "  open_issues_count)"
        " SELECT '00000000-0000-0000-0000-000000000211', n, 'r', 'o/r', 'u', d, now(),"
        "        " M32 ", " M32 ", " M32 ", " M32
        " FROM (VALUES (1, timestamptz '2025-01-02 10:00Z'), (2, '2025-01-07 10:00Z')) v(n, d);"
        "INSERT INTO youtube_channel_stats (platform_connection_id, date, subscriber_count,"
        "  total_views) VALUES"
        " ('00000000-0000-0000-0000-000000000212', '2025-01-05', 1, 1),"
        " ('00000000-0000-0000-0000-000000000212', '2025-01-08', " M64 ", " M64 "),"
        " ('00000000-0000-0000-0000-000000000212', '2025-01-09', 0, " M64 "),"
        " ('00000000-0000-0000-0000-000000000222', '2025-01-04', 3, " M64 "),"
        " ('00000000-0000-0000-0000-000000000222', '2025-01-08', " M64 ", " M64 ");"
        "INSERT INTO youtube_videos (platform_connection_id, youtube_video_id, title, published_at,"
        "  like_count, comment_count)"
        " SELECT '00000000-0000-0000-0000-000000000212', d::text, 't', d, " M32 ", " M32
        " FROM (VALUES (timestamptz '2025-01-03 10:00Z'), ('2025-01-07 10:00Z')) v(d);"
        "INSERT INTO devto_articles (platform_connection_id, devto_article_id, title, url,"
        "  published_at, view_count, reaction_count, comment_count)"
        " SELECT c::uuid, n, 't', 'u', d, " M32 ", " M32 ", " M32
        " FROM (VALUES ('00000000-0000-0000-0000-000000000213', 1, timestamptz '2025-01-04 10:00Z'),"
        "              ('00000000-0000-0000-0000-000000000213', 2, '2025-01-08 10:00Z'),"
        "              ('00000000-0000-0000-0000-000000000223', 3, '2025-01-06 10:00Z')) v(c, n, d)");
}

/* One metric of one snapshot row, as text ("" when the row is missing). */
static void
expect_metric(struct fx_db *db, const char *who, const char *platform, const char *type,
              const char *date, const char *key, const char *want)
{
    char sql[1024], *got;

    snprintf(sql, sizeof sql,
             "SELECT coalesce(max(metrics -> '%s' ->> '%s'), '') FROM analytics_snapshots"
             " WHERE %s AND platform = '%s' AND snapshot_type = '%s' AND snapshot_date = '%s'",
             strcmp(platform, "all") == 0 ? "youtube" : platform, key, who, platform, type, date);
    got = fx_text(db, sql);
    cr_expect_str_eq(got, want, "%s %s %s %s %s: %s, expected %s", who, platform, type, date,
                     key, got, want);
    free(got);
}

#define OF_P1 "workspace_id IS NULL AND user_id = '" P1 "'"
#define OF_W "workspace_id = '" W "'"

struct metric_want {
    const char *who, *platform, *type, *date, *key, *want;
};

static const struct metric_want metric_wants[] = {
    /* github: Jan 8, P1: commits M32; total_commits 2 M32; stars of two repositories 2 M32 */
    {OF_P1, "github", "daily", "2025-01-08", "commits", "2147483647"},
    {OF_P1, "github", "daily", "2025-01-08", "total_commits", "4294967294"},
    {OF_P1, "github", "daily", "2025-01-08", "total_stars", "4294967294"},
    {OF_P1, "github", "daily", "2025-01-08", "total_open_issues", "4294967294"},
    /* W, week of Jan 6: commits 2 M32 + M32; PRs, issues M32 + M32; active Jan 6 and 8
     * (Jan 8: commits + PRs + issues = 4 M32 over the two connections); rct 7 + 3 */
    {OF_W, "github", "weekly", "2025-01-06", "commits", "6442450941"},
    {OF_W, "github", "weekly", "2025-01-06", "pull_requests", "4294967294"},
    {OF_W, "github", "weekly", "2025-01-06", "issues", "4294967294"},
    {OF_W, "github", "weekly", "2025-01-06", "active_days", "2"},
    {OF_W, "github", "weekly", "2025-01-06", "repositories_contributed_to", "10"},
    {OF_W, "github", "weekly", "2025-01-06", "total_forks", "4294967294"},
    {OF_W, "github", "weekly", "2025-01-06", "new_repositories", "1"},
    /* youtube, W, Jan 8: M64 + M64 (the issue's -2); gained against Jan 7 (1 + 3, 1 + M64) */
    {OF_W, "youtube", "daily", "2025-01-08", "total_subscribers", "18446744073709551614"},
    {OF_W, "youtube", "daily", "2025-01-08", "total_views", "18446744073709551614"},
    {OF_W, "youtube", "daily", "2025-01-08", "subscribers_gained", "18446744073709551610"},
    {OF_W, "youtube", "daily", "2025-01-08", "views_gained", "9223372036854775806"},
    /* Jan 9: P1's channel falls to 0 subscribers: M64 in all, gained -M64 */
    {OF_W, "youtube", "daily", "2025-01-09", "total_subscribers", "9223372036854775807"},
    {OF_W, "youtube", "daily", "2025-01-09", "subscribers_gained", "-9223372036854775807"},
    {OF_W, "youtube", "daily", "2025-01-09", "views_gained", "0"},
    {OF_P1, "youtube", "daily", "2025-01-09", "subscribers_gained", "-9223372036854775807"},
    {OF_P1, "youtube", "daily", "2025-01-09", "total_views", "9223372036854775807"},
    /* week Dec 30 .. Jan 5: views 1 + M64 = 2^63, one past int64; against nothing before */
    {OF_W, "youtube", "weekly", "2024-12-30", "total_views", "9223372036854775808"},
    {OF_W, "youtube", "weekly", "2024-12-30", "views_gained", "9223372036854775808"},
    {OF_W, "youtube", "weekly", "2024-12-30", "total_subscribers", "4"},
    /* week Jan 6 .. 9 against Jan 5 (4, 1 + M64): M64 - 4, 2 M64 - 1 - M64 */
    {OF_W, "youtube", "weekly", "2025-01-06", "subscribers_gained", "9223372036854775803"},
    {OF_W, "youtube", "weekly", "2025-01-06", "views_gained", "9223372036854775806"},
    {OF_W, "youtube", "weekly", "2025-01-06", "video_likes", "4294967294"},
    {OF_W, "youtube", "weekly", "2025-01-06", "video_comments", "4294967294"},
    /* the 'all' row's youtube object: the same sums */
    {OF_W, "all", "monthly", "2025-01-01", "total_views", "18446744073709551614"},
    {OF_W, "all", "monthly", "2025-01-01", "subscribers_gained", "9223372036854775807"},
    /* devto, W, month: three articles of M32 */
    {OF_W, "devto", "monthly", "2025-01-01", "total_views", "6442450941"},
    {OF_W, "devto", "monthly", "2025-01-01", "total_reactions", "6442450941"},
    {OF_W, "devto", "monthly", "2025-01-01", "total_comments", "6442450941"},
    {OF_P1, "devto", "daily", "2025-01-08", "total_views", "4294967294"},
};

/* Goals: (id, person, workspace or NULL, platform, goal_type, unit, start,
 * end or NULL) and the current_value worked out by hand. */
struct goal_want {
    const char *values, *want;
};

static const struct goal_want goal_wants[] = {
    /* W's youtube views as of Jan 9: M64 + M64 (was -2) */
    {"1, '" P1 "', '" W "', 'youtube', 'views', 'count', '2025-01-01', NULL", "18446744073709551614"},
    /* P1's youtube views: M64, at the limit */
    {"2, '" P1 "', NULL, 'youtube', 'views', 'count', '2025-01-01', NULL", "9223372036854775807"},
    /* all = youtube M64 + devto 2 M32 (was negative) */
    {"3, '" P1 "', NULL, 'all', 'views', 'count', '2025-01-01', NULL", "9223372041149743101"},
    /* W, all: 2 M64 + 3 M32 */
    {"4, '" P1 "', '" W "', 'all', 'views', 'count', '2025-01-01', NULL", "18446744080152002555"},
    /* from 1 (Jan 5) to M64 (Jan 8): 100 (M64 - 1) (was 18446744073709551416.00) */
    {"5, '" P1 "', NULL, 'youtube', 'subscribers', 'percentage', '2025-01-06', '2025-01-08'",
     "922337203685477580600.00"},
    /* P2 from 3 (Jan 4) to M64: 100 (M64 - 3) / 3 = 307445734561825860133.33... */
    {"6, '" P2 "', NULL, 'youtube', 'subscribers', 'percentage', '2025-01-05', '2025-01-08'",
     "307445734561825860133.33"},
    /* W from 4 (Jan 5) to M64 (Jan 9): 100 (M64 - 4) / 4 */
    {"7, '" P1 "', '" W "', 'youtube', 'subscribers', 'percentage', '2025-01-06', NULL",
     "230584300921369395075.00"},
    /* W from 1 + M64 views on Jan 5 to 2 M64 on Jan 9: 100 (M64 - 1) / (M64 + 1) = 99.99... */
    {"8, '" P1 "', '" W "', 'youtube', 'views', 'percentage', '2025-01-06', NULL", "100.00"},
    /* W, all views from Jan 4 (M64 + M32) to Jan 9 (2 M64 + 3 M32): 100.0000000232... */
    {"9, '" P1 "', '" W "', 'all', 'views', 'percentage', '2025-01-05', NULL", "100.00"},
    /* W's commits (flow): 3 M32; stars 2 M32; likes 2 M32; devto comments 3 M32 */
    {"10, '" P1 "', '" W "', 'github', 'commits', 'count', '2025-01-01', NULL", "6442450941"},
    {"11, '" P1 "', '" W "', 'github', 'stars', 'count', '2025-01-01', NULL", "4294967294"},
    {"12, '" P1 "', '" W "', 'youtube', 'likes', 'count', '2025-01-01', NULL", "4294967294"},
    {"13, '" P1 "', '" W "', 'devto', 'comments', 'count', '2025-01-01', NULL", "6442450941"},
    /* all commits = github's alone: 3 M32 */
    {"14, '" P1 "', '" W "', 'all', 'commits', 'count', '2025-01-01', NULL", "6442450941"},
    /* P2's devto views: M32, at the limit */
    {"15, '" P2 "', NULL, 'devto', 'views', 'count', '2025-01-01', NULL", "2147483647"},
};
#define N_GOAL_WANTS ((int) (sizeof goal_wants / sizeof goal_wants[0]))

static void
insert_goals(struct fx_db *db)
{
    for (int i = 0; i < N_GOAL_WANTS; i++) {
        char sql[512];

        snprintf(sql, sizeof sql,
                 "INSERT INTO goals (id, user_id, workspace_id, platform, goal_type, unit,"
                 " start_date, end_date, target_value)"
                 " SELECT ('00000000-0000-0000-0000-0000000004' || lpad(v.n::text, 2, '0'))::uuid,"
                 "        v.u::uuid, v.w::uuid, v.p, v.t, v.un, v.s::date, v.e::date, 1e30"
                 " FROM (VALUES (%s)) v(n, u, w, p, t, un, s, e)", goal_wants[i].values);
        fx_exec(db, sql);
    }
}

static void
expect_goals(struct fx_db *db)
{
    for (int i = 0; i < N_GOAL_WANTS; i++) {
        char sql[256], *got;

        snprintf(sql, sizeof sql, "SELECT current_value::text FROM goals"
                 " WHERE id = '00000000-0000-0000-0000-0000000004%02d'", i + 1);
        got = fx_text(db, sql);
        cr_expect_str_eq(got, goal_wants[i].want, "goal %d (%s): %s, expected %s", i + 1,
                         goal_wants[i].values, got, goal_wants[i].want);
        free(got);
    }
}

Test(exact, sums_past_int32_and_int64, .timeout = 300)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    exact_data(&db);
    insert_goals(&db);
    fx_expect_goals(&db, AS_OF);
    cr_assert_eq(fx_etl(&db, &out, "nightly --lookback 5 --as-of " AS_OF), 0, "%s", out);
    free(out);
    for (size_t i = 0; i < sizeof metric_wants / sizeof metric_wants[0]; i++)
        expect_metric(&db, metric_wants[i].who, metric_wants[i].platform, metric_wants[i].type,
                      metric_wants[i].date, metric_wants[i].key, metric_wants[i].want);
    expect_goals(&db);
    /* every row and every goal as the reference has them, which computes in numeric */
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 5)"), 0,
                 "nightly differs from the reference");
    cr_expect_eq(fx_goals_diff(&db), 0, "goals differ from the reference");
    /* a backfill of the whole month writes the same as the reference's */
    fx_exec(&db, "TRUNCATE analytics_snapshots");
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2024-12-25 --to 2025-01-31 --as-of " AS_OF),
                 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_backfill('" AS_OF "',"
                                       " '2024-12-25', '2025-01-31')"), 0,
                 "backfill differs from the reference");
    expect_metric(&db, OF_W, "youtube", "daily", "2025-01-08", "total_views", "18446744073709551614");
    fx_db_drop(&db);
}

/*
 * A database made by the app from the seed schema has no CHECK constraints:
 * counters may be negative there, and a channel's change from -2^63 to
 * 2^63 - 1 is 2^64 - 1, past int64 on its own.  P1 alone, UTC, cutoff Jan 9:
 *   youtube channel stats Jan 7 (-2^63, M64), Jan 8 (M64, -2^63)
 *   github contributions  Jan 7 commits M32, Jan 8 commits -2^31
 */
Test(exact, negative_counters_without_checks, .timeout = 300)
{
    static const struct metric_want wants[] = {
        {OF_P1, "youtube", "daily", "2025-01-07", "total_subscribers", "-9223372036854775808"},
        {OF_P1, "youtube", "daily", "2025-01-07", "subscribers_gained", "-9223372036854775808"},
        /* M64 - (-2^63) = 2^64 - 1; -2^63 - M64 = -(2^64 - 1) */
        {OF_P1, "youtube", "daily", "2025-01-08", "subscribers_gained", "18446744073709551615"},
        {OF_P1, "youtube", "daily", "2025-01-08", "views_gained", "-18446744073709551615"},
        {OF_P1, "youtube", "daily", "2025-01-08", "total_views", "-9223372036854775808"},
        {OF_P1, "youtube", "weekly", "2025-01-06", "subscribers_gained", "9223372036854775807"},
        /* M32 - 2^31 = -1; Jan 8 is not an active day (its sum is negative) */
        {OF_P1, "github", "weekly", "2025-01-06", "commits", "-1"},
        {OF_P1, "github", "weekly", "2025-01-06", "active_days", "1"},
        {OF_P1, "github", "daily", "2025-01-08", "total_commits", "-1"},
    };
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db,
        "DO $$ DECLARE c record; BEGIN"
        "  FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint"
        "           WHERE contype = 'c' AND conrelid IN ('youtube_channel_stats'::regclass,"
        "                                                'github_contributions'::regclass) LOOP"
        "    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.t, c.conname);"
        "  END LOOP; END $$;"
        "INSERT INTO auth.users VALUES ('" P1 "');"
        "INSERT INTO profiles (id, timezone) VALUES ('" P1 "', 'UTC');"
        "INSERT INTO platform_connections (id, user_id, platform, platform_user_id,"
        "  platform_username, access_token, is_active) VALUES"
        " ('00000000-0000-0000-0000-000000000211', '" P1 "', 'github', 'pu', 'n', 't', true),"
        " ('00000000-0000-0000-0000-000000000212', '" P1 "', 'youtube', 'pu', 'n', 't', true);"
        "INSERT INTO monitors (user_id, platform, platform_connection_id, monitor_type, is_active)"
        " SELECT c.user_id, c.platform, c.id, 'all', true FROM platform_connections c;"
        "INSERT INTO youtube_channel_stats (platform_connection_id, date, subscriber_count,"
        "  total_views) VALUES"
        " ('00000000-0000-0000-0000-000000000212', '2025-01-07', -9223372036854775808, " M64 "),"
        " ('00000000-0000-0000-0000-000000000212', '2025-01-08', " M64 ", -9223372036854775808);"
        "INSERT INTO github_contributions (platform_connection_id, date, commits_count) VALUES"
        " ('00000000-0000-0000-0000-000000000211', '2025-01-07', " M32 "),"
        " ('00000000-0000-0000-0000-000000000211', '2025-01-08', -2147483648)");
    cr_assert_eq(fx_etl(&db, &out, "nightly --lookback 3 --as-of " AS_OF), 0, "%s", out);
    free(out);
    for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++)
        expect_metric(&db, wants[i].who, wants[i].platform, wants[i].type, wants[i].date,
                      wants[i].key, wants[i].want);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0,
                 "nightly differs from the reference");
    fx_db_drop(&db);
}
