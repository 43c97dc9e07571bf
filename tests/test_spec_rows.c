/*
 * test_spec_rows.c: SPEC.md section 5, the rows a subject gets: first days
 * per platform and for 'all', 'all' rows of live platforms without data,
 * subjects without rows.  Tiny hand-made datasets, expected values worked
 * out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

/*
 * First day per platform and for 'all'; 'all' rows carry every platform with
 * a live monitor, also one without rows (devto: only a draft and an article
 * after the cutoff).  UTC, cutoff Jan 9; backfill Jan 1 .. 9.
 */
Test(spec, first_day_per_platform_and_all)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_conn(&db, CID(02), PID(01), "youtube", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(02), "all", NULL, true);
    add_conn(&db, CID(03), PID(01), "devto", true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(03), "all", NULL, true);
    add_contrib(&db, CID(01), "2025-01-05", 2, 1, 0, 3);
    add_contrib(&db, CID(01), "2025-01-06", 0, 0, 0, 1);
    add_contrib(&db, CID(01), "2025-01-08", 0, 0, 4, 2);
    add_stats(&db, CID(02), "2025-01-07", 100, 1000);
    add_stats(&db, CID(02), "2025-01-09", 90, 1500);
    add_stats(&db, CID(02), "2025-01-10", 500, 9999);        /* after the cutoff */
    add_video(&db, CID(02), "2025-01-08 12:00Z", 5, 2);
    add_video(&db, CID(02), "2025-01-10 01:00Z", 50, 50);    /* after the cutoff */
    add_article(&db, CID(03), NULL, 1000, 10, 10);           /* draft */
    add_article(&db, CID(03), "2025-01-10 06:00Z", 7, 1, 1); /* after the cutoff */
    free(etl_ok(&db, "backfill --from 2025-01-01 --to 2025-01-09 --as-of " AS_OF));

    /* first days: github Jan 5, youtube Jan 7, devto none, all Jan 5 */
    expect_dates(&db, P1, "github", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    expect_dates(&db, P1, "youtube", "daily", "2025-01-07 2025-01-08 2025-01-09");
    expect_dates(&db, P1, "all", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    /* the week Dec 30 .. Jan 5 holds Jan 1; its last day is github's first day */
    expect_dates(&db, P1, "github", "weekly", "2024-12-30 2025-01-06");
    expect_dates(&db, P1, "youtube", "weekly", "2025-01-06");
    expect_dates(&db, P1, "all", "weekly", "2024-12-30 2025-01-06");
    expect_dates(&db, P1, "github", "monthly", "2025-01-01");
    expect_dates(&db, P1, "youtube", "monthly", "2025-01-01");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE platform = 'devto'"), 0);

    static const struct row_want rows[] = {
        /* week Dec 30 .. Jan 5: Jan 5 only */
        {P1, "github", "weekly", "2024-12-30",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"active_days\": 1,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2}}"},
        /* week Jan 6 .. 9: issues 4 on Jan 8 (one active day; Jan 6 is all zeros);
         * repositories_contributed_to max(1, 2) = 2 */
        {P1, "github", "weekly", "2025-01-06",
         "{\"github\": {\"issues\": 4, \"active_days\": 1,"
         " \"repositories_contributed_to\": 2, \"total_commits\": 2}}"},
        /* month: max(3, 1, 2) = 3; active Jan 5 and Jan 8 */
        {P1, "github", "monthly", "2025-01-01",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"issues\": 4, \"active_days\": 2,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2}}"},
        {P1, "github", "daily", "2025-01-06",
         "{\"github\": {\"repositories_contributed_to\": 1, \"total_commits\": 2}}"},
        /* youtube Jan 7: first stats, gained against 0 */
        {P1, "youtube", "daily", "2025-01-07",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000,"
         " \"subscribers_gained\": 100, \"views_gained\": 1000}}"},
        /* Jan 8: no stats row that day, the latest is Jan 7's; gained 0 */
        {P1, "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        /* Jan 9: 90 - 100 = -10 subscribers, 1500 - 1000 = 500 views */
        {P1, "youtube", "daily", "2025-01-09",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": -10, \"views_gained\": 500, \"total_videos\": 1,"
         " \"video_likes\": 5, \"video_comments\": 2}}"},
        /* week Jan 6 .. 9: 90 - 0 (nothing as of Jan 5), 1500 - 0 */
        {P1, "youtube", "weekly", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": 90, \"views_gained\": 1500, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        {P1, "youtube", "monthly", "2025-01-01",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": 90, \"views_gained\": 1500, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        /* 'all' rows: youtube and devto present with zeros before they have data */
        {P1, "all", "weekly", "2024-12-30",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"active_days\": 1,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2},"
         " \"youtube\": {}, \"devto\": {}}"},
        {P1, "all", "daily", "2025-01-09",
         "{\"github\": {\"total_commits\": 2},"
         " \"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": -10, \"views_gained\": 500, \"total_videos\": 1,"
         " \"video_likes\": 5, \"video_comments\": 2}, \"devto\": {}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/* A subject with no in-scope row (on or before its cutoff) gets no rows at all. */
Test(spec, subjects_without_in_scope_rows)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");     /* live monitor, no rows */
    add_user_on(&db, PID(02), "UTC", CID(02), "devto");      /* a draft only */
    add_article(&db, CID(02), NULL, 5, 5, 5);
    add_user_on(&db, PID(03), "UTC", CID(03), "github");     /* rows after the cutoff only */
    add_contrib(&db, CID(03), "2025-01-10", 1, 1, 1, 1);
    add_repo(&db, CID(03), 1, "2025-01-10 00:30Z", 1, 0, 0, 0);
    add_user(&db, PID(04), "UTC");                             /* rows, inactive monitor */
    add_conn(&db, CID(04), PID(04), "youtube", true);
    add_monitor(&db, NULL, PID(04), NULL, "youtube", CID(04), "all", NULL, false);
    add_stats(&db, CID(04), "2025-01-05", 10, 10);
    add_user_on(&db, PID(05), "UTC", CID(05), "github");     /* control: first day Jan 8 */
    add_contrib(&db, CID(05), "2025-01-08", 1, 0, 0, 0);
    free(etl_ok(&db, "nightly --as-of " AS_OF));
    for (int i = 1; i <= 4; i++) {
        char subject[128];

        snprintf(subject, sizeof subject,
                 "workspace_id IS NULL AND user_id = '00000000-0000-0000-0000-0000000001%02d'", i);
        cr_expect_eq(count_rows(&db, subject), 0, "profile %d should have no rows", i);
    }
    /* lookback 3 = Jan 7 .. 9, but nothing before the first day Jan 8 */
    expect_dates(&db, PERSONAL(PID(05)), "github", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, PERSONAL(PID(05)), "all", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, PERSONAL(PID(05)), "github", "weekly", "2025-01-06");
    expect_dates(&db, PERSONAL(PID(05)), "github", "monthly", "2025-01-01");
    cr_expect_eq(count_rows(&db, PERSONAL(PID(05))), 8);   /* (2 daily + week + month) x 2 */
    fx_db_drop(&db);
}
