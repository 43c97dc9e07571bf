/*
 * test_engine.c: nightly and backfill against the SQL reference
 * (tests/reference.sql, written from SPEC.md independently of the C code),
 * row by row, on generated data with the generator's edge cases (DST and
 * odd-offset zones, invalid zones, drafts, overlapping and non-live monitors,
 * workspace members and non-members, rows after the cutoff).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static void
expect_same_as_reference(struct fx_db *db, const char *expected)
{
    int64_t rows = fx_int(db, "SELECT count(*) FROM analytics_snapshots");

    cr_expect_gt(rows, 0, "the run wrote no rows");
    cr_expect_eq(fx_snapshot_diff(db, expected), 0, "engine and reference differ (%s)", expected);
}

static void
nightly_case(int seed, const char *as_of, int lookback, const char *extra)
{
    struct fx_db db;
    char *out, expected[256];
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 60, 400, seed, NULL);
    rc = fx_etl(&db, &out, "nightly --as-of %s --lookback %d %s", as_of, lookback, extra);
    cr_assert_eq(rc, 0, "nightly failed: %s", out);
    free(out);
    snprintf(expected, sizeof expected, "SELECT * FROM ref.snapshots_nightly('%s', %d)", as_of, lookback);
    expect_same_as_reference(&db, expected);
    fx_db_drop(&db);
}

Test(engine, nightly_seed1_default_lookback) { nightly_case(1, "2025-12-20T12:00:00Z", 3, ""); }
Test(engine, nightly_seed2_late_utc) { nightly_case(2, "2025-12-31T23:30:00Z", 9, ""); }
Test(engine, nightly_seed3_early_utc) { nightly_case(3, "2026-01-01T03:00:00Z", 1, ""); }
Test(engine, nightly_seed4_dst_night) { nightly_case(4, "2025-10-27T00:30:00+01:00", 40, ""); }
/* Many batches: each is computed while the server writes the one before. */
Test(engine, nightly_seed5_many_batches)
{
    nightly_case(5, "2025-12-20T12:00:00Z", 30, "--batch-memory 1");
}

static void
backfill_case(int seed, const char *as_of, const char *from, const char *to, const char *extra)
{
    struct fx_db db;
    char *out, expected[256];
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 50, 500, seed, NULL);
    rc = fx_etl(&db, &out, "backfill --from %s --to %s --as-of %s %s", from, to, as_of, extra);
    cr_assert_eq(rc, 0, "backfill failed: %s", out);
    free(out);
    snprintf(expected, sizeof expected, "SELECT * FROM ref.snapshots_backfill('%s', '%s', '%s')",
             as_of, from, to);
    expect_same_as_reference(&db, expected);
    fx_db_drop(&db);
}

Test(engine, backfill_year) { backfill_case(5, "2025-12-29T06:00:00Z", "2025-01-01", "2025-12-31", ""); }
Test(engine, backfill_leap_and_week53)
{
    backfill_case(6, "2025-12-31T12:00:00Z", "2020-12-20", "2021-01-10", "");
}
Test(engine, backfill_small_batches_many_workers)
{
    backfill_case(7, "2025-12-15T18:45:00-05:00", "2025-03-01", "2025-06-30",
                  "--batch-memory 1 --workers 3");
}
Test(engine, backfill_after_cutoff_writes_nothing)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 10, 30, 8, NULL);
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2026-02-01 --to 2026-03-01 --as-of 2026-01-15"), 0,
                 "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_db_drop(&db);
}

/* Existing rows are kept without --overwrite and replaced with it. */
Test(engine, backfill_keep_then_overwrite)
{
    struct fx_db db;
    char *out;
    const char *ref = "SELECT * FROM ref.snapshots_backfill('2025-12-20', '2025-11-01', '2025-12-31')";
    int64_t stale;

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 9, NULL);
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-20 --lookback 5"), 0, "%s", out);
    free(out);
    /* The platforms change after the nightly run: more stars everywhere. */
    fx_exec(&db, "UPDATE github_repositories SET stars_count = stars_count + 1000");
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2025-11-01 --to 2025-12-31 --as-of 2025-12-20"),
                 0, "%s", out);
    free(out);
    stale = fx_int(&db, "SELECT count(*) FROM analytics_snapshots a JOIN"
                        " ref.snapshots_nightly('2025-12-20', 5) n"
                        " ON (a.user_id, a.workspace_id, a.platform, a.snapshot_type, a.snapshot_date)"
                        " IS NOT DISTINCT FROM"
                        " (n.user_id, n.workspace_id, n.platform, n.snapshot_type, n.snapshot_date)"
                        " WHERE a.metrics <> n.metrics");
    cr_expect_gt(stale, 0, "rows of the nightly run should have been kept as they were");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"),
                 fx_int(&db, "SELECT count(*) FROM ref.snapshots_backfill('2025-12-20', '2025-11-01', '2025-12-31')"));
    cr_assert_eq(fx_etl(&db, &out, "backfill --overwrite --from 2025-11-01 --to 2025-12-31"
                                   " --as-of 2025-12-20"), 0, "%s", out);
    free(out);
    expect_same_as_reference(&db, ref);
    fx_db_drop(&db);
}

/* A rerun with the same as-of instant gives the same rows and rewrites none. */
Test(engine, rerun_is_identical)
{
    struct fx_db db;
    char *out, *before, *after;

    fx_db_create(&db);
    fx_generate(&db, 30, 60, 10, NULL);
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-30T10:00:00Z"), 0, "%s", out);
    free(out);
    /* First, that there is something to rewrite: the first run wrote rows,
     * and the right ones. */
    cr_assert_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 100);
    cr_assert_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('2025-12-30T10:00:00Z', 3)"),
                 0, "engine and reference differ after the first run");
    before = fx_text(&db, "SELECT md5(string_agg(id::text || metrics::text, ',' ORDER BY id))"
                          " FROM analytics_snapshots");
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-30T10:00:00Z"), 0, "%s", out);
    cr_expect(strstr(out, " 0 inserted, 0 replaced") != NULL, "second run rewrote rows: %s", out);
    free(out);
    after = fx_text(&db, "SELECT md5(string_agg(id::text || metrics::text, ',' ORDER BY id))"
                         " FROM analytics_snapshots");
    cr_expect_str_eq(before, after);
    free(before);
    free(after);
    fx_db_drop(&db);
}

Test(engine, dry_run_writes_nothing)
{
    struct fx_db db;
    char *out, *goals_before, *goals_after, *counts;
    const char *goals_sql = "SELECT md5(string_agg(g::text, ',' ORDER BY id)) FROM goals g";
    const char *range = "--from 2025-11-01 --to 2025-12-31 --as-of 2025-12-31";
    int64_t want = 0;

    fx_db_create(&db);
    fx_generate(&db, 20, 60, 11, NULL);
    /* Where rows would be written: the reference has some for the range. */
    want = fx_int(&db, "SELECT count(*) FROM ref.snapshots_backfill('2025-12-31', '2025-11-01',"
                       " '2025-12-31')");
    cr_assert_gt(want, 100);
    goals_before = fx_text(&db, goals_sql);
    cr_assert_eq(fx_etl(&db, &out, "backfill --dry-run %s", range), 0, "%s", out);
    cr_expect(strstr(out, "dry run") != NULL, "%s", out);
    /* It computed them all, and says it would insert them all. */
    counts = fx_text(&db, "SELECT format('%s computed, %s would be inserted', n, n)"
                          " FROM (SELECT count(*) n FROM ref.snapshots_backfill('2025-12-31',"
                          " '2025-11-01', '2025-12-31')) r");
    cr_expect(strstr(out, counts) != NULL, "expected \"%s\" in:\n%s", counts, out);
    free(counts);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    goals_after = fx_text(&db, goals_sql);
    cr_expect_str_eq(goals_before, goals_after);
    /* The same run without --dry-run writes them. */
    cr_assert_eq(fx_etl(&db, &out, "backfill %s", range), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), want);
    free(goals_before);
    free(goals_after);
    fx_db_drop(&db);
}

/* The reference checks itself: hand-computed cases and a second, naive
 * row-by-row implementation (tests/reference_selftest.sql). */
Test(engine, reference_selftest, .timeout = 600)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    rc = fx_shell(&out, "psql -X -q -d %s -v ON_ERROR_STOP=1 -f %s/reference_selftest.sql",
                  db.name, fx_tests_dir());
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "reference selftest: all checks passed") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* Bounded memory: a source larger than --batch-memory is spilled to disk by
 * partition of subjects, and the rows are the same. */
Test(engine, source_spilled_in_partitions)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 150, 365, 12, NULL);
    fx_expect_goals(&db, "2025-12-31T20:00:00-04:00");
    cr_assert_eq(fx_etl(&db, &out, "nightly --lookback 20 --as-of 2025-12-31T20:00:00-04:00"
                                   " --batch-memory 1"), 0, "%s", out);
    cr_expect(strstr(out, "source spilled to disk in ") != NULL, "%s", out);
    free(out);
    expect_same_as_reference(&db, "SELECT * FROM ref.snapshots_nightly('2025-12-31T20:00:00-04:00', 20)");
    cr_expect_eq(fx_goals_diff(&db), 0, "goals differ from the reference");
    fx_exec(&db, "TRUNCATE analytics_snapshots");
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2025-06-01 --to 2025-12-31"
                                   " --as-of 2025-12-31T20:00:00-04:00 --batch-memory 1 --workers 2"),
                 0, "%s", out);
    cr_expect(strstr(out, "source spilled to disk in ") != NULL, "%s", out);
    free(out);
    expect_same_as_reference(&db, "SELECT * FROM ref.snapshots_backfill('2025-12-31T20:00:00-04:00',"
                                  " '2025-06-01', '2025-12-31')");
    fx_db_drop(&db);
}

/* A subject's rows are written in order of their buckets' last days (ids
 * follow the order of writing), so the buckets a nightly rewrites are
 * together at the end of the subject's rows (metrics_format_rows). */
Test(engine, backfill_writes_latest_buckets_last)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 7, NULL);
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2025-09-01 --to 2025-12-31"
                                   " --as-of 2026-01-01T00:00:00Z"), 0, "%s", out);
    free(out);
    cr_assert_gt(fx_int(&db, "SELECT count(DISTINCT (user_id, workspace_id, snapshot_type))"
                             " - count(DISTINCT (user_id, workspace_id)) FROM analytics_snapshots"),
                 0, "no subject has rows of several bucket types: the check below would be empty");
    cr_expect_eq(fx_int(&db,
                        "SELECT count(*) FROM ("
                        "  SELECT last_day, lag(last_day) OVER (PARTITION BY user_id, workspace_id"
                        "                                       ORDER BY id) AS before"
                        "  FROM (SELECT id, user_id, workspace_id,"
                        "          CASE snapshot_type WHEN 'daily' THEN snapshot_date"
                        "            WHEN 'weekly' THEN snapshot_date + 6"
                        "            ELSE (snapshot_date + interval '1 month' - interval '1 day')::date"
                        "          END AS last_day FROM analytics_snapshots) r) o"
                        " WHERE last_day < before"),
                 0, "rows written out of the order of their buckets' last days");
    fx_db_drop(&db);
}
