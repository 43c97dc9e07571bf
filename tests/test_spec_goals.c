/*
 * test_spec_goals.c: SPEC.md section 7, goals: the four rules, flows and
 * stocks, percentages, 'all' goals, achieved_at, dates past 9999, history
 * long before the buckets.  Tiny hand-made datasets, expected values worked
 * out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

/*
 * Goal data.  As-of 2025-01-10 12:00Z.  GU (Europe/Berlin, cutoff Jan 9) owns
 * workspace GW; GM (Pacific/Kiritimati: Jan 11 02:00, cutoff Jan 10) is a
 * member; GR (UTC, cutoff Jan 9) has channel stats for rounding; GQ (UTC) has a
 * youtube connection without a monitor and a devto article.
 *
 *   GU github   commits = day of month, Jan 1 .. 10; 2 pull requests Jan 3; 1 issue Jan 4
 *               repos: 5 stars + 1 fork (2024-06-01), 7 stars (Jan 5 23:30Z = Jan 6
 *               00:30 Berlin), 11 stars (Jan 10 01:00Z = Jan 10 in Berlin: after the cutoff)
 *   GU youtube  stats Jan 1 (100 subs, 1000 views), Jan 5 (150, 1500), Jan 7 (140, 1600),
 *               Jan 10 (999, 9999: after the cutoff); a video of Jan 3: 4 likes, 3 comments
 *   GU devto    an article of Jan 2: 40 views, 6 reactions, 2 comments; a draft (1000 views)
 *   GM github   100 commits Jan 9, 1000 commits Jan 10
 *   GR youtube  stats Jan 1 (160, 160), Jan 3 (161, 159), Jan 5 (300, 300), Jan 7 (301, 299)
 *   GQ youtube  stats Jan 1 (50, 500), no monitor; devto: an article of Jan 2, 40 views
 */
#define GU PID(01)
#define GM PID(02)
#define GR PID(03)
#define GQ PID(04)
#define GW WID(01)

static void
goal_data(struct fx_db *db)
{
    add_user(db, GU, "Europe/Berlin");
    add_user(db, GM, "Pacific/Kiritimati");
    add_user(db, GR, "UTC");
    add_user(db, GQ, "UTC");
    fx_exec(db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" GW "', 'w', 'w', '" GU "');"
                "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" GW "', '" GM "')");
    add_conn(db, CID(01), GU, "github", true);
    add_conn(db, CID(02), GU, "youtube", true);
    add_conn(db, CID(03), GU, "devto", true);
    add_conn(db, CID(04), GM, "github", true);
    add_conn(db, CID(05), GR, "youtube", true);
    add_conn(db, CID(06), GQ, "youtube", true);
    add_conn(db, CID(07), GQ, "devto", true);
    add_monitor(db, NULL, GU, GW, "github", CID(01), "all", NULL, true);
    add_monitor(db, NULL, GU, NULL, "youtube", CID(02), "channel", NULL, true);
    add_monitor(db, NULL, GU, NULL, "devto", CID(03), "user", NULL, true);
    add_monitor(db, NULL, GM, GW, "github", CID(04), "all", NULL, true);
    add_monitor(db, NULL, GR, NULL, "youtube", CID(05), "all", NULL, true);
    add_monitor(db, NULL, GQ, NULL, "devto", CID(07), "all", NULL, true);
    add_commits_by_day(db, CID(01), "2025-01-01", "2025-01-10");
    fx_exec(db, "UPDATE github_contributions SET pull_requests_count = 2 WHERE date = '2025-01-03';"
                "UPDATE github_contributions SET issues_count = 1 WHERE date = '2025-01-04'");
    add_repo(db, CID(01), 1, "2024-06-01 00:00Z", 5, 1, 0, 0);
    add_repo(db, CID(01), 2, "2025-01-05 23:30Z", 7, 0, 0, 0);
    add_repo(db, CID(01), 3, "2025-01-10 01:00Z", 11, 0, 0, 0);
    add_stats(db, CID(02), "2025-01-01", 100, 1000);
    add_stats(db, CID(02), "2025-01-05", 150, 1500);
    add_stats(db, CID(02), "2025-01-07", 140, 1600);
    add_stats(db, CID(02), "2025-01-10", 999, 9999);
    add_video(db, CID(02), "2025-01-03 12:00Z", 4, 3);
    add_article(db, CID(03), "2025-01-02 12:00Z", 40, 6, 2);
    add_article(db, CID(03), NULL, 1000, 100, 100);
    add_contrib(db, CID(04), "2025-01-09", 100, 0, 0, 0);
    add_contrib(db, CID(04), "2025-01-10", 1000, 0, 0, 0);
    add_stats(db, CID(05), "2025-01-01", 160, 160);
    add_stats(db, CID(05), "2025-01-03", 161, 159);
    add_stats(db, CID(05), "2025-01-05", 300, 300);
    add_stats(db, CID(05), "2025-01-07", 301, 299);
    add_stats(db, CID(06), "2025-01-01", 50, 500);
    add_article(db, CID(07), "2025-01-02 12:00Z", 40, 0, 0);
}

struct goal_case {
    const char *name;
    /* user_id, workspace_id, platform, goal_type, target_value, unit, start_date, end_date,
     * is_achieved, achieved_at, current_value (updated_at is 2020-01-01) */
    const char *columns;
    /* trim_scale(current_value) | is_achieved | achieved_at (asof, null or its date) |
     * updated_at (asof or stale) */
    const char *want;
};

#define SKIPPED "7.5|false|null|stale"

static const struct goal_case goal_cases[] = {
    /* --- rule 4, count --- */
    /* flow: Jan 2 .. 4 = 2 + 3 + 4 = 9 < 10 */
    {"flow", "'" GU "', NULL, 'github', 'commits', 10, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|false|null|asof"},
    /* open-ended: Jan 8 .. cutoff Jan 9 = 17 (Jan 10 is after the cutoff); 17 >= 17 */
    {"flow_open", "'" GU "', NULL, 'github', 'commits', 17, 'count', '2025-01-08', NULL, false, NULL, 7.5",
     "17|true|asof|asof"},
    /* start_date = evaluation day: Jan 9 = 9 */
    {"flow_one_day", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-09', NULL, false, NULL, 7.5",
     "9|false|null|asof"},
    {"pull_requests", "'" GU "', NULL, 'github', 'pull_requests', 5, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    {"issues", "'" GU "', NULL, 'github', 'issues', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    /* stock as of the cutoff: 5 + 7 (the third repository is after the cutoff) */
    {"stars", "'" GU "', NULL, 'github', 'stars', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    /* stock as of end_date Jan 5: the 7-star repository is Jan 6 in Berlin */
    {"stars_end_date", "'" GU "', NULL, 'github', 'stars', 5, 'count', '2025-01-01', '2025-01-05', false, NULL, 7.5",
     "5|true|asof|asof"},
    {"repositories", "'" GU "', NULL, 'github', 'repositories', 3, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    {"forks", "'" GU "', NULL, 'github', 'forks', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    {"watchers", "'" GU "', NULL, 'github', 'watchers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* end_date before every row: 0 */
    {"stars_long_ago", "'" GU "', NULL, 'github', 'stars', 1, 'count', '2023-01-01', '2024-01-01', false, NULL, 7.5",
     "0|false|null|asof"},
    /* latest stats on or before Jan 9: Jan 7's 140 */
    {"subscribers", "'" GU "', NULL, 'youtube', 'subscribers', 150, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "140|false|null|asof"},
    /* as of Jan 6: Jan 5's 1500 */
    {"youtube_views", "'" GU "', NULL, 'youtube', 'views', 1500, 'count', '2025-01-01', '2025-01-06', false, NULL, 7.5",
     "1500|true|asof|asof"},
    {"videos", "'" GU "', NULL, 'youtube', 'videos', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|false|null|asof"},
    {"likes", "'" GU "', NULL, 'youtube', 'likes', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "4|false|null|asof"},
    {"youtube_comments", "'" GU "', NULL, 'youtube', 'comments', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "3|false|null|asof"},
    /* the draft never counts */
    {"devto_views", "'" GU "', NULL, 'devto', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    {"reactions", "'" GU "', NULL, 'devto', 'reactions', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "6|false|null|asof"},
    {"articles", "'" GU "', NULL, 'devto', 'articles', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    {"devto_comments", "'" GU "', NULL, 'devto', 'comments', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    /* all: youtube total_views 1600 + devto total_views 40 */
    {"all_views", "'" GU "', NULL, 'all', 'views', 2000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1640|false|null|asof"},
    /* all: youtube video_comments 3 + devto total_comments 2 */
    {"all_comments", "'" GU "', NULL, 'all', 'comments', 5, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "5|true|asof|asof"},
    /* all, flow: github commits Jan 1 .. 9 = 45 */
    {"all_commits", "'" GU "', NULL, 'all', 'commits', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "45|false|null|asof"},
    {"all_stars", "'" GU "', NULL, 'all', 'stars', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    {"all_subscribers", "'" GU "', NULL, 'all', 'subscribers', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "140|false|null|asof"},
    {"all_likes", "'" GU "', NULL, 'all', 'likes', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "4|false|null|asof"},
    {"all_reactions", "'" GU "', NULL, 'all', 'reactions', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "6|false|null|asof"},
    /* GQ's youtube is not in its scope: all views = devto 40 only; youtube views 0 */
    {"all_views_scope", "'" GQ "', NULL, 'all', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    {"views_out_of_scope", "'" GQ "', NULL, 'youtube', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* workspace: the owner's cutoff Jan 9: GU 1 + .. + 9 = 45, GM's Jan 9 100 = 145
     * (GM's own cutoff Jan 10 would add 10 + 1000) */
    {"workspace", "'" GU "', '" GW "', 'github', 'commits', 1000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "145|false|null|asof"},
    {"workspace_goal_of_member", "'" GM "', '" GW "', 'all', 'commits', 145, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "145|true|asof|asof"},
    /* GM personal, cutoff Jan 10: 100 + 1000 (the workspace monitor is GM's own) */
    {"member_personal", "'" GM "', NULL, 'github', 'commits', 2000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1100|false|null|asof"},
    {"workspace_stars", "'" GU "', '" GW "', 'all', 'stars', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    /* end_date infinity: as NULL, Jan 8 .. 9 = 17 */
    {"end_infinity", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-08', 'infinity', false, NULL, 7.5",
     "17|false|null|asof"},
    /* from -infinity: Jan 1 .. 9 = 45 */
    {"start_minus_infinity", "'" GU "', NULL, 'github', 'commits', 100, 'count', '-infinity', NULL, false, NULL, 7.5",
     "45|false|null|asof"},

    /* --- rule 4, percentage: round(100 * (v - b) / b, 2), b as of start_date - 1 --- */
    /* b = Jan 1's 100, v = 140: 40.00 */
    {"pct", "'" GU "', NULL, 'youtube', 'subscribers', 50, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    /* b = Jan 5's 150, v = 140: -6.666.. -> -6.67 */
    {"pct_negative", "'" GU "', NULL, 'youtube', 'subscribers', 0, 'percentage', '2025-01-06', NULL, false, NULL, 7.5",
     "-6.67|false|null|asof"},
    /* b = 160, v = 161 (Jan 3): 0.625 -> 0.63 (half away from zero) */
    {"pct_half_up", "'" GR "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-02', '2025-01-03', false, NULL, 7.5",
     "0.63|false|null|asof"},
    /* b = 160, v = 159: -0.625 -> -0.63 */
    {"pct_half_down", "'" GR "', NULL, 'youtube', 'views', 1, 'percentage', '2025-01-02', '2025-01-03', false, NULL, 7.5",
     "-0.63|false|null|asof"},
    /* b = 300 (Jan 5), v = 301 (Jan 7): 0.333.. -> 0.33 */
    {"pct_third", "'" GR "', NULL, 'youtube', 'subscribers', 0.33, 'percentage', '2025-01-06', '2025-01-07', false, NULL, 7.5",
     "0.33|true|asof|asof"},
    /* stars: b = 5 (as of Jan 5), v = 12: 140.00 */
    {"pct_stars", "'" GU "', NULL, 'github', 'stars', 100, 'percentage', '2025-01-06', NULL, false, NULL, 7.5",
     "140|true|asof|asof"},
    /* all views: b = 1000 + 0 (the article is Jan 2), v = 1640: 64.00 */
    {"pct_all", "'" GU "', NULL, 'all', 'views', 100, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     "64|false|null|asof"},

    /* --- rule 2: start_date after the evaluation day (Jan 9) -> 0 --- */
    {"future", "'" GU "', NULL, 'github', 'commits', 1, 'count', '2025-01-10', '2025-01-20', false, NULL, 7.5",
     "0|false|null|asof"},
    /* rule 2 before rule 3 */
    {"future_pct", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-10', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* 0 >= 0 */
    {"future_zero_target", "'" GU "', NULL, 'github', 'commits', 0, 'count', '2025-01-10', NULL, false, NULL, 7.5",
     "0|true|asof|asof"},
    /* already 0.00: nothing changes */
    {"future_unchanged", "'" GU "', NULL, 'github', 'commits', 5, 'count', '2025-01-10', NULL, false, NULL, 0.00",
     "0|false|null|stale"},

    /* --- rule 3: percentage with b = 0: skipped --- */
    /* nothing as of Dec 31 */
    {"pct_zero_base", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-01', NULL, false, NULL, 7.5",
     SKIPPED},
    /* GQ's stats are not in scope */
    {"pct_zero_base_scope", "'" GQ "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     SKIPPED},

    /* --- rule 1: skipped, unchanged --- */
    {"unknown_pair", "'" GU "', NULL, 'github', 'subscribers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"unknown_platform", "'" GU "', NULL, 'twitter', 'views', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"platform_case", "'" GU "', NULL, 'GitHub', 'stars', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"all_unknown_type", "'" GU "', NULL, 'all', 'followers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"unit_case", "'" GU "', NULL, 'github', 'stars', 1, 'Count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"pct_of_flow", "'" GU "', NULL, 'github', 'commits', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5", SKIPPED},
    {"all_pct_of_flow", "'" GU "', NULL, 'all', 'pull_requests', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5", SKIPPED},
    {"negative_target", "'" GU "', NULL, 'github', 'stars', -0.5, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"end_before_start", "'" GU "', NULL, 'github', 'stars', 1, 'count', '2025-01-05', '2025-01-04', false, NULL, 7.5", SKIPPED},
    /* skipped means unchanged: an achieved goal without achieved_at keeps NULL */
    {"skipped_achieved", "'" GU "', NULL, 'github', 'stars', 1, 'ratio', '2025-01-01', NULL, true, NULL, 7.5",
     "7.5|true|null|stale"},

    /* --- achievement --- */
    /* target exactly reached: 9 >= 9.0 */
    {"reached", "'" GU "', NULL, 'github', 'commits', 9.0, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|true|asof|asof"},
    /* 9 < 9.5 */
    {"not_reached", "'" GU "', NULL, 'github', 'commits', 9.5, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|false|null|asof"},
    /* sticky: Jan 1 = 1 < 1000, stays achieved, achieved_at kept, value recomputed */
    {"sticky", "'" GU "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, '2024-12-01Z', 7.5",
     "1|true|2024-12-01|asof"},
    /* achieved without achieved_at, value already right: achieved_at gets the as-of instant */
    {"achieved_no_date", "'" GU "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, NULL, 1",
     "1|true|asof|asof"},
    /* nothing changes: 9 = 9.00 */
    {"unchanged", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-02', '2025-01-04', false, NULL, 9.00",
     "9|false|null|stale"},
    {"unchanged_achieved", "'" GU "', NULL, 'github', 'commits', 17, 'count', '2025-01-08', NULL, true, '2024-12-01Z', 17",
     "17|true|2024-12-01|stale"},
};
#define N_GOAL_CASES ((int) (sizeof goal_cases / sizeof goal_cases[0]))

static void
insert_goals(struct fx_db *db, const struct goal_case *cases, int n)
{
    for (int i = 0; i < n; i++)
        sqlf(db, "INSERT INTO goals (id, user_id, workspace_id, platform, goal_type, target_value,"
                 " unit, start_date, end_date, is_achieved, achieved_at, current_value, updated_at)"
                 " VALUES ('00000000-0000-0000-0000-0000000004%02d', %s, '2020-01-01Z')",
             i, cases[i].columns);
}

static void
expect_goals(struct fx_db *db, const struct goal_case *cases, int n, const char *as_of)
{
    for (int i = 0; i < n; i++) {
        char *got = textf(db,
            "SELECT trim_scale(current_value)::text || '|' || is_achieved || '|' ||"
            " CASE WHEN achieved_at IS NULL THEN 'null' WHEN achieved_at = '%s' THEN 'asof'"
            "      ELSE (achieved_at AT TIME ZONE 'UTC')::date::text END || '|' ||"
            " CASE WHEN updated_at = '%s' THEN 'asof' WHEN updated_at = '2020-01-01Z' THEN 'stale'"
            "      ELSE updated_at::text END"
            " FROM goals WHERE id = '00000000-0000-0000-0000-0000000004%02d'", as_of, as_of, i);

        cr_expect_str_eq(got, cases[i].want, "goal %s: got %s, expected %s",
                         cases[i].name, got, cases[i].want);
        free(got);
    }
}

/* A fresh database with goal_data and these goals; runs `args`, checks every
 * goal and returns the run's output. */
static char *
run_goal_cases(struct fx_db *db, const char *args, const struct goal_case *cases, int n)
{
    char *out;

    fx_db_create(db);
    goal_data(db);
    insert_goals(db, cases, n);
    out = etl_ok(db, "%s --as-of " AS_OF, args);
    expect_goals(db, cases, n, AS_OF);
    return out;
}

Test(spec, goal_rules)
{
    struct fx_db db;
    char *out;

    out = run_goal_cases(&db, "-v goals", goal_cases, N_GOAL_CASES);
    /* skipped goals (the only ones left at 7.5) are named in warnings, the others not */
    for (int i = 0; i < N_GOAL_CASES; i++) {
        char id[48];

        snprintf(id, sizeof id, "00000000-0000-0000-0000-0000000004%02d", i);
        cr_expect_eq(strstr(out, id) != NULL, strncmp(goal_cases[i].want, "7.5|", 4) == 0,
                     "goal %s: a warning names it iff it is skipped\n%s", goal_cases[i].name, out);
    }
    free(out);
    /* a second run with the same as-of instant writes nothing */
    out = etl_ok(&db, "goals --as-of " AS_OF);
    cr_expect(strstr(out, " 0 updated") != NULL, "the rerun updated goals\n%s", out);
    free(out);
    fx_db_drop(&db);
}

/* nightly computes the same goal values (after its snapshots). */
Test(spec, goal_rules_nightly)
{
    struct fx_db db;

    free(run_goal_cases(&db, "nightly --lookback 1", goal_cases, N_GOAL_CASES));
    fx_db_drop(&db);
}

/*
 * A nightly's totals and goals over history long before its buckets, with
 * sums past int32.  P1 (UTC) and its workspace W1 cover one github
 * connection; cutoff Jan 9, lookback 3, so the buckets start on Mon Jan 6
 * (weekly) and Jan 1 (monthly).  Rows (commits unless named):
 *   2024-03-01 2100000000, 5 pull requests, 1 issue;  2024-03-02 2100000000;
 *   2024-03-03 2100000000;  2024-06-15 10;  2024-12-20 7;  2025-01-08 3.
 * The goals start and end on days of that history, before the buckets.
 */
Test(spec, history_before_the_buckets)
{
    static const struct goal_case cases[] = {
        /* Mar 2 .. Jan 9: 2 * 2100000000 + 10 + 7 + 3 */
        {"from_mar_2", "'" PID(01) "', NULL, 'github', 'commits', 1, 'count', '2024-03-02', NULL, false, NULL, 0",
         "4200000020|true|asof|asof"},
        /* Mar 1 .. Jun 15: 3 * 2100000000 + 10 */
        {"mar_1_to_jun_15", "'" PID(01) "', NULL, 'github', 'commits', 1, 'count', '2024-03-01', '2024-06-15', false, NULL, 0",
         "6300000010|true|asof|asof"},
        /* Jun 16 .. Dec 20: 7 */
        {"jun_16_to_dec_20", "'" PID(01) "', NULL, 'github', 'commits', 100, 'count', '2024-06-16', '2024-12-20', false, NULL, 0",
         "7|false|null|asof"},
        /* Mar 1 only: 5 pull requests */
        {"prs_mar_1", "'" PID(01) "', NULL, 'github', 'pull_requests', 100, 'count', '2024-03-01', '2024-03-01', false, NULL, 0",
         "5|false|null|asof"},
        /* the workspace's, Dec 15 .. Jan 9: 7 + 3 */
        {"workspace_dec_15", "'" PID(01) "', '" WID(01) "', 'github', 'commits', 100, 'count', '2024-12-15', NULL, false, NULL, 0",
         "10|false|null|asof"},
        /* the one issue is on Mar 1, before the start: 0, unchanged */
        {"issues_from_mar_2", "'" PID(01) "', NULL, 'github', 'issues', 1, 'count', '2024-03-02', NULL, false, NULL, 0",
         "0|false|null|stale"},
    };
    const char *jan_8 = "{\"github\": {\"commits\": 3, \"active_days\": 1, \"total_commits\": 6300000020}}";
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "')");
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(01), "all", NULL, true);
    add_contrib(&db, CID(01), "2024-03-01", 2100000000, 5, 1, 0);
    add_contrib(&db, CID(01), "2024-03-02", 2100000000, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-03-03", 2100000000, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-06-15", 10, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-12-20", 7, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 3, 0, 0, 0);
    insert_goals(&db, cases, (int) (sizeof cases / sizeof cases[0]));
    free(etl_ok(&db, "nightly --lookback 3 --as-of " AS_OF));
    expect_goals(&db, cases, (int) (sizeof cases / sizeof cases[0]), AS_OF);
    const struct row_want rows[] = {
        {P1, "github", "daily", "2025-01-07", "{\"github\": {\"total_commits\": 6300000017}}"},
        {P1, "github", "daily", "2025-01-08", jan_8},
        {P1, "github", "daily", "2025-01-09", "{\"github\": {\"total_commits\": 6300000020}}"},
        {P1, "github", "weekly", "2025-01-06", jan_8},
        {P1, "github", "monthly", "2025-01-01", jan_8},
        {W1, "github", "monthly", "2025-01-01", jan_8},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    cr_expect_eq(count_rows(&db, P1), 10, "P1: 3 daily, 1 weekly, 1 monthly, github and all");
    fx_db_drop(&db);
}

/*
 * Dates past year 9999 are dates like any other (PostgreSQL prints them with
 * five digits).  GU's commits, cutoff Jan 9.
 */
Test(spec, goal_dates_after_year_9999)
{
    static const struct goal_case cases[] = {
        /* evaluation day = min(10000-01-01, Jan 9) = Jan 9: Jan 8 + Jan 9 = 17 */
        {"end_year_10000", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-08', '10000-01-01',"
         " false, NULL, 7.5", "17|false|null|asof"},
        /* rule 2: start_date 10000-01-01 is after the evaluation day Jan 9: 0 */
        {"start_year_10000", "'" GU "', NULL, 'github', 'commits', 1, 'count', '10000-01-01', NULL,"
         " false, NULL, 7.5", "0|false|null|asof"},
        /* rule 2 as well, before rule 3 */
        {"start_year_10000_pct", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '10000-01-01',"
         " '10000-02-01', false, NULL, 7.5", "0|false|null|asof"},
    };
    struct fx_db db;

    free(run_goal_cases(&db, "goals", cases, (int) (sizeof cases / sizeof cases[0])));
    fx_db_drop(&db);
}

/*
 * achieved_at is set "the first time the goal is seen achieved".  A goal that
 * is not achieved but carries an achieved_at (left over, e.g. from a reset by
 * hand) is seen achieved for the first time by this run.
 */
Test(spec, goal_first_achievement_with_leftover_achieved_at)
{
    static const struct goal_case cases[] = {
        /* commits Jan 2 .. 4 = 9 >= 9: achieved now */
        {"leftover", "'" GU "', NULL, 'github', 'commits', 9, 'count', '2025-01-02', '2025-01-04',"
         " false, '2024-12-01Z', 7.5", "9|true|asof|asof"},
        /* still not achieved (9 < 10): nothing says to clear it, and it is left alone */
        {"leftover_not_achieved", "'" GU "', NULL, 'github', 'commits', 10, 'count', '2025-01-02', '2025-01-04',"
         " false, '2024-12-01Z', 7.5", "9|false|2024-12-01|asof"},
    };
    struct fx_db db;

    free(run_goal_cases(&db, "goals", cases, (int) (sizeof cases / sizeof cases[0])));
    fx_db_drop(&db);
}
