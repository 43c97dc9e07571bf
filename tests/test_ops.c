/*
 * test_ops.c: running it like production: job files, the run lock, the run
 * ledger, signals, backfill --resume, log formats, shards.  Every run goes
 * through the real binary against the throwaway server.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "runlock.h"

#define AS_OF "2026-01-01T00:00:00Z"
#define YEAR "--from 2025-01-01 --to 2025-12-31 --as-of " AS_OF
#define YEAR_REF "SELECT * FROM ref.snapshots_backfill('" AS_OF "', '2025-01-01', '2025-12-31')"

/* ---------------------------------------------------------------- job files */

static char *
write_temp(const char *text)
{
    char *path = strdup("/tmp/devpulse-job-XXXXXX");
    int fd = mkstemp(path);

    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

struct job_case {
    char text[200];
    char message[100];        /* a part of the one error line */
};

static struct job_case job_cases[] = {
    {"{\"command\": \"nightly\",\n \"lookbak\": 3}", ":2:2: unknown key \"lookbak\""},
    {"{\"command\": \"nightly\", \"lookback\": \"3\"}", ":1:24: \"lookback\" must be a whole number"},
    {"{\"command\": \"nightly\", \"lookback\": 0}", ":1:24: invalid --lookback \"0\""},
    {"{\"command\": \"backfill\", \"from\": \"2025-01-01\",\n  \"to\": 20251231}", ":2:3: \"to\" must be a string"},
    {"{\"command\": \"backfill\", \"from\": \"2025-02-30\", \"to\": \"2025-03-01\"}", "invalid --from \"2025-02-30\""},
    {"{\"command\": \"backfill\", \"to\": \"2025-03-01\"}", "backfill needs --from DATE and --to DATE"},
    {"{\"command\": \"nightly\", \"overwrite\": true}", "\"overwrite\" does not belong to command nightly"},
    {"{\"command\": \"backfill\", \"from\": \"2025-01-01\", \"to\": \"2025-01-02\", \"overwrite\": 1}", "\"overwrite\" must be true or false"},
    {"{\"command\": \"nightly\",\n\n   \"lookback\": 3,, }", ":3:18: string or '}' expected"},
    {"{\"command\": \"nightly\" \"lookback\": 3}", ":1:"},
    {"[\"nightly\"]", ":1:1: a job file is one JSON object"},
    {"{\"lookback\": 3}", "needs \"command\""},
    {"{\"command\": \"migrate\"}", ":1:2: \"command\" must be \"nightly\", \"backfill\" or \"goals\""},
    {"{\"command\": \"nightly\", \"command\": \"goals\"}", "duplicate object key"},
    {"{\"command\": \"nightly\", \"dsn\": \"postgresql://u:pw@db/x\"}", "\"dsn\" does not belong in a job file"},
    {"{\"command\": \"nightly\", \"host\": \"db.internal\"}", "\"host\" does not belong in a job file"},
    /* Another command's options are that, not a matter of where the database is. */
    {"{\"command\": \"goals\", \"format\": \"json\"}", "\"format\" does not belong to command goals"},
    {"{\"command\": \"nightly\", \"check\": true}", "\"check\" does not belong to command nightly"},
    {"{\"command\": \"nightly\", \"help\": true}", "unknown key \"help\""},
    {"{\"command\": \"nightly\", \"description\": 7}", "\"description\" must be a string"},
    {"", "'[' or '{' expected near end of file"},
};

ParameterizedTestParameters(ops, bad_job_files)
{
    return cr_make_param_array(struct job_case, job_cases, sizeof job_cases / sizeof job_cases[0]);
}

/* A bad job file is refused with file, line and column, before any database
 * is touched (the DSN points nowhere, so touching it would fail otherwise). */
ParameterizedTest(struct job_case *c, ops, bad_job_files)
{
    char *path = write_temp(c->text), *out;
    int rc = fx_shell(&out, FX_NOWHERE " %s run %s", fx_etl_path(), path);

    cr_expect_eq(rc, 2, "'%s' exited %d: %s", c->text, rc, out);
    cr_expect(fx_after_stamp(out) != NULL && strncmp(fx_after_stamp(out), "devpulse-etl: ", 14) == 0 &&
              strstr(out, path) != NULL, "%s", out);
    cr_expect(strstr(out, c->message) != NULL, "expected \"%s\" in: %s", c->message, out);
    cr_expect(strstr(out, "pw@") == NULL, "%s", out);
    unlink(path);
    free(path);
    free(out);
}

/* The shipped job files run as they are; the command line overrides them. */
Test(ops, shipped_job_files)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 15, 400, 31, NULL);
    cr_assert_eq(fx_etl(&db, &out, "run %s/../jobs/nightly.json --as-of " AS_OF, fx_tests_dir()), 0,
                 "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'nightly'"
                             " AND status = 'succeeded' AND options = '{\"lookback\": 3}'"), 1);
    /* backfill-2025.json resumes when it can: a first run is a whole backfill... */
    cr_assert_eq(fx_etl(&db, &out, "run %s/../jobs/backfill-2025.json", fx_tests_dir()), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'backfill'"
                             " AND status = 'succeeded' AND options ->> 'from' = '2025-01-01'"
                             " AND options ->> 'to' = '2025-12-31'"), 1);
    /* ...and a second one finds it finished. */
    cr_assert_eq(fx_etl(&db, &out, "run %s/../jobs/backfill-2025.json", fx_tests_dir()), 0, "%s", out);
    cr_expect(strstr(out, "nothing to resume") != NULL, "%s", out);
    free(out);
    cr_assert_eq(fx_etl(&db, &out, "run %s/../jobs/goals.json -q", fx_tests_dir()), 0, "%s", out);
    cr_expect_str_eq(out, "");
    free(out);
    fx_db_drop(&db);
}

/* The URL of jobs/devpulse-etl.env.example, with its `?` and `&`. */
#define EXAMPLE_URL "postgresql://devpulse_etl_login@db.internal:5432/devpulse" \
                    "?sslmode=verify-full&application_name=devpulse-etl-nightly"
#define ENV_GENERATOR "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"

/* The shipped environment file reads the same in a shell (as the crontab
 * example reads it) and in systemd.  systemd has no offline reader of a
 * unit's EnvironmentFile= (systemd-analyze verify does not open it); its
 * environment.d generator reads a file with the same parser
 * (parse_env_file_internal in env-file.c: the same quoting and comments;
 * it then expands $VAR, which the URL has none of), so it stands in. */
Test(ops, shipped_env_file)
{
    char *out;
    int rc;

    rc = fx_shell(&out, "sh -c 'set -a; . %s/../jobs/devpulse-etl.env.example; set +a;"
                        " printf \"%%s\\n\" \"$DATABASE_URL\"'", fx_tests_dir());
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect_str_eq(out, EXAMPLE_URL "\n");
    free(out);
    cr_assert_eq(access(ENV_GENERATOR, X_OK), 0, "%s not found: install systemd (Makefile DEB_PKGS)",
                 ENV_GENERATOR);
    rc = fx_shell(&out, "d=$(mktemp -d) && mkdir $d/environment.d &&"
                        " cp %s/../jobs/devpulse-etl.env.example $d/environment.d/devpulse-etl.conf &&"
                        " env -i XDG_CONFIG_HOME=$d HOME=$d " ENV_GENERATOR " | grep '^DATABASE_URL=';"
                        " rc=$?; rm -rf $d; exit $rc", fx_tests_dir());
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect_str_eq(out, "DATABASE_URL=\"" EXAMPLE_URL "\"\n");
    free(out);
}

/* ---------------------------------------------------------------- the lock */

Test(ops, second_run_is_refused_or_waits)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 10, 60, 32, NULL);
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");       /* as a running engine holds it */
    rc = fx_etl(&db, &out, "nightly --as-of " AS_OF);
    cr_expect_eq(rc, 3, "%d: %s", rc, out);
    cr_expect(strstr(out, "another devpulse-etl run holds the lock") != NULL, "%s", out);
    free(out);
    rc = fx_etl(&db, &out, "nightly --as-of " AS_OF " --wait 0.3");
    cr_expect_eq(rc, 3, "%d: %s", rc, out);
    cr_expect(strstr(out, "waiting up to") != NULL, "%s", out);
    free(out);
    /* A shard is refused too while an unsharded run holds the lock. */
    cr_expect_eq(fx_etl(&db, NULL, "goals --shard 1/2"), 3);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_exec(&db, "SELECT pg_advisory_unlock(" RUNLOCK_RUN_ARGS ")");
    /* Held for a moment by another session: --wait gets it once it is free. */
    rc = fx_shell(&out, "psql -XAtq -d %s -c 'SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS "), pg_sleep(1.5)' &"
                  " sleep 0.5; %s --dsn dbname=%s nightly --as-of " AS_OF " --wait 60",
                  db.name, fx_etl_path(), db.name);
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "waiting up to 60 s") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* Two engines at once: while a backfill runs, a nightly started beside it
 * exits 3 at once and writes nothing; the backfill is not disturbed. */
Test(ops, concurrent_engines, .timeout = 300)
{
    struct fx_db db;
    char *out, action[512];
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 150, 365, 40, NULL);
    snprintf(action, sizeof action, "%s --dsn dbname=%s nightly --as-of " AS_OF
             " 2>&1; echo \"second=$?\"", fx_etl_path(), db.name);
    rc = fx_etl_meanwhile(&db, &out, "SELECT EXISTS (SELECT 1 FROM devpulse_etl.runs"
                          " WHERE status = 'running' AND subjects_done > 0)",
                          action, "backfill " YEAR " --batch-memory 1");
    cr_assert_eq(rc, 0, "%d: %s", rc, out);
    cr_expect(strstr(out, "second=3") != NULL, "%s", out);
    cr_expect(strstr(out, "another devpulse-etl run holds the lock on this database (by the ledger,"
                          " run 1, backfill, started") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"), 2);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'nightly'"
                             " AND status = 'skipped' AND blocked_by = 1 AND NOT held_lock"),
                 1, "the second run's row names the first");
    cr_expect_eq(fx_snapshot_diff(&db, YEAR_REF), 0);
    fx_db_drop(&db);
}

/* Shards exclude a second copy of themselves, not each other. */
Test(ops, shard_locks)
{
    struct fx_db db;
    char *out, sql[256];

    fx_db_create(&db);
    fx_generate(&db, 10, 60, 33, NULL);
    /* As shard 1/2 holds them. */
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock_shared(" RUNLOCK_RUN_ARGS "),"
             " pg_advisory_lock(" RUNLOCK_SQL(RUNLOCK_SHARD_CLASS) ", %d)", RUNLOCK_SHARD_KEY(1, 2));
    fx_exec(&db, sql);
    cr_expect_eq(fx_etl(&db, &out, "nightly --shard 1/2 --as-of " AS_OF), 3, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "nightly --shard 2/2 --as-of " AS_OF), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "nightly --as-of " AS_OF), 3, "%s", out);
    free(out);
    /* Shards of another N overlap these: refused. */
    fx_exec(&db, "SELECT pg_advisory_lock_shared(" RUNLOCK_SQL(RUNLOCK_COUNT_CLASS) ", 2)");
    cr_expect_eq(fx_etl(&db, &out, "nightly --shard 3/4 --as-of " AS_OF), 3, "%s", out);
    cr_expect(strstr(out, "every shard of a run must use the same N") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "nightly --shard 2/2 --as-of " AS_OF), 0, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* The union of N sharded runs is one unsharded run, snapshots and goals. */
static void
shard_case(const char *command, int shards)
{
    struct fx_db db;
    char *out;
    const char *expected = FX_EXPECTED_SNAPSHOTS;

    fx_db_create(&db);
    fx_generate(&db, 60, 400, 34 + shards, NULL);
    fx_expect_goals(&db, AS_OF);
    fx_expect_snapshots(&db, strcmp(command, "nightly") == 0
                                 ? "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 5)" : YEAR_REF);
    for (int k = 1; k <= shards; k++) {
        int64_t before = fx_int(&db, "SELECT count(*) FROM analytics_snapshots");

        cr_assert_eq(fx_etl(&db, &out, "%s --shard %d/%d %s", command, k, shards,
                            strcmp(command, "nightly") == 0 ? "--lookback 5 --as-of " AS_OF : YEAR),
                     0, "%s", out);
        free(out);
        /* Each shard writes its own subjects, and only complete ones. */
        cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), before, "shard %d", k);
        if (k < shards)
            cr_expect_eq(fx_partial_diff(&db, expected), 0, "shard %d", k);
    }
    cr_expect_eq(fx_snapshot_diff(&db, expected), 0);
    if (strcmp(command, "nightly") == 0)
        cr_expect_eq(fx_goals_diff(&db), 0, "goals of the shards differ from the reference");
    cr_expect_eq(fx_int(&db, "SELECT count(DISTINCT shard) FROM devpulse_etl.runs"), shards);
    fx_db_drop(&db);
}

Test(ops, shards_nightly_3) { shard_case("nightly", 3); }
Test(ops, shards_backfill_2) { shard_case("backfill", 2); }

/* ---------------------------------------------------------------- ledger */

Test(ops, ledger_records_recovers_and_prunes)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 20, 60, 36, NULL);
    /* A run that died without a word, and ended runs 100 and 10 days old. */
    fx_exec(&db, "INSERT INTO devpulse_etl.runs (command, started_at, status) VALUES"
                 " ('nightly', now() - interval '1 day', 'running'),"
                 " ('goals', now() - interval '100 days', 'succeeded'),"
                 " ('goals', now() - interval '10 days', 'failed')");
    fx_exec(&db, "UPDATE devpulse_etl.runs SET ended_at = started_at + interval '1 minute'"
                 " WHERE status <> 'running'");
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-31T12:00:00Z --lookback 2"), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'nightly'"
                             " AND status = 'failed' AND error LIKE 'abandoned:%%'"
                             " AND ended_at IS NOT NULL"), 1, "the dead run is marked failed");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"
                             " WHERE started_at < now() - interval '50 days'"), 0, "90 days are kept");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"
                             " WHERE started_at < now() - interval '5 days'"), 1);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs r WHERE status = 'succeeded'"
                             " AND command = 'nightly' AND as_of = '2025-12-31T12:00:00Z'"
                             " AND options = '{\"lookback\": 2}' AND ended_at >= started_at"
                             " AND rows_read > 0 AND attempts = 1 AND error IS NULL"
                             " AND rows_written = (SELECT count(*) FROM analytics_snapshots)"
                             " AND goals_updated > 0 AND warnings > 0 AND client_pid > 0"), 1);
    cr_assert_eq(fx_etl(&db, &out, "goals --keep-days 5"), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"
                             " WHERE started_at < now() - interval '5 days'"), 0);
    /* Nothing to resume: said, and not a run of its own. */
    cr_expect_eq(fx_etl(&db, &out, "backfill --resume"), 0, "%s", out);
    cr_expect(strstr(out, "nothing to resume") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE command = 'backfill'"), 0,
                 "a run that did nothing records nothing");
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- signals */

/* The issue's acceptance case: a year of backfill stopped twice with SIGTERM
 * and resumed ends with exactly the rows of an uninterrupted run. */
Test(ops, backfill_sigterm_twice_then_resume, .timeout = 300)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 200, 365, 37, NULL);
    fx_expect_snapshots(&db, YEAR_REF);
    rc = fx_etl_meanwhile(&db, &out,
                          "SELECT EXISTS (SELECT 1 FROM devpulse_etl.runs WHERE subjects_done > 0)",
                          "kill -TERM $pid", "backfill " YEAR " --batch-memory 1");
    cr_assert_eq(rc, 143, "%d: %s", rc, out);
    cr_expect(strstr(out, "cancelled by SIGTERM") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'cancelled'"
                             " AND error = 'cancelled by SIGTERM' AND subjects_done > 0"), 1);
    cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_partial_diff(&db, FX_EXPECTED_SNAPSHOTS), 0, "a batch was left half written");
    /* A later backfill that finishes does not hide the unfinished one. */
    cr_assert_eq(fx_etl(&db, NULL, "backfill --from 2026-06-01 --to 2026-06-02 --as-of " AS_OF), 0);

    rc = fx_etl_meanwhile(&db, &out,
                          "SELECT EXISTS (SELECT 1 FROM devpulse_etl.runs r WHERE r.status = 'running'"
                          " AND r.subjects_done > (SELECT max(subjects_done) FROM devpulse_etl.runs"
                          " WHERE status = 'cancelled'))",
                          "kill -TERM $pid", "backfill --resume --batch-memory 1");
    cr_assert_eq(rc, 143, "%d: %s", rc, out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'cancelled'"
                             " AND resumes IS NOT NULL"), 1);
    cr_expect_eq(fx_partial_diff(&db, FX_EXPECTED_SNAPSHOTS), 0, "a batch was left half written");

    cr_assert_eq(fx_etl(&db, &out, "backfill --resume"), 0, "%s", out);
    cr_expect(strstr(out, "already done") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, FX_EXPECTED_SNAPSHOTS), 0,
                 "resumed rows differ from an uninterrupted run");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'succeeded'"
                             " AND resumes IS NOT NULL AND as_of = '" AS_OF "'"), 1);
    fx_db_drop(&db);
}

/* SIGINT during nightly: exit 130, nothing written, goals as they were. */
Test(ops, nightly_sigint_rolls_back)
{
    struct fx_db db;
    char *out, *goals_before, *goals_after;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 200, 365, 38, NULL);
    goals_before = fx_goals_hash(&db);
    rc = fx_etl_meanwhile(&db, &out, "SELECT EXISTS (SELECT 1 FROM devpulse_etl.runs)",
                          "kill -INT $pid", "nightly --lookback 60 --as-of " AS_OF);
    cr_assert_eq(rc, 130, "%d: %s", rc, out);
    free(out);
    goals_after = fx_goals_hash(&db);
    cr_expect_str_eq(goals_before, goals_after);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'cancelled'"
                             " AND error = 'cancelled by SIGINT'"), 1);
    cr_expect_eq(fx_etl(&db, NULL, "nightly --lookback 60 --as-of " AS_OF), 0, "the rerun fails");
    free(goals_before);
    free(goals_after);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- output */

static void
expect_json_lines(const char *text, int *events, bool *report)
{
    char *copy = strdup(text), *save = NULL;

    *events = 0;
    *report = false;
    for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        const char *event = json_string_value(json_object_get(o, "event"));

        cr_expect(json_is_object(o) && event != NULL, "not a JSON event line: %s", line);
        if (event != NULL && strcmp(event, "report") == 0)
            *report = json_integer_value(json_object_get(json_object_get(o, "snapshots"),
                                                         "inserted")) > 0;
        (*events)++;
        json_decref(o);
    }
    free(copy);
}

Test(ops, log_formats)
{
    struct fx_db db;
    char *out;
    int events;
    bool report;

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 39, NULL);
    cr_assert_eq(fx_etl(&db, &out, "backfill --from 2025-10-01 --to 2025-12-31 --as-of " AS_OF
                                   " --log-format json --batch-memory 1"), 0, "%s", out);
    expect_json_lines(out, &events, &report);
    cr_expect(report, "no report with inserted rows: %s", out);
    cr_expect_gt(events, 4, "%s", out);
    cr_expect(strstr(out, "\"event\":\"batch\"") != NULL && strstr(out, "\"event\":\"warning\"") != NULL,
              "%s", out);
    free(out);
    /* Not on a terminal: plain log lines, and the last batch always has one. */
    cr_assert_eq(fx_etl(&db, &out, "backfill --overwrite --from 2025-10-01 --to 2025-12-31"
                                   " --as-of " AS_OF " --batch-memory 1"), 0, "%s", out);
    cr_expect(strstr(out, "source read in") != NULL, "%s", out);
    cr_expect(strstr(out, "rows/s, ETA") != NULL && strstr(out, "\r") == NULL, "%s", out);
    free(out);
    cr_assert_eq(fx_etl(&db, &out, "-q goals"), 0);
    cr_expect_str_eq(out, "");
    free(out);
    fx_db_drop(&db);
}

/* --source-dsn: the source is read from one database (a replica in
 * production) and the snapshots, goals, lock and ledger go to the other. */
Test(ops, source_from_another_database)
{
    struct fx_db primary, replica;
    char *out;

    fx_db_create(&primary);
    fx_generate(&primary, 30, 120, 46, NULL);
    fx_db_copy(&primary, &replica);
    /* What only the replica says must show in the primary's snapshots. */
    fx_exec(&replica, "UPDATE github_repositories SET stars_count = stars_count + 1000");
    fx_expect_goals(&replica, AS_OF);
    cr_assert_eq(fx_etl(&primary, &out, "nightly --as-of " AS_OF " --source-dsn dbname=%s",
                        replica.name), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&replica, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_int(&replica, "SELECT count(*) FROM devpulse_etl.runs"), 0);
    cr_expect_eq(fx_int(&primary, "SELECT count(*) FROM devpulse_etl.runs"
                                  " WHERE status = 'succeeded'"), 1);
    /* Compare where the replica's data is: bring the primary's results over. */
    cr_assert_eq(fx_shell(&out, "psql -XAtq -d %s -c 'COPY analytics_snapshots TO STDOUT' |"
                          " psql -XAtq -d %s -c 'COPY analytics_snapshots FROM STDIN' &&"
                          " psql -XAtq -d %s -c 'COPY goals TO STDOUT' |"
                          " psql -XAtq -d %s -c 'TRUNCATE goals; COPY goals FROM STDIN'",
                          primary.name, replica.name, primary.name, replica.name), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&replica, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(&replica), 0);
    fx_db_drop(&replica);
    fx_db_drop(&primary);
}

/* ---------------------------------------------------------------- poolers */

/* Runs `devpulse-etl ARGS` through a PgBouncer in pool_mode `mode` (tests/
 * with-pgbouncer); in ARGS, $B is the bouncer's -h and -p. */
static int
through_bouncer(char **out, const char *mode, const char *args)
{
    return fx_shell(out, "%s/with-pgbouncer %s sh -c 'B=\"-h $BOUNCER_HOST -p $BOUNCER_PORT\";"
                         " %s %s'", fx_tests_dir(), mode, fx_etl_path(), args);
}

#define POOLER_REFUSED "the connection goes through a transaction-mode pooler"

/* A transaction-mode pooler is refused before the lock, the ledger or any
 * write, with the connection to use instead; on the source too. */
Test(ops, transaction_pooler_refused, .timeout = 120)
{
    struct fx_db db;
    char args[512], *out, *goals_before, *goals_after;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 20, 60, 51, NULL);
    goals_before = fx_goals_hash(&db);
    snprintf(args, sizeof args, "$B -d %s nightly --as-of " AS_OF, db.name);
    rc = through_bouncer(&out, "transaction", args);
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "devpulse-etl: nightly: " POOLER_REFUSED) != NULL &&
              strstr(out, "session-mode pooler (on Supabase: port 5432)") != NULL, "%s", out);
    free(out);
    /* Refused before the lock: the ledger says so (issue 16), and that is all. */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND NOT held_lock AND error LIKE '%%transaction-mode pooler%%'"), 1);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"), 1);
    snprintf(args, sizeof args, "$B -d %s backfill --from 2025-11-01 --to 2025-12-31", db.name);
    rc = through_bouncer(&out, "transaction", args);
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, POOLER_REFUSED) != NULL, "%s", out);
    free(out);
    snprintf(args, sizeof args, "$B -d %s migrate", db.name);
    rc = through_bouncer(&out, "transaction", args);
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, POOLER_REFUSED) != NULL, "%s", out);
    free(out);
    /* The source behind the pooler: the run fails before it reads. */
    snprintf(args, sizeof args, "--dsn dbname=%s nightly --as-of " AS_OF
             " --source-dsn \"host=$BOUNCER_HOST port=$BOUNCER_PORT dbname=%s\"", db.name, db.name);
    rc = through_bouncer(&out, "transaction", args);
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "source database (--source-dsn): " POOLER_REFUSED) != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    goals_after = fx_goals_hash(&db);
    cr_expect_str_eq(goals_before, goals_after, "goals changed");
    /* nightly and backfill through the pooler (refused before the lock), and
     * the nightly that held the lock and read its source through it */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND NOT held_lock AND error LIKE 'the connection goes through a"
                             " transaction-mode pooler%%'"), 2);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND held_lock AND error LIKE 'source database (--source-dsn): the"
                             " connection goes through a transaction-mode pooler%%'"), 1);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs"), 3);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                             " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), 0);
    free(goals_before);
    free(goals_after);
    fx_db_drop(&db);
}

/* A session-mode pooler gives each client a session of its own: the runs
 * work through it and write the reference's rows. */
Test(ops, session_pooler_works, .timeout = 120)
{
    struct fx_db db;
    char args[512], *out;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 20, 60, 52, NULL);
    fx_expect_goals(&db, AS_OF);
    snprintf(args, sizeof args, "$B -d %s migrate && %s $B -d %s nightly --as-of " AS_OF,
             db.name, fx_etl_path(), db.name);
    rc = through_bouncer(&out, "session", args);
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "migrate: the database is up to date") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(&db), 0);
    fx_exec(&db, "TRUNCATE analytics_snapshots");
    snprintf(args, sizeof args, "$B -d %s backfill " YEAR " --batch-memory 1", db.name);
    rc = through_bouncer(&out, "session", args);
    cr_expect_eq(rc, 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, YEAR_REF), 0);
    fx_db_drop(&db);
}
