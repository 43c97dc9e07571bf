/*
 * test_spec_scope.c: SPEC.md section 3, what is in a subject's scope: which
 * monitors are live, repository monitors, workspace members and owners,
 * each resource once.  Tiny hand-made datasets, expected values worked out
 * by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_fixture.h"

/*
 * Which monitors are live.  Each user has one connection with the same rows
 * (github: a commit on Jan 8 and a repository of Jan 2 with 3 stars).  Only
 * the control users get rows.
 */
Test(spec, monitor_live_rules)
{
    struct fx_db db;
    char *out;
    static const struct {
        const char *user, *conn, *monitor, *platform, *monitor_platform, *type;
        bool conn_active, monitor_active, live, warned;
    } cases[] = {
        /* monitor inactive: not live, no warning */
        {PID(01), CID(01), MID(01), "github", "github", "all", true, false, false, false},
        /* connection inactive */
        {PID(02), CID(02), MID(02), "github", "github", "all", false, true, false, false},
        /* platform differs from the connection's */
        {PID(03), CID(03), MID(03), "github", "youtube", "all", true, true, false, true},
        /* types not usable on their platform, unknown types, case matters */
        {PID(05), CID(05), MID(05), "github", "github", "channel", true, true, false, true},
        {PID(06), CID(06), MID(06), "youtube", "youtube", "repository", true, true, false, true},
        {PID(07), CID(07), MID(07), "github", "github", "playlist", true, true, false, true},
        {PID(08), CID(08), MID(08), "github", "github", "All", true, true, false, true},
        {PID(09), CID(09), MID(09), "devto", "devto", "channel", true, true, false, true},
        {PID(10), CID(10), MID(10), "devto", "devto", "repository", true, true, false, true},
        /* not one of the three platforms (names are case-sensitive) */
        {PID(13), CID(13), MID(13), "GitHub", "GitHub", "all", true, true, false, true},
        /* live: 'user' anywhere, 'channel' on youtube */
        {PID(11), CID(11), MID(11), "github", "github", "user", true, true, true, false},
        {PID(12), CID(12), MID(12), "youtube", "youtube", "channel", true, true, true, false},
        {PID(14), CID(14), MID(14), "devto", "devto", "user", true, true, true, false},
        {PID(15), CID(15), MID(15), "youtube", "youtube", "user", true, true, true, false},
    };
    int n = (int) (sizeof cases / sizeof cases[0]);

    fx_db_create(&db);
    for (int i = 0; i < n; i++) {
        add_user(&db, cases[i].user, "UTC");
        add_conn(&db, cases[i].conn, cases[i].user, cases[i].platform, cases[i].conn_active);
        add_monitor(&db, cases[i].monitor, cases[i].user, NULL, cases[i].monitor_platform,
                    cases[i].conn, cases[i].type, NULL, cases[i].monitor_active);
        if (strcasecmp(cases[i].platform, "github") == 0) {
            add_contrib(&db, cases[i].conn, "2025-01-08", 5, 0, 0, 0);
            add_repo(&db, cases[i].conn, 100 + i, "2025-01-02 10:00Z", 3, 0, 0, 0);
        } else if (strcmp(cases[i].platform, "youtube") == 0) {
            add_stats(&db, cases[i].conn, "2025-01-08", 10, 0);
        } else {
            add_article(&db, cases[i].conn, "2025-01-08 10:00Z", 4, 0, 0);
        }
    }
    /* PID(04) monitors PID(16)'s connection (which has rows and no monitor of its own) */
    add_user(&db, PID(04), "UTC");
    add_user(&db, PID(16), "UTC");
    add_conn(&db, CID(16), PID(16), "github", true);
    add_contrib(&db, CID(16), "2025-01-08", 5, 0, 0, 0);
    add_monitor(&db, MID(04), PID(04), NULL, "github", CID(16), "all", NULL, true);

    out = etl_ok(&db, "-v nightly --as-of " AS_OF);
    for (int i = 0; i < n; i++) {
        char subject[128];

        snprintf(subject, sizeof subject, "workspace_id IS NULL AND user_id = '%s'", cases[i].user);
        if (cases[i].live)
            cr_expect_gt(count_rows(&db, subject), 0, "monitor %s should be live", cases[i].monitor);
        else
            cr_expect_eq(count_rows(&db, subject), 0, "monitor %s should not be live", cases[i].monitor);
        if (cases[i].warned)
            cr_expect(strstr(out, cases[i].monitor) != NULL, "no warning names monitor %s\n%s",
                      cases[i].monitor, out);
    }
    /* an inactive monitor alone is not warned about */
    cr_expect(strstr(out, MID(01)) == NULL, "inactive monitor warned about\n%s", out);
    cr_expect(strstr(out, MID(04)) != NULL, "no warning names monitor " MID(04) "\n%s", out);
    cr_expect_eq(count_rows(&db, PERSONAL(PID(04))), 0);
    cr_expect_eq(count_rows(&db, PERSONAL(PID(16))), 0);
    free(out);
    static const struct row_want rows[] = {
        /* the controls: github Jan 8 = 5 commits, repository of Jan 2 with 3 stars */
        {PERSONAL(PID(11)), "github", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 5, \"active_days\": 1, \"total_commits\": 5,"
         " \"repositories_count\": 1, \"total_stars\": 3}}"},
        {PERSONAL(PID(12)), "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 10, \"subscribers_gained\": 10}}"},
        {PERSONAL(PID(14)), "all", "daily", "2025-01-08",
         "{\"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 4}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * 'repository' monitors: the repositories of their own connection whose
 * github_repo_id::text equals platform_resource_id; never contributions.
 * nightly, cutoff Jan 9, days Jan 7 .. 9.
 */
Test(spec, repository_monitors)
{
    struct fx_db db;

    fx_db_create(&db);
    /* U: repository '42' only; its connection also has repo 43 and contributions */
    add_user(&db, PID(01), "UTC");
    add_conn(&db, CID(01), PID(01), "github", true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(01), "repository", "42", true);
    add_repo(&db, CID(01), 42, "2025-01-02 10:00Z", 10, 1, 2, 3);
    add_repo(&db, CID(01), 43, "2025-01-03 10:00Z", 20, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 5, 0, 0, 1);
    /* V: text comparison: '007' and ' 8' match nothing, NULL neither; '7' twice counts once */
    add_user(&db, PID(02), "UTC");
    add_conn(&db, CID(02), PID(02), "github", true);
    add_repo(&db, CID(02), 7, "2025-01-04 10:00Z", 1, 0, 0, 0);
    add_repo(&db, CID(02), 8, "2025-01-04 10:00Z", 2, 0, 0, 0);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "007", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", " 8", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", NULL, true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "7", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "7", true);
    /* W: repository '100' and 'all' on the same connection: repo 100 once */
    add_user(&db, PID(03), "UTC");
    add_conn(&db, CID(03), PID(03), "github", true);
    add_monitor(&db, NULL, PID(03), NULL, "github", CID(03), "repository", "100", true);
    add_monitor(&db, NULL, PID(03), NULL, "github", CID(03), "all", NULL, true);
    add_repo(&db, CID(03), 100, "2025-01-05 10:00Z", 5, 0, 0, 0);
    add_repo(&db, CID(03), 101, "2025-01-06 10:00Z", 6, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-08", 2, 0, 0, 0);
    /* X: '42' is U's repository, not one of X's connection: nothing in scope */
    add_user(&db, PID(04), "UTC");
    add_conn(&db, CID(04), PID(04), "github", true);
    add_repo(&db, CID(04), 500, "2025-01-02 10:00Z", 9, 0, 0, 0);
    add_monitor(&db, NULL, PID(04), NULL, "github", CID(04), "repository", "42", true);
    /* Y: a live repository monitor matching nothing, and youtube data */
    add_user(&db, PID(05), "UTC");
    add_conn(&db, CID(05), PID(05), "github", true);
    add_repo(&db, CID(05), 600, "2025-01-02 10:00Z", 9, 0, 0, 0);
    add_monitor(&db, NULL, PID(05), NULL, "github", CID(05), "repository", "601", true);
    add_conn(&db, CID(06), PID(05), "youtube", true);
    add_monitor(&db, NULL, PID(05), NULL, "youtube", CID(06), "channel", NULL, true);
    add_stats(&db, CID(06), "2025-01-08", 7, 0);
    free(etl_ok(&db, "nightly --as-of " AS_OF));

    static const struct row_want rows[] = {
        /* U: repo 42 only (10 stars, 1 fork, 2 watchers, 3 open issues), no commits */
        {P1, "github", "daily", "2025-01-08",
         "{\"github\": {\"repositories_count\": 1, \"total_stars\": 10, \"total_forks\": 1,"
         " \"total_watchers\": 2, \"total_open_issues\": 3}}"},
        {P1, "github", "monthly", "2025-01-01",
         "{\"github\": {\"repositories_count\": 1, \"new_repositories\": 1, \"total_stars\": 10,"
         " \"total_forks\": 1, \"total_watchers\": 2, \"total_open_issues\": 3}}"},
        /* V: repo 7 once */
        {PERSONAL(PID(02)), "github", "daily", "2025-01-09",
         "{\"github\": {\"repositories_count\": 1, \"total_stars\": 1}}"},
        {PERSONAL(PID(02)), "github", "monthly", "2025-01-01",
         "{\"github\": {\"repositories_count\": 1, \"new_repositories\": 1, \"total_stars\": 1}}"},
        /* W: repos 100 + 101 = 5 + 6 stars; week Jan 6 .. 9 has 101 (Jan 6) new, 100 (Jan 5) not */
        {PERSONAL(PID(03)), "github", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"total_stars\": 11}}"},
        {PERSONAL(PID(03)), "github", "weekly", "2025-01-06",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"new_repositories\": 1, \"total_stars\": 11}}"},
        {PERSONAL(PID(03)), "github", "monthly", "2025-01-01",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"new_repositories\": 2, \"total_stars\": 11}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    cr_expect_eq(count_rows(&db, PERSONAL(PID(04))), 0);
    /* Y: no github rows, but github (zeros) in its 'all' rows */
    expect_dates(&db, PERSONAL(PID(05)), "github", "daily", "");
    expect_dates(&db, PERSONAL(PID(05)), "youtube", "daily", "2025-01-08 2025-01-09");
    expect_metrics(&db, PERSONAL(PID(05)), "all", "daily", "2025-01-08",
                   "{\"github\": {}, \"youtube\": {\"total_subscribers\": 7, \"subscribers_gained\": 7}}");
    fx_db_drop(&db);
}

/*
 * Workspace scope and time: W is owned by O (Asia/Tokyo); M (America/Los_Angeles)
 * is a member; N (UTC) is not, but has a monitor with workspace_id W.
 * As-of 2025-01-09 16:00Z: Tokyo Jan 10 01:00 -> cutoff Jan 9 (W and O);
 * LA Jan 9 08:00 -> Jan 8 (M); UTC -> Jan 8 (N).  nightly --lookback 1.
 */
Test(spec, workspace_scope_and_owner_zone)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user(&db, PID(01), "Asia/Tokyo");
    add_user(&db, PID(02), "America/Los_Angeles");
    add_user(&db, PID(03), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "');"
                 "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" WID(01) "', '" PID(02) "')");
    add_conn(&db, CID(01), PID(01), "github", true);
    add_conn(&db, CID(02), PID(02), "github", true);
    add_conn(&db, CID(03), PID(03), "github", true);
    add_conn(&db, CID(04), PID(02), "devto", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(01), "all", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "github", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(03), WID(01), "github", CID(03), "all", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "devto", CID(04), "all", NULL, true);
    add_contrib(&db, CID(01), "2025-01-08", 1, 0, 0, 1);
    add_contrib(&db, CID(01), "2025-01-09", 1, 0, 0, 2);
    add_contrib(&db, CID(02), "2025-01-08", 0, 0, 0, 5);
    add_contrib(&db, CID(02), "2025-01-09", 10, 0, 0, 3);
    add_contrib(&db, CID(03), "2025-01-01", 1000, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-09", 100, 0, 0, 0);
    /* 20:00Z = Jan 9 05:00 in Tokyo, Jan 8 12:00 in Los Angeles */
    add_article(&db, CID(04), "2025-01-08 20:00Z", 9, 0, 0);
    /* A stale workspace row whose user_id is not the owner: replaced, and takes the owner. */
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 " snapshot_date, metrics) VALUES ('" PID(02) "', '" WID(01) "', 'github', 'daily',"
                 " '2025-01-09', '{}')");
    free(etl_ok(&db, "nightly --lookback 1 --as-of 2025-01-09T16:00:00Z"));

    /* W: O + M, not N; 9 rows = (github, devto, all) x (Jan 9, week Jan 6, month) */
    cr_expect_eq(count_rows(&db, W1), 9);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE workspace_id = '" WID(01) "'"
                             " AND user_id <> '" PID(01) "'"), 0, "workspace rows carry the owner's user_id");
    expect_dates(&db, W1, "github", "daily", "2025-01-09");
    static const struct row_want rows[] = {
        /* Jan 9: 1 + 10 commits; repositories_contributed_to 2 (O) + 3 (M); total (1 + 1) + 10 */
        {W1, "github", "daily", "2025-01-09",
         "{\"github\": {\"commits\": 11, \"active_days\": 1, \"repositories_contributed_to\": 5,"
         " \"total_commits\": 12}}"},
        /* week Jan 6 .. 9: active Jan 8 (1 + 0 > 0) and Jan 9; contributed max(1, 2) + max(5, 3) = 7 */
        {W1, "github", "weekly", "2025-01-06",
         "{\"github\": {\"commits\": 12, \"active_days\": 2, \"repositories_contributed_to\": 7,"
         " \"total_commits\": 12}}"},
        /* the article is on Jan 9 in the owner's zone */
        {W1, "all", "daily", "2025-01-09",
         "{\"github\": {\"commits\": 11, \"active_days\": 1, \"repositories_contributed_to\": 5,"
         " \"total_commits\": 12},"
         " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 9}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    expect_dates(&db, W1, "devto", "daily", "2025-01-09");
    /* O personal (the workspace monitor counts for O too): Jan 9 */
    expect_metrics(&db, P1, "all", "daily", "2025-01-09",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"repositories_contributed_to\": 2,"
                   " \"total_commits\": 2}}");
    /* M personal, cutoff Jan 8: the article is on Jan 8 in Los Angeles */
    expect_dates(&db, PERSONAL(PID(02)), "all", "daily", "2025-01-08");
    expect_metrics(&db, PERSONAL(PID(02)), "all", "daily", "2025-01-08",
                   "{\"github\": {\"repositories_contributed_to\": 5},"
                   " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 9}}");
    /* N personal, cutoff Jan 8: Jan 9's 100 commits are after it */
    expect_metrics(&db, PERSONAL(PID(03)), "github", "daily", "2025-01-08",
                   "{\"github\": {\"total_commits\": 1000}}");
    fx_db_drop(&db);
}

/* Resources covered by several monitors count once (personal and workspace). */
Test(spec, overlapping_monitors_count_once)
{
    struct fx_db db;
    const char *want =
        "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 2,"
        " \"total_commits\": 3, \"repositories_count\": 1, \"total_stars\": 4},"
        " \"youtube\": {\"total_subscribers\": 100, \"total_views\": 50, \"subscribers_gained\": 100,"
        " \"views_gained\": 50, \"total_videos\": 1, \"videos_published\": 1, \"video_likes\": 4},"
        " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 7}}";

    fx_db_create(&db);
    add_user(&db, PID(01), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "')");
    add_conn(&db, CID(01), PID(01), "youtube", true);
    add_conn(&db, CID(02), PID(01), "devto", true);
    add_conn(&db, CID(03), PID(01), "github", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(01), "user", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(02), "user", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(03), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(03), "repository", "9", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(03), "repository", "9", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(03), "all", NULL, true);
    add_repo(&db, CID(03), 9, "2025-01-02 10:00Z", 4, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-08", 3, 0, 0, 2);
    add_stats(&db, CID(01), "2025-01-08", 100, 50);
    add_video(&db, CID(01), "2025-01-08 10:00Z", 4, 0);
    add_article(&db, CID(02), "2025-01-08 10:00Z", 7, 0, 0);
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    /* each resource once: the values of the rows themselves */
    expect_metrics(&db, P1, "all", "daily", "2025-01-08", want);
    expect_metrics(&db, W1, "all", "daily", "2025-01-08", want);
    fx_db_drop(&db);
}
