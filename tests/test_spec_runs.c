/*
 * test_spec_runs.c: SPEC.md sections 6 and 8, what a run replaces, keeps
 * and refuses: nightly replaces, backfill keeps unless --overwrite and
 * leaves goals alone, usage errors write nothing.  Tiny hand-made datasets,
 * expected values worked out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

/* nightly replaces rows; backfill keeps them unless --overwrite, and leaves goals alone. */
Test(spec, replace_keep_overwrite)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-09");
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, platform, snapshot_type, snapshot_date, metrics)"
                 " VALUES ('" PID(01) "', 'github', 'daily', '2025-01-08', '{\"stale\": 1}');"
                 "INSERT INTO goals (id, user_id, platform, goal_type, target_value, unit, start_date,"
                 " current_value, updated_at) VALUES ('" GID(01) "', '" PID(01) "', 'github', 'commits',"
                 " 100, 'count', '2025-01-01', 7.5, '2020-01-01Z')");

    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-09 --as-of " AS_OF));
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE snapshot_date = '2025-01-08'"
                             " AND platform = 'github' AND snapshot_type = 'daily' AND metrics = '{\"stale\": 1}'"), 1,
                 "backfill without --overwrite keeps the existing row");
    /* Jan 9 is new: total 1 + .. = 9 */
    expect_metrics(&db, P1, "github", "daily", "2025-01-09",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 9}}");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 7.5 AND updated_at = '2020-01-01Z'"), 1,
                 "backfill does not touch goals");

    free(etl_ok(&db, "backfill --overwrite --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    expect_metrics(&db, P1, "github", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");

    fx_exec(&db, "UPDATE analytics_snapshots SET metrics = '{\"stale\": 2}' WHERE snapshot_date = '2025-01-08'");
    free(etl_ok(&db, "nightly --lookback 2 --as-of " AS_OF));
    expect_metrics(&db, P1, "github", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");
    expect_metrics(&db, P1, "all", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");
    /* nightly recomputes goals: commits Jan 1 .. 9 = 9 */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 9 AND updated_at = '" AS_OF "'"), 1,
                 "nightly recomputes goals");
    fx_db_drop(&db);
}

/* Usage errors exit 2 and write nothing. */
Test(spec, usage_errors)
{
    struct fx_db db;
    static const char *const bad[] = {
        "nightly --lookback 0 --as-of " AS_OF,
        "nightly --lookback -1 --as-of " AS_OF,
        "goals --lookback 3 --as-of " AS_OF,
        "goals --from 2025-01-01 --as-of " AS_OF,
        "nightly --overwrite --as-of " AS_OF,
        "nightly --from 2025-01-01 --to 2025-01-02 --as-of " AS_OF,
        "backfill --from 2025-01-02 --to 2025-01-01 --as-of " AS_OF,
        "migrate --as-of " AS_OF,
        "goals --overwrite --as-of " AS_OF,
        "goals --dry-run --as-of " AS_OF,
        "backfill --from 2025-01-01 --to 2025-01-02 --lookback 3 --as-of " AS_OF,
        "backfill --to 2025-01-02 --as-of " AS_OF,
    };

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-09");
    fx_exec(&db, "INSERT INTO goals (user_id, platform, goal_type, target_value, unit, start_date,"
                 " current_value, updated_at) VALUES ('" PID(01) "', 'github', 'commits', 1, 'count',"
                 " '2025-01-01', 7.5, '2020-01-01Z')");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out;
        int rc = fx_etl(&db, &out, "%s", bad[i]);

        cr_expect_eq(rc, 2, "`%s`: exit %d, expected 2\n%s", bad[i], rc, out);
        free(out);
    }
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 7.5"), 1);
    fx_db_drop(&db);
}
