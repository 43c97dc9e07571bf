/*
 * test_goals.c: SPEC.md section 7, by hand-computed cases (one per rule) and
 * against the SQL reference on generated data.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define U "00000000-0000-0000-0000-0000000000a1"    /* owner, Europe/Berlin */
#define M "00000000-0000-0000-0000-0000000000a2"    /* member, Asia/Kolkata */
#define W "00000000-0000-0000-0000-0000000000b1"
#define CG "00000000-0000-0000-0000-0000000000c1"   /* U github */
#define CY "00000000-0000-0000-0000-0000000000c2"   /* U youtube */
#define CD "00000000-0000-0000-0000-0000000000c3"   /* U devto */
#define CM "00000000-0000-0000-0000-0000000000c4"   /* M github */
#define AS_OF "2025-01-10T12:00:00Z"                 /* cutoff 2025-01-09 for both */

/* Hand-made data; every expected value below is computed from it by hand. */
static const char data_sql[] =
    "INSERT INTO auth.users VALUES ('" U "'), ('" M "');"
    "INSERT INTO profiles (id, display_name, timezone) VALUES"
    " ('" U "', 'Ulla', 'Europe/Berlin'), ('" M "', 'Mani', 'Asia/Kolkata');"
    "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" W "', 'Team', 'team', '" U "');"
    "INSERT INTO workspace_members VALUES ('" W "', '" M "', 'member', now());"
    "INSERT INTO platform_connections (id, user_id, platform, platform_user_id, platform_username,"
    " access_token) VALUES ('" CG "', '" U "', 'github', '1', 'u', 't'),"
    " ('" CY "', '" U "', 'youtube', '2', 'u', 't'), ('" CD "', '" U "', 'devto', '3', 'u', 't'),"
    " ('" CM "', '" M "', 'github', '4', 'm', 't');"
    "INSERT INTO monitors (user_id, workspace_id, platform, platform_connection_id, monitor_type) VALUES"
    " ('" U "', '" W "', 'github', '" CG "', 'all'), ('" U "', NULL, 'youtube', '" CY "', 'channel'),"
    " ('" U "', NULL, 'devto', '" CD "', 'user'), ('" M "', '" W "', 'github', '" CM "', 'all');"
    /* U commits 1..9 on Jan 1..9, 100 on Jan 10 (after the cutoff); M 10 a day. */
    "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
    " SELECT '" CG "', d, CASE WHEN d = '2025-01-10' THEN 100 ELSE extract(day FROM d)::int END"
    " FROM generate_series(date '2025-01-01', '2025-01-10', '1 day') d;"
    "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
    " SELECT '" CM "', d, 10 FROM generate_series(date '2025-01-01', '2025-01-10', '1 day') d;"
    /* Stars: 5 (2024), 7 (Jan 5 23:30 UTC = Jan 6 00:30 Berlin), 11 (Jan 10: after cutoff). */
    "INSERT INTO github_repositories (platform_connection_id, github_repo_id, name, full_name,"
    " html_url, stars_count, created_at, updated_at) VALUES"
    " ('" CG "', 1, 'a', 'u/a', 'x', 5, '2024-06-01Z', now()),"
    " ('" CG "', 2, 'b', 'u/b', 'x', 7, '2025-01-05 23:30Z', now()),"
    " ('" CG "', 3, 'c', 'u/c', 'x', 11, '2025-01-10 01:00Z', now());"
    /* Subscribers 100 on Jan 1, 150 on Jan 5; views 1000 then 1500. */
    "INSERT INTO youtube_channel_stats (platform_connection_id, date, subscriber_count, total_views)"
    " VALUES ('" CY "', '2025-01-01', 100, 1000), ('" CY "', '2025-01-05', 150, 1500);"
    /* Dev.to views: 40 (published), 1000 (draft: never counts). */
    "INSERT INTO devto_articles (platform_connection_id, devto_article_id, title, url, view_count,"
    " published_at) VALUES ('" CD "', 1, 'a', 'x', 40, '2025-01-02Z'), ('" CD "', 2, 'b', 'x', 1000, NULL);";

struct goal_case {
    const char *name;
    const char *columns;      /* user_id, workspace_id, platform, goal_type, target_value, unit,
                                 start_date, end_date, is_achieved, achieved_at */
    const char *value;        /* expected current_value, NULL: unchanged */
    int achieved;
    int achieved_now;         /* achieved_at = the as-of instant */
};

#define STALE_UPDATE "2020-01-01Z"

static const struct goal_case cases[] = {
    /* flow: commits of Jan 2..4 = 2 + 3 + 4 */
    {"flow", "'" U "', NULL, 'github', 'commits', 10, 'count', '2025-01-02', '2025-01-04', false, NULL",
     "9", 0, 0},
    /* flow, open-ended: Jan 8..cutoff (Jan 9) = 8 + 9; Jan 10 is after the cutoff */
    {"flow_open", "'" U "', NULL, 'github', 'commits', 17, 'count', '2025-01-08', NULL, false, NULL",
     "17", 1, 1},
    /* stock as of the cutoff: repos a and b (c is after the cutoff) */
    {"stock", "'" U "', NULL, 'github', 'stars', 100, 'count', '2025-01-01', NULL, false, NULL",
     "12", 0, 0},
    /* stock as of end_date Jan 5: b is created on Jan 6 in Berlin */
    {"stock_local_day", "'" U "', NULL, 'github', 'stars', 5, 'count', '2025-01-01', '2025-01-05', false, NULL",
     "5", 1, 1},
    /* percentage: subscribers 150 vs 100 on Jan 1 -> 50.00 */
    {"percentage", "'" U "', NULL, 'youtube', 'subscribers', 50, 'percentage', '2025-01-02', NULL, false, NULL",
     "50.00", 1, 1},
    /* percentage of views on Jan 3 (1000) vs Jan 1 (1000) -> 0.00 */
    {"percentage_flat", "'" U "', NULL, 'youtube', 'views', 1, 'percentage', '2025-01-02', '2025-01-03', false, NULL",
     "0.00", 0, 0},
    /* all views: youtube 1500 + devto 40 */
    {"all", "'" U "', NULL, 'all', 'views', 2000, 'count', '2025-01-01', NULL, false, NULL",
     "1540", 0, 0},
    /* workspace: owner's and member's commits Jan 1..3: (1+2+3) + 30 */
    {"workspace", "'" U "', '" W "', 'all', 'commits', 36, 'count', '2025-01-01', '2025-01-03', false, NULL",
     "36", 1, 1},
    /* sticky: achieved before, now below target: stays achieved, achieved_at kept */
    {"sticky", "'" U "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, '2024-12-01Z'",
     "1", 1, 0},
    /* achieved without achieved_at: gets the as-of instant */
    {"achieved_no_date", "'" U "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, NULL",
     "1", 1, 1},
    /* future start: 0, and a 0 target is then achieved */
    {"future", "'" U "', NULL, 'github', 'commits', 0, 'count', '2025-02-01', NULL, false, NULL",
     "0", 1, 1},
    {"starts_on_the_cutoff_day",
     "'" U "', NULL, 'github', 'stars', 3, 'count', '2025-01-09', '2025-01-09', false, NULL",
     "12", 1, 1},
    /* rule 1: skipped, unchanged */
    {"unknown_pair", "'" U "', NULL, 'github', 'subscribers', 1, 'count', '2025-01-01', NULL, false, NULL",
     NULL, 0, 0},
    {"unknown_platform", "'" U "', NULL, 'twitter', 'views', 1, 'count', '2025-01-01', NULL, false, NULL",
     NULL, 0, 0},
    {"unknown_unit", "'" U "', NULL, 'github', 'stars', 1, 'ratio', '2025-01-01', NULL, false, NULL",
     NULL, 0, 0},
    {"percentage_of_flow", "'" U "', NULL, 'github', 'commits', 1, 'percentage', '2025-01-02', NULL, false, NULL",
     NULL, 0, 0},
    {"negative_target", "'" U "', NULL, 'github', 'stars', -1, 'count', '2025-01-01', NULL, false, NULL",
     NULL, 0, 0},
    {"end_before_start", "'" U "', NULL, 'github', 'stars', 1, 'count', '2025-01-05', '2025-01-04', false, NULL",
     NULL, 0, 0},
    /* rule 3: zero baseline (no stats before Jan 1) */
    {"zero_baseline", "'" U "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-01', NULL, false, NULL",
     NULL, 0, 0},
    /* rule 2 comes before rule 3: a future percentage goal is 0, not skipped */
    {"future_percentage", "'" U "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-03-01', NULL, false, NULL",
     "0", 0, 0},
};
#define N_CASES ((int) (sizeof cases / sizeof cases[0]))

static void
insert_goals(struct fx_db *db)
{
    char sql[1024];

    for (int i = 0; i < N_CASES; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO goals (id, user_id, workspace_id, platform, goal_type, target_value,"
                 " unit, start_date, end_date, is_achieved, achieved_at, current_value, updated_at)"
                 " VALUES ('00000000-0000-0000-0000-%012d', %s, 7.5, '" STALE_UPDATE "')",
                 i, cases[i].columns);
        fx_exec(db, sql);
    }
}

Test(goals, hand_computed_rules)
{
    struct fx_db db;
    char *out, sql[512];

    fx_db_create(&db);
    fx_exec(&db, data_sql);
    insert_goals(&db);
    cr_assert_eq(fx_etl(&db, &out, "goals --as-of " AS_OF), 0, "%s", out);
    cr_expect(strstr(out, "7 skipped") != NULL, "%s", out);
    free(out);
    for (int i = 0; i < N_CASES; i++) {
        const struct goal_case *c = &cases[i];
        char *row;

        snprintf(sql, sizeof sql,
                 "SELECT current_value::text || '|' || is_achieved::text || '|' ||"
                 " coalesce((achieved_at = '" AS_OF "')::text, 'null') || '|' ||"
                 " (updated_at = '" AS_OF "')::text"
                 " FROM goals WHERE id = '00000000-0000-0000-0000-%012d'", i);
        row = fx_text(&db, sql);
        if (c->value == NULL) {
            cr_expect_str_eq(row, "7.5|false|null|false", "%s: skipped goals stay unchanged", c->name);
        } else {
            char want[128];

            snprintf(want, sizeof want, "%s|%s|%s|true", c->value, c->achieved ? "true" : "false",
                     c->achieved_now ? "true" : (strstr(c->columns, "2024-12-01") ? "false" : "null"));
            cr_expect_str_eq(row, want, "%s", c->name);
        }
        free(row);
    }
    /* The second run with the same as-of instant changes nothing. */
    cr_assert_eq(fx_etl(&db, &out, "goals --as-of " AS_OF), 0, "%s", out);
    cr_expect(strstr(out, "0 updated") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* 30 = 30.00: an equal value in another scale is not a change. */
Test(goals, equal_value_is_not_rewritten)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, data_sql);
    fx_exec(&db, "INSERT INTO goals (user_id, platform, goal_type, target_value, unit, start_date,"
                 " end_date, current_value, updated_at) VALUES ('" U "', 'github', 'commits', 100,"
                 " 'count', '2025-01-02', '2025-01-04', 9.00, '" STALE_UPDATE "')");
    cr_assert_eq(fx_etl(&db, &out, "goals --as-of " AS_OF), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value::text = '9.00'"
                             " AND updated_at = '" STALE_UPDATE "'"), 1);
    fx_db_drop(&db);
}

static void
reference_case(const char *command, int seed, const char *as_of)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 60, 400, seed, NULL);
    fx_expect_goals(&db, as_of);
    cr_assert_gt(fx_int(&db, "SELECT count(*) FROM expected_goals WHERE changed"), 0);
    cr_assert_eq(fx_etl(&db, &out, "%s --as-of %s", command, as_of), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_goals_diff(&db), 0, "goals differ from the reference");
    fx_db_drop(&db);
}

Test(goals, reference_seed21) { reference_case("goals", 21, "2025-12-20T12:00:00Z"); }
Test(goals, reference_seed22_nightly) { reference_case("nightly", 22, "2026-01-01T02:00:00+02:00"); }
Test(goals, reference_seed23_midyear) { reference_case("goals", 23, "2025-07-01T00:00:00Z"); }
