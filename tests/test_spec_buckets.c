/*
 * test_spec_buckets.c: SPEC.md sections 2 and 6, buckets and which of them
 * a run writes: nightly's lookback across months, backfill's range cut at
 * each cutoff, ISO week 53 and a leap day.  Tiny hand-made datasets,
 * expected values worked out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

/* nightly without --lookback: 3 days.  Cutoff 2025-03-02 (Sunday): Feb 28, Mar 1, Mar 2. */
Test(spec, nightly_default_lookback_across_months)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-02-01", "2025-03-05");
    free(etl_ok(&db, "nightly --as-of 2025-03-03T12:00:00Z"));
    expect_dates(&db, P1, "github", "daily", "2025-02-28 2025-03-01 2025-03-02");
    /* Feb 28 (Fri) .. Mar 2 (Sun) are all in the week of Monday Feb 24 */
    expect_dates(&db, P1, "github", "weekly", "2025-02-24");
    expect_dates(&db, P1, "github", "monthly", "2025-02-01 2025-03-01");
    expect_dates(&db, P1, "all", "monthly", "2025-02-01 2025-03-01");
    static const struct row_want rows[] = {
        /* Feb: 28 commits on 28 days, total as of Feb 28 = 28 */
        {P1, "github", "monthly", "2025-02-01",
         "{\"github\": {\"commits\": 28, \"active_days\": 28, \"total_commits\": 28}}"},
        /* Mar to date (1..2): 2 commits, total 28 + 2 = 30 */
        {P1, "github", "monthly", "2025-03-01",
         "{\"github\": {\"commits\": 2, \"active_days\": 2, \"total_commits\": 30}}"},
        /* Feb 24 .. Mar 2: 7 commits, total 30 */
        {P1, "github", "weekly", "2025-02-24",
         "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 30}}"},
        /* Mar 1: total 28 + 1 = 29 */
        {P1, "all", "daily", "2025-03-01",
         "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 29}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * backfill's range is cut at each subject's cutoff.  As-of 2025-01-10 12:00Z:
 * UTC cutoff Jan 9, Kiritimati (+14, Jan 11 02:00) cutoff Jan 10.  One commit
 * a day, Jan 1 .. Jan 15.
 */
Test(spec, backfill_range_cut_at_cutoff)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_user_on(&db, PID(02), "Pacific/Kiritimati", CID(02), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-15");
    add_one_commit_a_day(&db, CID(02), "2025-01-01", "2025-01-15");

    /* Jan 10 .. 20 lies wholly after the UTC cutoff: nothing for it, success. */
    free(etl_ok(&db, "backfill --from 2025-01-10 --to 2025-01-20 --as-of " AS_OF));
    cr_expect_eq(count_rows(&db, P1), 0);
    /* Kiritimati: range cut to Jan 10 .. Jan 10 */
    expect_dates(&db, PERSONAL(PID(02)), "github", "daily", "2025-01-10");
    expect_dates(&db, PERSONAL(PID(02)), "github", "weekly", "2025-01-06");
    expect_dates(&db, PERSONAL(PID(02)), "github", "monthly", "2025-01-01");
    /* week Jan 6 .. 10 (cutoff): 5 commits; total Jan 1..10 = 10 */
    expect_metrics(&db, PERSONAL(PID(02)), "github", "weekly", "2025-01-06",
                   "{\"github\": {\"commits\": 5, \"active_days\": 5, \"total_commits\": 10}}");

    /* Jan 8 .. 20: cut to Jan 8 .. 9 (UTC); the week of Jan 13 holds no day of the cut range */
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-20 --as-of " AS_OF));
    expect_dates(&db, P1, "github", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, P1, "github", "weekly", "2025-01-06");
    expect_dates(&db, P1, "all", "weekly", "2025-01-06");
    expect_dates(&db, P1, "github", "monthly", "2025-01-01");
    expect_dates(&db, PERSONAL(PID(02)), "github", "daily", "2025-01-08 2025-01-09 2025-01-10");
    /* UTC week Jan 6 .. 9: 4 commits, total 9; month Jan 1 .. 9: 9 */
    expect_metrics(&db, P1, "github", "weekly", "2025-01-06",
                   "{\"github\": {\"commits\": 4, \"active_days\": 4, \"total_commits\": 9}}");
    expect_metrics(&db, P1, "github", "monthly", "2025-01-01",
                   "{\"github\": {\"commits\": 9, \"active_days\": 9, \"total_commits\": 9}}");
    fx_db_drop(&db);
}

/* ISO week 53 of 2020 (Mon Dec 28 .. Sun Jan 3) and the leap day of 2024. */
Test(spec, iso_week_53_and_leap_day)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2020-12-20", "2021-01-10");
    add_one_commit_a_day(&db, CID(01), "2024-02-01", "2024-03-10");
    free(etl_ok(&db, "backfill --from 2021-01-01 --to 2021-01-03 --as-of 2021-02-01T00:00:00Z"));
    expect_dates(&db, P1, "github", "daily", "2021-01-01 2021-01-02 2021-01-03");
    expect_dates(&db, P1, "github", "weekly", "2020-12-28");
    /* December 2020 holds no day of the range */
    expect_dates(&db, P1, "github", "monthly", "2021-01-01");
    /* week Dec 28 .. Jan 3: 7 commits; total Dec 20 .. Jan 3 = 12 + 3 = 15 */
    expect_metrics(&db, P1, "github", "weekly", "2020-12-28",
                   "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 15}}");
    /* January computed whole up to the cutoff Jan 31: Jan 1 .. 10 = 10; total 12 + 10 = 22 */
    expect_metrics(&db, P1, "github", "monthly", "2021-01-01",
                   "{\"github\": {\"commits\": 10, \"active_days\": 10, \"total_commits\": 22}}");

    /* 2024: Feb 28 (Wed) .. Mar 1 (Fri), all in the week of Monday Feb 26 */
    free(etl_ok(&db, "backfill --from 2024-02-28 --to 2024-03-01 --as-of 2024-12-01T00:00:00Z"));
    expect_dates(&db, P1, "github", "daily",
                 "2021-01-01 2021-01-02 2021-01-03 2024-02-28 2024-02-29 2024-03-01");
    expect_dates(&db, P1, "github", "weekly", "2020-12-28 2024-02-26");
    expect_dates(&db, P1, "github", "monthly", "2021-01-01 2024-02-01 2024-03-01");
    static const struct row_want rows[] = {
        /* February 2024 has 29 days: 29 commits; total = 22 (2020/21) + 29 = 51 */
        {P1, "github", "monthly", "2024-02-01",
         "{\"github\": {\"commits\": 29, \"active_days\": 29, \"total_commits\": 51}}"},
        /* Feb 29: total 22 + 29 = 51 */
        {P1, "github", "daily", "2024-02-29",
         "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 51}}"},
        /* week Feb 26 .. Mar 3: 7 commits; total 22 + 29 + 3 = 54.  March: 1 .. 10 = 10, total 61 */
        {P1, "github", "weekly", "2024-02-26",
         "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 54}}"},
        {P1, "github", "monthly", "2024-03-01",
         "{\"github\": {\"commits\": 10, \"active_days\": 10, \"total_commits\": 61}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}
