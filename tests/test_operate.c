/*
 * test_operate.c: what an operator sees: the ledger rows of runs refused by
 * the lock or failed before it, `status` after runs of each outcome (as the
 * engine's login and as a monitoring login), freshness against hand-computed
 * counts, the Prometheus file of real runs (promtool), JSON lines of an
 * error that is not UTF-8, timestamps on text lines, the progress bar
 * on a terminal of a given width, and the report's rows by platform and type.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "runlock.h"

#define AS_OF "2026-01-01T00:00:00Z"
/* For fx_etl_meanwhile: the engine has its session (e.g. waiting for the lock). */
#define ENGINE_CONNECTED "SELECT EXISTS (SELECT 1 FROM pg_stat_activity" \
    " WHERE application_name = 'devpulse-etl' AND datname = current_database())"

/* ---------------------------------------------------------------- helpers */

/* The one JSON object of text (strict: valid UTF-8, nothing after it). */
static json_t *
parse_object(const char *text)
{
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);

    cr_assert(json_is_object(o), "not one JSON object (%s): %s", jerr.text, text);
    return o;
}

static json_t *
status_json(struct fx_db *db, const char *extra)
{
    char *out;
    json_t *doc;

    cr_assert_eq(fx_shell(&out, "%s --dsn dbname=%s status --format json %s 2>/dev/null",
                          fx_etl_path(), db->name, extra), 0, "%s", out);
    doc = parse_object(out);
    free(out);
    return doc;
}

/* The entry of array whose key equals value (the first key), and a second key. */
static json_t *
find_entry(json_t *array, const char *key, const char *value, const char *key2, const char *value2)
{
    size_t i;
    json_t *e;

    json_array_foreach(array, i, e) {
        const char *v = json_string_value(json_object_get(e, key));
        const char *v2 = key2 ? json_string_value(json_object_get(e, key2)) : NULL;

        if (v != NULL && strcmp(v, value) == 0 && (key2 == NULL || (v2 && strcmp(v2, value2) == 0)))
            return e;
    }
    cr_assert_fail("no entry with %s = %s", key, value);
    return NULL;
}

static json_int_t
int_of(json_t *o, const char *key)
{
    cr_assert(json_is_integer(json_object_get(o, key)), "%s is not an integer", key);
    return json_integer_value(json_object_get(o, key));
}

static const char *
str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "(null)";
}

/* The build the binary says it is, as the ledger records it. */
static char *
engine_version(void)
{
    char *out, *v;

    cr_assert_eq(fx_shell(&out, "%s --version", fx_etl_path()), 0);
    cr_assert(strncmp(out, "devpulse-etl ", 13) == 0, "%s", out);
    out[strcspn(out, "\n")] = '\0';
    v = strdup(out + 13);
    free(out);
    return v;
}

/* ---------------------------------------------------------------- the ledger */

/* A run refused by the lock leaves a 'skipped' row naming the holder; runs
 * cancelled or failed while waiting for it leave theirs; none of them is
 * taken for work to resume. */
Test(operate, refused_and_pre_lock_runs_are_recorded, .timeout = 120)
{
    struct fx_db db;
    char *out, *version, sql[512], terminate[512];
    int64_t holder;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 10, 60, 61, NULL);
    version = engine_version();
    /* A run holds the lock, as its ledger row says. */
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");
    holder = fx_int(&db, "INSERT INTO devpulse_etl.runs (command, status) VALUES ('backfill', 'running')"
                         " RETURNING id");
    rc = fx_etl(&db, &out, "nightly --as-of " AS_OF " --lookback 2");
    cr_expect_eq(rc, 3, "%s", out);
    free(out);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'nightly' AND status = 'skipped'"
             " AND NOT held_lock AND blocked_by = %lld AND ended_at >= started_at"
             " AND as_of = '" AS_OF "' AND options = '{\"lookback\": 2}' AND client_pid > 0"
             " AND error LIKE 'another devpulse-etl run holds the lock%%(by the ledger, run %lld,"
             " backfill, started %%' AND engine_version = '%s'",
             (long long) holder, (long long) holder, version);
    cr_expect_eq(fx_int(&db, sql), 1, "the refused run's row");

    /* Cancelled while it waits for the lock. */
    rc = fx_etl_meanwhile(&db, &out, ENGINE_CONNECTED, "kill -TERM $pid", "goals --wait 600");
    cr_expect_eq(rc, 143, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'goals'"
                             " AND status = 'cancelled' AND NOT held_lock AND as_of IS NULL"
                             " AND error = 'cancelled by SIGTERM' AND ended_at IS NOT NULL"), 1);

    /* Failed before the lock: its session ends while it waits (no retry). */
    snprintf(terminate, sizeof terminate, "psql -XAtq -c \"SELECT pg_terminate_backend(pid)"
             " FROM pg_stat_activity WHERE application_name = 'devpulse-etl' AND datname = '%s'\""
             " >/dev/null", db.name);
    rc = fx_etl_meanwhile(&db, &out, ENGINE_CONNECTED,
                          terminate, "backfill --from 2025-11-01 --to 2025-11-30 --wait 600 --retries 0");
    cr_expect_eq(rc, 1, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'backfill'"
                             " AND status = 'failed' AND NOT held_lock AND subjects_done = 0"
                             " AND options ->> 'from' = '2025-11-01' AND error IS NOT NULL"), 1);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);

    /* The holder is gone; none of those rows is work to resume. */
    fx_exec(&db, "SELECT pg_advisory_unlock(" RUNLOCK_RUN_ARGS ")");
    fx_exec(&db, "DELETE FROM devpulse_etl.runs WHERE status = 'running'");
    cr_expect_eq(fx_etl(&db, &out, "backfill --resume"), 0, "%s", out);
    cr_expect(strstr(out, "nothing to resume") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "backfill --resume --from 2025-11-01 --to 2025-11-30"), 0, "%s", out);
    cr_expect(strstr(out, "resuming") == NULL, "a run that never held the lock was resumed: %s", out);
    free(out);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'backfill'"
             " AND status = 'succeeded' AND held_lock AND resumes IS NULL AND engine_version = '%s'",
             version);
    cr_expect_eq(fx_int(&db, sql), 1);
    free(version);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- status */

/* `status` after runs of each outcome, while one runs, and as a monitoring
 * login; every figure is checked against the ledger or the tables. */
Test(operate, status_after_each_outcome, .timeout = 300)
{
    struct fx_db db;
    char *out, *running_done, action[1024], sql[512];
    char dir[] = "/tmp/devpulse-status-XXXXXX";
    json_t *doc, *during, *e, *failures;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 200, 365, 62, NULL);
    cr_assert_not_null(mkdtemp(dir));

    /* 1. nightly: succeeded. */
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of " AS_OF), 0, "%s", out);
    free(out);
    /* 2. backfill: while it runs (stopped for a moment), status says so. */
    snprintf(action, sizeof action,
             "kill -STOP $pid; %s --dsn dbname=%s status --format json > %s/during.json;"
             " psql -XAtq -d %s -c \"SELECT subjects_done FROM devpulse_etl.runs"
             " WHERE status = 'running'\" > %s/done.txt; kill -CONT $pid",
             fx_etl_path(), db.name, dir, db.name, dir);
    rc = fx_etl_meanwhile(&db, &out, "SELECT EXISTS (SELECT 1 FROM devpulse_etl.runs"
                          " WHERE status = 'running' AND subjects_done > 0)",
                          action, "backfill --from 2025-01-01 --to 2025-12-31 --as-of " AS_OF
                          " --batch-memory 1");
    cr_assert_eq(rc, 0, "%d: %s", rc, out);
    free(out);
    /* 3. goals: failed, with the server's SQLSTATE in the JSON error event. */
    fx_exec(&db, "UPDATE goals SET current_value = current_value + 1;"
                 " ALTER TABLE goals ADD CONSTRAINT never_updated CHECK (current_value < -1) NOT VALID");
    rc = fx_shell(&out, "%s --dsn dbname=%s goals --as-of " AS_OF " --log-format json -q 2>&1",
                  fx_etl_path(), db.name);
    cr_expect_eq(rc, 1, "%s", out);
    e = parse_object(out);
    free(out);
    cr_expect_str_eq(str_of(e, "event"), "error");
    cr_expect_str_eq(str_of(e, "sqlstate"), "23514");
    cr_expect_eq(int_of(e, "exit_status"), 1);
    cr_expect_eq(int_of(e, "run_id"), fx_int(&db, "SELECT max(id) FROM devpulse_etl.runs"
                                                   " WHERE command = 'goals' AND status = 'failed'"));
    json_decref(e);
    /* 4. backfill: cancelled while it waits for the lock; 5. a shard: skipped. */
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");
    rc = fx_etl_meanwhile(&db, &out, ENGINE_CONNECTED,
                          "kill -INT $pid", "backfill --from 2025-06-01 --to 2025-06-02 --wait 600");
    cr_expect_eq(rc, 130, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, NULL, "nightly --shard 1/2 --as-of " AS_OF), 3);

    /* While the backfill ran. */
    cr_assert_eq(fx_shell(&out, "cat %s/during.json", dir), 0);
    during = parse_object(out);
    free(out);
    cr_assert_eq(fx_shell(&running_done, "cat %s/done.txt", dir), 0);
    cr_expect(json_is_true(json_object_get(during, "lock_held")));
    cr_assert_eq(json_array_size(json_object_get(during, "running")), 1, "%s", running_done);
    e = json_array_get(json_object_get(during, "running"), 0);
    cr_expect_str_eq(str_of(e, "command"), "backfill");
    cr_expect_eq(int_of(e, "run_id"), fx_int(&db, "SELECT min(id) FROM devpulse_etl.runs"
                                                   " WHERE command = 'backfill'"));
    cr_expect_eq(int_of(e, "subjects_done"), atoll(running_done));
    cr_expect_gt(int_of(e, "subjects_done"), 0);
    cr_expect_eq(int_of(e, "subjects_total"),
                 fx_int(&db, "SELECT (SELECT count(*) FROM profiles) + (SELECT count(*) FROM workspaces)"));
    free(running_done);
    json_decref(during);

    /* After: the last run of each command and shard, and the failures. */
    doc = status_json(&db, "");
    cr_expect(json_is_true(json_object_get(doc, "lock_held")));     /* this test's session */
    cr_expect_eq(json_array_size(json_object_get(doc, "running")), 0);
    cr_expect_eq(json_array_size(json_object_get(doc, "last_runs")), 4);
    e = find_entry(json_object_get(doc, "last_runs"), "command", "nightly", "shard", "1/1");
    cr_expect_str_eq(str_of(e, "status"), "succeeded");
    cr_expect_eq(int_of(e, "rows_written"),
                 fx_int(&db, "SELECT rows_written FROM devpulse_etl.runs WHERE id = 1"));
    cr_expect_eq(int_of(e, "rows_written"),
                 fx_int(&db, "SELECT count(*) FROM ref.snapshots_nightly('" AS_OF "', 3)"));
    cr_expect_eq(int_of(e, "rows_read"), fx_int(&db, "SELECT (SELECT count(*) FROM github_contributions)"
                 " + (SELECT count(*) FROM youtube_channel_stats) + (SELECT count(*) FROM github_repositories)"
                 " + (SELECT count(*) FROM youtube_videos)"
                 " + (SELECT count(*) FROM devto_articles WHERE published_at IS NOT NULL)"));
    cr_expect_str_eq(str_of(e, "last_success_at"), str_of(e, "ended_at"));
    e = find_entry(json_object_get(doc, "last_runs"), "command", "goals", NULL, NULL);
    cr_expect_str_eq(str_of(e, "status"), "failed");
    cr_expect(strstr(str_of(e, "error"), "never_updated") != NULL, "%s", str_of(e, "error"));
    cr_expect(json_is_null(json_object_get(e, "last_success_at")));
    e = find_entry(json_object_get(doc, "last_runs"), "command", "backfill", NULL, NULL);
    cr_expect_str_eq(str_of(e, "status"), "cancelled");
    snprintf(sql, sizeof sql, "SELECT to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
             " FROM devpulse_etl.runs WHERE command = 'backfill' AND status = 'succeeded'");
    out = fx_text(&db, sql);
    cr_expect_str_eq(str_of(e, "last_success_at"), out);
    free(out);
    e = find_entry(json_object_get(doc, "last_runs"), "command", "nightly", "shard", "1/2");
    cr_expect_str_eq(str_of(e, "status"), "skipped");
    failures = json_object_get(doc, "failures");
    cr_assert_eq(json_array_size(failures), 3);
    cr_expect_str_eq(str_of(json_array_get(failures, 0), "status"), "skipped");
    cr_expect_str_eq(str_of(json_array_get(failures, 1), "status"), "cancelled");
    cr_expect_str_eq(str_of(json_array_get(failures, 1), "error"), "cancelled by SIGINT");
    cr_expect_str_eq(str_of(json_array_get(failures, 2), "status"), "failed");

    /* The text form says the same. */
    cr_assert_eq(fx_etl(&db, &out, "status"), 0, "%s", out);
    cr_expect(strstr(out, "Running now:\n  none\n") != NULL, "%s", out);
    cr_expect(strstr(out, "  goals     1/1    failed") != NULL, "%s", out);
    cr_expect(strstr(out, "  nightly   1/2    skipped") != NULL, "%s", out);
    cr_expect(strstr(out, "  nightly   1/1    succeeded") != NULL, "%s", out);
    cr_expect(strstr(out, "  backfill  1/1    cancelled") != NULL, "%s", out);
    cr_expect(strstr(out, "cancelled at ") != NULL && strstr(out, ": cancelled by SIGINT\n") != NULL,
              "%s", out);
    free(out);

    /* A monitoring login sees the same; one without the role is told which GRANT. */
    snprintf(sql, sizeof sql, "CREATE ROLE %s_mon LOGIN IN ROLE devpulse_etl_monitor;"
             " CREATE ROLE %s_nobody LOGIN", db.name, db.name);
    fx_exec(&db, sql);
    rc = fx_etl_as(&db, "mon", &out, "status --format json");
    cr_expect_eq(rc, 0, "%s", out);
    e = parse_object(out);
    free(out);
    cr_expect(json_equal(json_object_get(e, "last_runs"), json_object_get(doc, "last_runs")));
    cr_expect(json_equal(json_object_get(e, "freshness"), json_object_get(doc, "freshness")));
    json_decref(e);
    rc = fx_shell(&out, "psql -XAtq -d %s -U %s_mon -c 'SELECT count(*) FROM analytics_snapshots'",
                  db.name, db.name);
    cr_expect_neq(rc, 0, "the monitoring role reads snapshots: %s", out);
    free(out);
    rc = fx_etl_as(&db, "nobody", &out, "status");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "GRANT devpulse_etl_monitor TO") != NULL, "%s", out);
    free(out);
    json_decref(doc);
    fx_exec(&db, "SELECT pg_advisory_unlock(" RUNLOCK_RUN_ARGS ")");
    fx_db_drop(&db);
    snprintf(sql, sizeof sql, "DROP ROLE %s_mon; DROP ROLE %s_nobody", db.name, db.name);
    fx_shell(NULL, "psql -XAtq -d postgres -c '%s'", sql);
    fx_shell(NULL, "rm -rf %s", dir);
}

/* Before `migrate`, status says to run it, in one line, exit 1. */
Test(operate, status_of_an_unmigrated_database)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, "DROP SCHEMA devpulse_etl CASCADE");
    cr_expect_eq(fx_etl(&db, &out, "status"), 1, "%s", out);
    cr_expect(strstr(out, "devpulse-etl: status: the database has no DevPulse schema: run"
                          " `devpulse-etl migrate` first\n") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/*
 * Freshness by hand.  As of 2026-02-02T10:30Z (a Monday) the cutoff days are:
 * UTC 02-01 (a Sunday: week 01-26, month 02-01); Pacific/Kiritimati (+14)
 * 02-02 (week 02-02, month 02-01); Pacific/Pago_Pago (-11) 01-31 (week
 * 01-26, month 01-01).  An unknown zone and NULL count as UTC; a workspace
 * goes by its owner's zone.
 *
 * subject         zone       latest daily / weekly / monthly   behind
 * A               UTC        02-01 / 01-26 / 01-01             monthly
 * K               Kiritimati 02-01 / 01-26 / 02-01             daily, weekly
 * P               Pago_Pago  01-31 / 01-26 / 01-01             -
 * D               Mars/X     01-30 /   -   / 01-01             daily, monthly
 * E               NULL         -   /   -   /   -               -
 * W (owner P)     Pago_Pago  01-30 / 01-26 / 01-01             daily
 * W2 (owner K)    Kiritimati   -   /   -   /   -               -
 *
 * daily: 7 subjects, 3 behind (K, D, W), 2 without (E, W2), oldest 01-30;
 * weekly: 1 behind (K), 3 without (D, E, W2), oldest 01-26;
 * monthly: 2 behind (A, D), 2 without (E, W2), oldest 01-01.
 */
Test(operate, freshness_by_hand)
{
    struct fx_db db;
    json_t *doc, *f;
    static const struct { const char *type; int behind, without; const char *oldest; } want[] = {
        {"daily", 3, 2, "2026-01-30"}, {"weekly", 1, 3, "2026-01-26"}, {"monthly", 2, 2, "2026-01-01"},
    };

    fx_db_create(&db);
    fx_exec(&db,
            "INSERT INTO auth.users (id) SELECT ('00000000-0000-0000-0000-00000000000' || n)::uuid"
            " FROM generate_series(1, 5) n;"
            "INSERT INTO profiles (id, timezone) VALUES"
            " ('00000000-0000-0000-0000-000000000001', 'UTC'),"
            " ('00000000-0000-0000-0000-000000000002', 'Pacific/Kiritimati'),"
            " ('00000000-0000-0000-0000-000000000003', 'Pacific/Pago_Pago'),"
            " ('00000000-0000-0000-0000-000000000004', 'Mars/Olympus_Mons'),"
            " ('00000000-0000-0000-0000-000000000005', NULL);"
            "INSERT INTO workspaces (id, name, slug, owner_id) VALUES"
            " ('10000000-0000-0000-0000-000000000001', 'w', 'w', '00000000-0000-0000-0000-000000000003'),"
            " ('10000000-0000-0000-0000-000000000002', 'w2', 'w2', '00000000-0000-0000-0000-000000000002');"
            "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type, snapshot_date,"
            "                                 metrics)"
            " SELECT ('00000000-0000-0000-0000-00000000000' || u)::uuid, w::uuid, p, t, d::date, '{}'"
            " FROM (VALUES"
            "  (1, NULL, 'all', 'daily', '2026-01-15'), (1, NULL, 'all', 'daily', '2026-02-01'),"
            "  (1, NULL, 'all', 'weekly', '2026-01-26'), (1, NULL, 'all', 'monthly', '2026-01-01'),"
            "  (2, NULL, 'all', 'daily', '2026-02-01'), (2, NULL, 'all', 'weekly', '2026-01-26'),"
            "  (2, NULL, 'all', 'monthly', '2026-02-01'),"
            "  (3, NULL, 'all', 'daily', '2026-01-31'), (3, NULL, 'all', 'weekly', '2026-01-26'),"
            "  (3, NULL, 'all', 'monthly', '2026-01-01'), (3, NULL, 'github', 'daily', '2026-01-31'),"
            "  (4, NULL, 'all', 'daily', '2026-01-30'), (4, NULL, 'all', 'monthly', '2026-01-01'),"
            "  (3, '10000000-0000-0000-0000-000000000001', 'all', 'daily', '2026-01-30'),"
            "  (3, '10000000-0000-0000-0000-000000000001', 'all', 'weekly', '2026-01-26'),"
            "  (3, '10000000-0000-0000-0000-000000000001', 'all', 'monthly', '2026-01-01')"
            " ) v (u, w, p, t, d)");
    doc = status_json(&db, "--as-of 2026-02-02T10:30:00Z");
    cr_expect_str_eq(str_of(doc, "as_of"), "2026-02-02T10:30:00Z");
    cr_assert_eq(json_array_size(json_object_get(doc, "freshness")), 3);
    for (size_t i = 0; i < 3; i++) {
        f = json_array_get(json_object_get(doc, "freshness"), i);
        cr_expect_str_eq(str_of(f, "snapshot_type"), want[i].type);
        cr_expect_eq(int_of(f, "subjects"), 7, "%s", want[i].type);
        cr_expect_eq(int_of(f, "behind"), want[i].behind, "%s", want[i].type);
        cr_expect_eq(int_of(f, "without_snapshots"), want[i].without, "%s", want[i].type);
        cr_expect_str_eq(str_of(f, "oldest_latest"), want[i].oldest, "%s", want[i].type);
    }
    cr_expect_eq(json_array_size(json_object_get(doc, "last_runs")), 0);
    json_decref(doc);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- metrics */

/* The value of one series (its name and labels exactly as written). */
static double
prom_value(const char *text, const char *series)
{
    size_t n = strlen(series);

    for (const char *line = text; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    cr_assert_fail("no series %s in:\n%s", series, text);
    return 0;
}

#define SERIES(name, extra) "devpulse_etl_" name "{command=\"nightly\",shard=\"1/1\"" extra "}"

/* A real run's file passes promtool, and its figures are the ledger's; a
 * refused run replaces it, keeping the last success; the file is readable
 * by others whatever the umask, and no temporary file is left. */
Test(operate, metrics_file_of_real_runs)
{
    struct fx_db db;
    char dir[] = "/tmp/devpulse-prom-XXXXXX", path[64], *out, *text;
    struct stat st;
    double rows = 0;
    static const char *const tables[] = {"github_contributions", "youtube_channel_stats",
                                         "github_repositories", "youtube_videos", "devto_articles"};

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 63, NULL);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/nightly.prom", dir);
    cr_assert_eq(fx_shell(&out, "umask 077; %s --dsn dbname=%s nightly --as-of " AS_OF
                          " --metrics-file %s -q", fx_etl_path(), db.name, path), 0, "%s", out);
    free(out);
    cr_assert_eq(fx_shell(&out, "promtool check metrics < %s", path), 0, "promtool: %s", out);
    cr_expect_str_eq(out, "", "promtool's lint");
    free(out);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644);
    cr_assert_eq(fx_shell(&text, "cat %s", path), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_outcome", ",outcome=\"succeeded\"")), 1);
    cr_expect_eq(prom_value(text, SERIES("last_run_outcome", ",outcome=\"failed\"")), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_outcome", ",outcome=\"skipped\"")), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_exit_status", "")), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_id", "")),
                 fx_int(&db, "SELECT id FROM devpulse_etl.runs"));
    cr_expect_eq(prom_value(text, SERIES("last_run_rows_written", "")),
                 fx_int(&db, "SELECT count(*) FROM analytics_snapshots"));
    cr_expect_eq(prom_value(text, SERIES("last_run_goals_updated", "")),
                 fx_int(&db, "SELECT goals_updated FROM devpulse_etl.runs"));
    cr_expect_eq(prom_value(text, SERIES("last_run_warnings", "")),
                 fx_int(&db, "SELECT warnings FROM devpulse_etl.runs"));
    for (int t = 0; t < 5; t++) {
        char series[160], sql[128];

        snprintf(series, sizeof series, SERIES("last_run_rows_read", ",table=\"%s\""), tables[t]);
        /* Drafts are not read: they never count (SPEC.md section 3). */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", tables[t],
                 t == 4 ? " WHERE published_at IS NOT NULL" : "");
        cr_expect_eq(prom_value(text, series), fx_int(&db, sql), "%s", tables[t]);
        rows += prom_value(text, series);
    }
    cr_expect_eq(rows, fx_int(&db, "SELECT rows_read FROM devpulse_etl.runs"));
    cr_expect_eq(llround(prom_value(text, SERIES("last_success_timestamp_seconds", "")) * 1e6),
                 fx_int(&db, "SELECT (extract(epoch FROM ended_at) * 1000000)::bigint FROM devpulse_etl.runs"));
    cr_expect_leq(prom_value(text, SERIES("last_run_start_timestamp_seconds", "")),
                  prom_value(text, SERIES("last_run_end_timestamp_seconds", "")));
    cr_expect_geq(prom_value(text, SERIES("last_run_phase_seconds", ",phase=\"extract\"")), 0);
    cr_expect_geq(prom_value(text, SERIES("last_run_phase_seconds", ",phase=\"goals\"")), 0);
    free(text);

    /* Refused by the lock: skipped, exit 3, and the last success is still the nightly's. */
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");
    cr_expect_eq(fx_shell(&out, "%s --dsn dbname=%s nightly --metrics-file %s -q", fx_etl_path(),
                          db.name, path), 3, "%s", out);
    free(out);
    fx_exec(&db, "SELECT pg_advisory_unlock(" RUNLOCK_RUN_ARGS ")");
    cr_assert_eq(fx_shell(&out, "promtool check metrics < %s", path), 0, "promtool: %s", out);
    free(out);
    cr_assert_eq(fx_shell(&text, "cat %s", path), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_outcome", ",outcome=\"skipped\"")), 1);
    cr_expect_eq(prom_value(text, SERIES("last_run_outcome", ",outcome=\"succeeded\"")), 0);
    cr_expect_eq(prom_value(text, SERIES("last_run_exit_status", "")), 3);
    cr_expect_eq(prom_value(text, SERIES("last_run_id", "")),
                 fx_int(&db, "SELECT id FROM devpulse_etl.runs WHERE status = 'skipped'"));
    cr_expect_eq(llround(prom_value(text, SERIES("last_success_timestamp_seconds", "")) * 1e6),
                 fx_int(&db, "SELECT (extract(epoch FROM ended_at) * 1000000)::bigint"
                             " FROM devpulse_etl.runs WHERE status = 'succeeded'"));
    free(text);
    cr_expect_eq(fx_shell(&out, "ls -A %s", dir), 0);
    cr_expect_str_eq(out, "nightly.prom\n", "a temporary file was left");
    free(out);
    fx_shell(NULL, "rm -rf %s", dir);
    fx_db_drop(&db);
}

/* The alert rules shipped in jobs/ load, and fire when they should: a
 * failed run, and no success for more than a day (promtool test rules). */
Test(operate, alert_rules)
{
    char *out;

    cr_expect_eq(fx_shell(&out, "promtool check rules %s/../jobs/devpulse-etl.rules.yml",
                          fx_tests_dir()), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_shell(&out, "cd %s/../jobs && promtool test rules %s/alerts.test.yml",
                          fx_tests_dir(), fx_tests_dir()), 0, "%s", out);
    free(out);
}

/* ---------------------------------------------------------------- logs */

/* A database named in Latin-1: the JSON error line is still one valid JSON
 * object, with the byte escaped; the text line keeps the byte as it is. */
Test(operate, json_error_that_is_not_utf8)
{
    char *out;
    json_t *e;
    int rc = fx_shell(&out, "%s --log-format json --dsn \"dbname=$(printf 'caf\\351')\" nightly",
                      fx_etl_path());

    cr_expect_eq(rc, 1, "%s", out);
    cr_assert(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
    e = parse_object(out);
    cr_expect_str_eq(str_of(e, "event"), "error");
    cr_expect_str_eq(str_of(e, "level"), "error");
    cr_expect(strstr(str_of(e, "message"), "cannot connect to the database") != NULL, "%s", out);
    cr_expect(strstr(str_of(e, "message"), "\"caf\\xE9\"") != NULL, "%s", out);
    cr_expect(json_is_null(json_object_get(e, "run_id")), "%s", out);
    cr_expect(json_is_null(json_object_get(e, "sqlstate")), "%s", out);
    cr_expect_eq(int_of(e, "exit_status"), 1);
    json_decref(e);
    free(out);
    rc = fx_shell(&out, "%s --dsn \"dbname=$(printf 'caf\\351')\" nightly", fx_etl_path());
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "\"caf\351\"") != NULL, "%s", out);
    free(out);
}

/* The session's encoding is UTF-8 whatever PGCLIENTENCODING or the DSN say:
 * a ledger error in UTF-8 comes out as it is, not converted to Latin-1. */
Test(operate, client_encoding_is_utf8)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, "INSERT INTO devpulse_etl.runs (command, status, ended_at, error)"
                 " VALUES ('goals', 'failed', now(), 'caf\xC3\xA9 \xE2\x82\xAC')");
    cr_assert_eq(fx_shell(&out, "PGCLIENTENCODING=LATIN1 %s --dsn 'dbname=%s client_encoding=LATIN1'"
                          " status --format json", fx_etl_path(), db.name), 0, "%s", out);
    cr_expect(strstr(out, "\"error\":\"caf\xC3\xA9 \xE2\x82\xAC\"") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* Lines on a pipe start with an ISO 8601 instant: progress, warnings, error. */
Test(operate, text_lines_carry_timestamps)
{
    struct fx_db db;
    char *out, *save = NULL;
    regex_t re;
    int lines = 0;

    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z "
                              "(devpulse-etl: |warning: )", REG_EXTENDED | REG_NOSUB), 0);
    fx_db_create(&db);
    fx_generate(&db, 30, 120, 64, NULL);
    /* stderr only: warnings, the backfill's progress lines, then an error. */
    cr_assert_eq(fx_shell(&out, "%s --dsn dbname=%s backfill --from 2025-10-01 --to 2025-12-31"
                          " --as-of " AS_OF " --batch-memory 1 2>&1 >/dev/null;"
                          " psql -XAtq -d %s -c 'SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS "), pg_sleep(2)' >/dev/null &"
                          " sleep 0.5; %s --dsn dbname=%s goals 2>&1 >/dev/null; wait",
                          fx_etl_path(), db.name, db.name, fx_etl_path(), db.name), 0, "%s", out);
    for (char *line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        cr_expect_eq(regexec(&re, line, 0, NULL, 0), 0, "no timestamp: %s", line);
        lines++;
    }
    cr_expect_gt(lines, 3);
    regfree(&re);
    free(out);
    fx_db_drop(&db);
}

/* On a terminal of 60 and of 24 columns, every redraw of the bar fits in
 * the line (the bar shrinks, then the text is cut), so none wraps. */
Test(operate, progress_bar_fits_the_terminal, .timeout = 120)
{
    struct fx_db db;
    static const int widths[] = {60, 24};

    fx_db_create(&db);
    fx_generate(&db, 60, 200, 65, NULL);
    for (int w = 0; w < 2; w++) {
        char *out, *save = NULL;
        int bars = 0;
        int rc = fx_shell(&out, "script -qec \"stty cols %d rows 10; %s --dsn dbname=%s backfill"
                          " --overwrite --from 2025-01-01 --to 2025-06-30 --as-of " AS_OF
                          " --batch-memory 1 >/dev/null\" /dev/null", widths[w], fx_etl_path(),
                          db.name);

        cr_assert_eq(rc, 0, "%s", out);
        for (char *seg = strtok_r(out, "\r\n", &save); seg != NULL; seg = strtok_r(NULL, "\r\n", &save)) {
            char *k = strstr(seg, "\033[K");

            if (strncmp(seg, "backfill ", 9) != 0)
                continue;       /* not the bar: a log line, a warning */
            if (k != NULL)
                *k = '\0';
            cr_expect_lt((int) strlen(seg), widths[w], "%d columns: a line of %zu: \"%s\"",
                         widths[w], strlen(seg), seg);
            /* Wide enough for a bar of its own, or only for the text. */
            cr_expect_eq(strchr(seg, '[') != NULL, widths[w] >= 60, "%s", seg);
            bars++;
        }
        cr_expect_gt(bars, 0, "no bar drawn on %d columns: %s", widths[w], out);
        free(out);
    }
    fx_db_drop(&db);
}

/* The rows of analytics_snapshots by platform and type, as `select` (over
 * platform, snapshot_type and their count n) makes them into one text. */
static char *
rows_by_kind(struct fx_db *db, const char *select)
{
    char *sql, *text;

    cr_assert(asprintf(&sql, "SELECT %s FROM (SELECT platform, snapshot_type, count(*) AS n"
                       " FROM analytics_snapshots GROUP BY 1, 2) k", select) > 0);
    text = fx_text(db, sql);
    free(sql);
    return text;
}

/* The report counts the rows it wrote by platform and type, in the unique
 * key's order of platforms ('all' < 'devto' < 'github' < 'youtube') and
 * daily, weekly, monthly: as text and as JSON, against what the table holds
 * after a nightly on a fresh database (every row is the run's). */
Test(operate, report_counts_rows_by_platform_and_type, .timeout = 120)
{
    struct fx_db text_db, json_db;
    char *out, *lines, *want;
    json_t *report, *rows;

    fx_db_create(&text_db);
    fx_generate(&text_db, 30, 60, 66, NULL);
    fx_db_copy(&text_db, &json_db);
    /* stdout alone: the report */
    cr_assert_eq(fx_shell(&out, "{ %s --dsn dbname=%s nightly --as-of " AS_OF " 2>/dev/null; }",
                          fx_etl_path(), text_db.name), 0, "%s", out);
    cr_assert_eq(fx_int(&text_db, "SELECT count(DISTINCT (platform, snapshot_type))"
                        " FROM analytics_snapshots"), 12, "every platform and type has rows");
    lines = rows_by_kind(&text_db, "string_agg(format('  rows %-8s %-8s %10s', platform,"
                         " snapshot_type, n), E'\\n' ORDER BY platform,"
                         " array_position(ARRAY['daily', 'weekly', 'monthly'], snapshot_type))");
    cr_assert(asprintf(&want, "batch(es)\n%s\n  snapshots: ", lines) > 0);
    cr_expect(strstr(out, want) != NULL, "expected\n%s\nin\n%s", lines, out);
    free(want);
    free(lines);
    free(out);

    cr_assert_eq(fx_shell(&out, "{ %s --dsn dbname=%s --log-format json nightly --as-of " AS_OF
                          " 2>/dev/null; }", fx_etl_path(), json_db.name), 0, "%s", out);
    report = parse_object(out);
    free(out);
    out = rows_by_kind(&json_db, "json_object_agg(platform || '/' || snapshot_type, n)");
    rows = parse_object(out);
    cr_expect(json_equal(json_object_get(report, "rows"), rows), "report: %s\ntable: %s",
              json_dumps(json_object_get(report, "rows"), JSON_SORT_KEYS), out);
    json_decref(rows);
    json_decref(report);
    free(out);
    fx_db_drop(&json_db);
    fx_db_drop(&text_db);
}
