/*
 * test_spec_metrics.c: SPEC.md section 4, metrics: all history, the
 * infinities, the latest channel stats of each connection.  Tiny hand-made
 * datasets, expected values worked out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

/* total_commits is all history; -infinity counts everywhere, infinity never. */
Test(spec, history_and_infinities)
{
    struct fx_db db;
    /* commits 3 on Jan 8; total -inf (7) + 2019 (1000) + 3 = 1010; repos -inf (2 stars) and
     * 2015 (1 star); the 'infinity' rows are after every cutoff */
    const char *github = "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 1,"
                         " \"total_commits\": 1010, \"repositories_count\": 2, \"total_stars\": 3}}";

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_contrib(&db, CID(01), "-infinity", 7, 0, 0, 9);
    add_contrib(&db, CID(01), "2019-06-01", 1000, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 3, 0, 0, 1);
    add_contrib(&db, CID(01), "infinity", 100000, 0, 0, 0);
    add_repo(&db, CID(01), 1, "-infinity", 2, 0, 0, 0);
    add_repo(&db, CID(01), 2, "infinity", 50, 0, 0, 0);
    add_repo(&db, CID(01), 3, "2015-03-01 10:00Z", 1, 0, 0, 0);
    add_conn(&db, CID(02), PID(01), "youtube", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(02), "channel", NULL, true);
    add_stats(&db, CID(02), "-infinity", 5, 6);
    add_stats(&db, CID(02), "infinity", 999, 999);
    add_video(&db, CID(02), "-infinity", 1, 0);
    add_conn(&db, CID(03), PID(01), "devto", true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(03), "user", NULL, true);
    add_article(&db, CID(03), "infinity", 8, 0, 0);
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    expect_dates(&db, P1, "github", "daily", "2025-01-08");
    expect_dates(&db, P1, "youtube", "daily", "2025-01-08");
    expect_dates(&db, P1, "devto", "daily", "");
    const struct row_want rows[] = {
        {P1, "github", "daily", "2025-01-08", github},
        {P1, "github", "weekly", "2025-01-06", github},
        {P1, "github", "monthly", "2025-01-01", github},
        /* youtube: latest stats on or before Jan 8 is the -infinity row (5, 6); gained 5 - 5 = 0 */
        {P1, "all", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 1,"
         " \"total_commits\": 1010, \"repositories_count\": 2, \"total_stars\": 3},"
         " \"youtube\": {\"total_subscribers\": 5, \"total_views\": 6, \"total_videos\": 1,"
         " \"video_likes\": 1}, \"devto\": {}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * Channel stats per connection: the latest row on or before a day, 0 before
 * the first one; gains against the day before the bucket.  Workspace W of O,
 * member M, both UTC, cutoff Jan 9; backfill Jan 5 .. 9.
 *   O: Jan 2 (100 subs, 1000 views), Jan 6 (120, 1100), Jan 9 (90, 1500); a video Jan 6, 3 likes
 *   M: Jan 8 (50, 10); a video Jan 3, 2 likes, 1 comment
 */
Test(spec, youtube_latest_stats_per_connection)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user(&db, PID(01), "UTC");
    add_user(&db, PID(02), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "');"
                 "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" WID(01) "', '" PID(02) "')");
    add_conn(&db, CID(01), PID(01), "youtube", true);
    add_conn(&db, CID(02), PID(02), "youtube", true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "youtube", CID(02), "user", NULL, true);
    /* out of order of day, so that the engine has to sort them */
    add_stats(&db, CID(01), "2025-01-09", 90, 1500);
    add_stats(&db, CID(01), "2025-01-02", 100, 1000);
    add_stats(&db, CID(01), "2025-01-06", 120, 1100);
    add_stats(&db, CID(02), "2025-01-08", 50, 10);
    add_video(&db, CID(01), "2025-01-06 10:00Z", 3, 0);
    add_video(&db, CID(02), "2025-01-03 10:00Z", 2, 1);
    free(etl_ok(&db, "backfill --from 2025-01-05 --to 2025-01-09 --as-of " AS_OF));
    expect_dates(&db, W1, "youtube", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    /* the week Dec 30 .. Jan 5 ends after the first day Jan 2 */
    expect_dates(&db, W1, "youtube", "weekly", "2024-12-30 2025-01-06");
    static const struct row_want rows[] = {
        /* Jan 5: O's Jan 2 row, M none; gains against Jan 4 (the same): 0 */
        {W1, "youtube", "daily", "2025-01-05",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"total_videos\": 1,"
         " \"video_likes\": 2, \"video_comments\": 1}}"},
        /* Jan 6: 120 / 1100, + 20 / + 100 */
        {W1, "youtube", "daily", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 120, \"total_views\": 1100, \"subscribers_gained\": 20,"
         " \"views_gained\": 100, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* Jan 8: 120 + 50 / 1100 + 10, + 50 / + 10 against Jan 7 */
        {W1, "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 170, \"total_views\": 1110, \"subscribers_gained\": 50,"
         " \"views_gained\": 10, \"total_videos\": 2, \"video_likes\": 5, \"video_comments\": 1}}"},
        /* Jan 9: 90 + 50 / 1500 + 10; 140 - 170 = -30, 1510 - 1110 = 400 */
        {W1, "youtube", "daily", "2025-01-09",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": -30,"
         " \"views_gained\": 400, \"total_videos\": 2, \"video_likes\": 5, \"video_comments\": 1}}"},
        /* week Jan 6 .. 9 against Jan 5 (100 / 1000): + 40 / + 510 */
        {W1, "youtube", "weekly", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": 40,"
         " \"views_gained\": 510, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* week Dec 30 .. Jan 5 against Dec 29 (nothing): + 100 / + 1000; M's video of Jan 3 */
        {W1, "youtube", "weekly", "2024-12-30",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"subscribers_gained\": 100,"
         " \"views_gained\": 1000, \"total_videos\": 1, \"videos_published\": 1, \"video_likes\": 2,"
         " \"video_comments\": 1}}"},
        /* month Jan 1 .. 9 against Dec 31 (nothing) */
        {W1, "all", "monthly", "2025-01-01",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": 140,"
         " \"views_gained\": 1510, \"total_videos\": 2, \"videos_published\": 2, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* M personal: first day Jan 3 (video); Jan 5 has no stats yet */
        {PERSONAL(PID(02)), "youtube", "daily", "2025-01-05",
         "{\"youtube\": {\"total_videos\": 1, \"video_likes\": 2, \"video_comments\": 1}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}
