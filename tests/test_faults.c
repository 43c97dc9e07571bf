/*
 * test_faults.c: faults on a real server, no mocks.  After each one the
 * database is consistent (no partial batch; goals unchanged or fully
 * updated) and a rerun succeeds: a backend killed mid-COPY or while a
 * nightly batch is being written, the server restarted mid-run, a hot
 * standby's recovery conflicts, the --source-dsn session lost while it is
 * set up, statement_timeout hit, a DSN that points
 * nowhere, a role without the grants it needs (and one with them), row
 * level security (for clients, and never hiding a row from the engine).
 * SIGTERM and SIGINT mid-run and a concurrent second run are in test_ops.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define AS_OF "2026-01-01T00:00:00Z"
#define YEAR "--from 2025-01-01 --to 2025-12-31 --as-of " AS_OF
#define YEAR_REF "SELECT * FROM ref.snapshots_backfill('" AS_OF "', '2025-01-01', '2025-12-31')"

/* Terminates the engine's session while it streams a batch in (into the
 * table, or into the stage), once some batches are committed; answers t
 * when it has. */
#define KILL_MID_COPY \
    "SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity" \
    " WHERE datname = current_database() AND application_name = 'devpulse-etl'" \
    "   AND state = 'active' AND query LIKE 'COPY %% FROM STDIN%%'" \
    "   AND (SELECT max(subjects_done) FROM devpulse_etl.runs) > 0"

/* A lost connection is retried: the next attempt goes on after the last
 * committed batch, and the result is the uninterrupted one. */
Test(faults, backend_killed_mid_copy_is_retried, .timeout = 300)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 150, 365, 41, NULL);
    rc = fx_etl_meanwhile(&db, &out, KILL_MID_COPY, ":", "backfill " YEAR " --batch-memory 1");
    cr_assert_eq(rc, 0, "%d: %s", rc, out);
    cr_expect(strstr(out, "attempt 1 failed") != NULL && strstr(out, "attempt 2 in") != NULL,
              "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, YEAR_REF), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'succeeded'"
                             " AND attempts = 2"), 1);
    fx_db_drop(&db);
}

/* Without retries the run fails at once, keeps only whole batches, records
 * the failure, and --resume finishes the job. */
Test(faults, backend_killed_mid_copy_then_resume, .timeout = 300)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 150, 365, 42, NULL);
    fx_expect_snapshots(&db, YEAR_REF);
    rc = fx_etl_meanwhile(&db, &out, KILL_MID_COPY, ":",
                          "backfill " YEAR " --batch-memory 1 --retries 0");
    cr_assert_eq(rc, 1, "%d: %s", rc, out);
    /* The session dies during the COPY or just after it, as the server
     * gets to the termination. */
    cr_expect(strstr(out, "devpulse-etl: backfill: ") != NULL && strstr(out, "connection") != NULL,
              "%s", out);
    cr_expect(strstr(out, "attempt 2") == NULL, "retried: %s", out);
    cr_expect(strstr(out, "FATAL") == NULL, "libpq printed the server's message itself: %s", out);
    free(out);
    cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_partial_diff(&db, FX_EXPECTED_SNAPSHOTS), 0, "a batch was left half written");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND error LIKE '%%connection%%'"), 1);
    cr_assert_eq(fx_etl(&db, &out, "backfill --resume"), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, FX_EXPECTED_SNAPSHOTS), 0);
    fx_db_drop(&db);
}

/* Terminates the engine's session while the server writes a nightly batch
 * after the first (the upserts are sent without waiting, and the engine
 * computes the next batch meanwhile); answers t when it has.  The trigger
 * below makes each upsert last long enough to be seen, and counts them. */
#define KILL_MID_UPSERT \
    "SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity" \
    " WHERE datname = current_database() AND application_name = 'devpulse-etl'" \
    "   AND state = 'active' AND query LIKE 'WITH w AS (INSERT INTO analytics_snapshots%%'" \
    "   AND (SELECT last_value FROM slow_upserts) >= 3"
#define SLOW_UPSERTS \
    "CREATE SEQUENCE slow_upserts;" \
    "CREATE FUNCTION slow_upsert() RETURNS trigger LANGUAGE plpgsql AS" \
    " $$BEGIN PERFORM nextval('slow_upserts'), pg_sleep(0.2); RETURN NULL; END$$;" \
    "CREATE TRIGGER slow_upsert BEFORE INSERT ON analytics_snapshots" \
    " FOR EACH STATEMENT EXECUTE FUNCTION slow_upsert()"

/* A nightly that loses its session while a batch is being written writes
 * nothing and touches no goal; the rerun writes the reference's rows. */
Test(faults, backend_killed_mid_nightly_upsert, .timeout = 300)
{
    struct fx_db db;
    char *out, *goals_before, *goals_after;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 150, 365, 43, NULL);
    fx_exec(&db, SLOW_UPSERTS);
    goals_before = fx_goals_hash(&db);
    rc = fx_etl_meanwhile(&db, &out, KILL_MID_UPSERT, ":",
                          "nightly --lookback 30 --as-of " AS_OF " --batch-memory 1 --retries 0");
    cr_assert_eq(rc, 1, "%d: %s", rc, out);
    cr_expect(strstr(out, "connection") != NULL, "%s", out);
    free(out);
    goals_after = fx_goals_hash(&db);
    cr_expect_str_eq(goals_before, goals_after, "goals changed by a failed nightly");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0,
                 "a failed nightly left rows");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND error LIKE '%%connection%%'"), 1);
    fx_exec(&db, "DROP TRIGGER slow_upsert ON analytics_snapshots");
    cr_assert_eq(fx_etl(&db, &out, "nightly --lookback 30 --as-of " AS_OF " --batch-memory 1"), 0,
                 "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 30)"), 0);
    free(goals_before);
    free(goals_after);
    fx_db_drop(&db);
}

/* The server restarts under a backfill (in a cluster of its own: see
 * tests/fault-restart); the engine reconnects and finishes. */
Test(faults, server_restart_mid_run, .timeout = 300)
{
    char *out;
    int rc = fx_shell(&out, "%s/with-pg %s/fault-restart", fx_tests_dir(), fx_tests_dir());

    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "restarted") != NULL, "%s", out);
    cr_expect(strstr(out, "exit=0") != NULL, "%s", out);
    cr_expect(strstr(out, "missing=0\n") != NULL && strstr(out, "extra=0\n") != NULL, "%s", out);
    cr_expect(strstr(out, "ledger=succeeded/2") != NULL, "%s", out);
    free(out);
}

/* --source-dsn against a real hot standby (pg_basebackup -R, in a cluster
 * of its own: see tests/replica-conflict) that cancels reads standing in the
 * way of replay at once.  A conflict is forced while the run reads: without
 * retries it fails, says why and what to set, and writes nothing; with
 * them its next attempt writes the reference's rows.  Under churn (updates
 * and VACUUMs on the primary while it reads) it does one or the other. */
Test(faults, replica_recovery_conflicts, .timeout = 300)
{
    char *out;
    int rc = fx_shell(&out, "%s/with-pg %s/replica-conflict", fx_tests_dir(), fx_tests_dir());

    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "plain: exit=0 diff=0 goals=0\n") != NULL, "%s", out);
    cr_expect(strstr(out, "refused: exit=1 message=yes rows=0 goals_same=yes ledger=failed/true\n")
              != NULL, "%s", out);
    cr_expect(strstr(out, "retried: exit=0 message=yes diff=0 goals=0 ledger=succeeded/2\n") != NULL,
              "%s", out);
    cr_expect(strstr(out, "churn: ok\n") != NULL, "%s", out);
    free(out);
}

/* A database and a copy of it, as the source, with the goals' expectations. */
static void
source_pair_create(struct fx_db *primary, struct fx_db *replica)
{
    fx_db_create(primary);
    fx_generate(primary, 20, 120, 47, NULL);
    fx_db_copy(primary, replica);
    fx_expect_goals(primary, AS_OF);
}

/* The nightly succeeded on the given attempt with the reference's rows and
 * goals; drops both databases. */
static void
expect_source_retried(struct fx_db *primary, struct fx_db *replica, int attempts)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'succeeded'"
                              " AND attempts = %d", attempts);
    cr_expect_eq(fx_int(primary, sql), 1, "no run succeeded on attempt %d", attempts);
    cr_expect_eq(fx_snapshot_diff(primary, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(primary), 0);
    fx_db_drop(replica);
    fx_db_drop(primary);
}

/*
 * The source connection (--source-dsn) is lost while it is being set up, the
 * first time only: another session holds the source database's pg_policy
 * (which the new session reads to choose its row_security), and once the
 * engine's session waits for it, ends that session and lets go.  The loss
 * keeps its SQLSTATE and "connection lost" through the "source database
 * (--source-dsn): " prefix, so the run is retried and its second attempt
 * writes the reference's rows.  (Before etl_error_prefix the prefix cleared
 * them, and the run failed at once.)
 */
#define END_THE_SOURCE_SESSION \
    "BEGIN;\n" \
    "LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE;\n" \
    "DO $$\n" \
    "DECLARE p int;\n" \
    "BEGIN\n" \
    "  FOR i IN 1 .. 3000 LOOP\n" \
    "    SELECT pid INTO p FROM pg_locks WHERE NOT granted\n" \
    "      AND relation = 'pg_catalog.pg_policy'::regclass\n" \
    "      AND database = (SELECT oid FROM pg_database WHERE datname = current_database());\n" \
    "    EXIT WHEN p IS NOT NULL;\n" \
    "    PERFORM pg_sleep(0.02);\n" \
    "  END LOOP;\n" \
    "  IF p IS NULL THEN RAISE 'the engine never waited for pg_policy'; END IF;\n" \
    "  PERFORM pg_terminate_backend(p, 60000);\n" \
    "END $$;\n" \
    "COMMIT;\n"

Test(faults, source_lost_while_connecting_is_retried, .timeout = 300)
{
    struct fx_db primary, replica;
    char *out;
    int rc;

    source_pair_create(&primary, &replica);
    rc = fx_shell(&out,
                  "psql -XAtq -v ON_ERROR_STOP=1 -d %s <<'SQL' 2>&1 | sed 's/^/holder: /' &\n"
                  END_THE_SOURCE_SESSION
                  "SQL\n"
                  "until [ \"$(psql -XAtq -d %s -c \"SELECT count(*) FROM pg_locks WHERE granted"
                  " AND mode = 'AccessExclusiveLock' AND relation = 'pg_catalog.pg_policy'::regclass"
                  " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())\")\""
                  " = 1 ]; do sleep 0.02; done\n"
                  "%s --dsn dbname=%s nightly --as-of " AS_OF " --source-dsn dbname=%s 2>&1\n"
                  "echo \"exit=$?\"; wait",
                  replica.name, replica.name, fx_etl_path(), primary.name, replica.name);
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "exit=0\n") != NULL, "%s", out);
    cr_expect(strstr(out, "attempt 1 failed (source database (--source-dsn): ") != NULL &&
              strstr(out, "attempt 2 in") != NULL, "%s", out);
    cr_expect(strstr(out, "holder: ") == NULL, "%s", out);
    free(out);
    expect_source_retried(&primary, &replica, 2);
}

/*
 * After a loss, a source that refuses the next connection (a replica that
 * restarts) is part of the loss: the second attempt cannot get in, the
 * third can, and the run succeeds.  The source's first session is ended
 * while it connects, as above, and the source database stops taking
 * connections until the engine has said it will make a third attempt.
 * (Before, the second attempt's refusal was not retried and the run failed.)
 */
Test(faults, source_refused_after_a_loss_is_retried, .timeout = 300)
{
    struct fx_db primary, replica;
    char *out;
    int rc;

    source_pair_create(&primary, &replica);
    rc = fx_shell(&out,
                  "log=$(mktemp)\n"
                  "psql -XAtq -d %s -c 'BEGIN' -c 'LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE'"
                  " -c 'SELECT pg_sleep(300)' >/dev/null 2>&1 &\n"
                  "until [ \"$(psql -XAtq -d %s -c \"SELECT count(*) FROM pg_locks WHERE granted"
                  " AND mode = 'AccessExclusiveLock' AND relation = 'pg_catalog.pg_policy'::regclass"
                  " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())\")\""
                  " = 1 ]; do sleep 0.02; done\n"
                  "%s --dsn dbname=%s nightly --as-of " AS_OF " --source-dsn dbname=%s >\"$log\" 2>&1 &\n"
                  "engine=$!\n"
                  "psql -XAtq -v ON_ERROR_STOP=1 -d %s <<'SQL' 2>&1 | sed 's/^/holder: /'\n"
                  "CREATE TEMP TABLE waiter AS SELECT NULL::int AS pid;\n"
                  "DO $$\n"
                  "BEGIN\n"
                  "  FOR i IN 1 .. 3000 LOOP\n"
                  "    UPDATE waiter SET pid = (SELECT pid FROM pg_locks WHERE NOT granted\n"
                  "      AND relation = 'pg_catalog.pg_policy'::regclass\n"
                  "      AND database = (SELECT oid FROM pg_database WHERE datname = '%s'));\n"
                  "    EXIT WHEN (SELECT pid FROM waiter) IS NOT NULL;\n"
                  "    PERFORM pg_sleep(0.02);\n"
                  "  END LOOP;\n"
                  "  IF (SELECT pid FROM waiter) IS NULL THEN RAISE 'the engine never waited for pg_policy'; END IF;\n"
                  "END $$;\n"
                  "ALTER DATABASE %s WITH ALLOW_CONNECTIONS false;\n"
                  "SELECT pg_terminate_backend(pid, 60000) FROM waiter \\g /dev/null\n"
                  "SELECT pg_terminate_backend(pid, 60000) FROM pg_stat_activity\n"
                  "  WHERE datname = '%s' \\g /dev/null\n"
                  "SQL\n"
                  "while kill -0 $engine 2>/dev/null && ! grep -q 'attempt 3 in' \"$log\"; do sleep 0.05; done\n"
                  "psql -XAtq -d %s -c 'ALTER DATABASE %s WITH ALLOW_CONNECTIONS true'\n"
                  "wait $engine; echo \"exit=$?\"; cat \"$log\"; rm -f \"$log\"; wait",
                  replica.name, replica.name, fx_etl_path(), primary.name, replica.name,
                  primary.name, replica.name, replica.name, replica.name, primary.name, replica.name);
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "exit=0\n") != NULL, "%s", out);
    cr_expect(strstr(out, "attempt 2 failed (source database (--source-dsn): cannot connect") != NULL &&
              strstr(out, "attempt 3 in") != NULL, "%s", out);
    cr_expect(strstr(out, "holder: ") == NULL, "%s", out);
    free(out);
    expect_source_retried(&primary, &replica, 3);
}

/* statement_timeout is not a reason to retry: the run fails fast and the
 * nightly transaction leaves snapshots and goals as they were. */
Test(faults, statement_timeout_fails_fast)
{
    struct fx_db db;
    char *out, *goals_before, *goals_after;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 40, 120, 43, NULL);
    goals_before = fx_goals_hash(&db);
    /* Another session holds analytics_snapshots, so the upsert waits into
     * the timeout; reading the source is not held up. */
    rc = fx_shell(&out, "psql -XAtq -d %s -c 'BEGIN; LOCK analytics_snapshots; SELECT pg_sleep(8)' &"
                  " sleep 0.5; PGOPTIONS='-c statement_timeout=2s' %s --dsn dbname=%s nightly"
                  " --as-of " AS_OF, db.name, fx_etl_path(), db.name);
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "canceling statement due to statement timeout") != NULL, "%s", out);
    cr_expect(strstr(out, "attempt 2") == NULL, "retried: %s", out);
    free(out);
    goals_after = fx_goals_hash(&db);
    cr_expect_str_eq(goals_before, goals_after);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.runs WHERE status = 'failed'"
                             " AND error LIKE '%%statement timeout%%'"), 1);
    fx_expect_goals(&db, AS_OF);
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of " AS_OF), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(&db), 0);
    free(goals_before);
    free(goals_after);
    fx_db_drop(&db);
}

/* A DSN that points nowhere: one line, exit 1, no retry, no password shown. */
Test(faults, dsn_nowhere)
{
    char *out;
    int rc = fx_shell(&out, "%s --dsn 'postgresql://etl:s3cret@/devpulse?host=/nonexistent'"
                      " nightly", fx_etl_path());
    char *newline = strchr(out, '\n');

    cr_expect_eq(rc, 1, "%s", out);
    /* After the time: stderr is not a terminal. */
    cr_expect(strstr(out, "Z devpulse-etl: nightly: cannot connect to the database: ") ==
              strchr(out, ' ') - 1, "%s", out);
    cr_expect(newline != NULL && newline[1] == '\0', "more than one line: %s", out);
    cr_expect(strstr(out, "s3cret") == NULL, "password shown: %s", out);
    free(out);
}

/* A login without the engine's role is refused before it writes anything;
 * a member of devpulse_etl runs, and still cannot read the tokens. */
Test(faults, least_privilege)
{
    struct fx_db db;
    char *out, sql[512];
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 44, NULL);
    /* Roles are cluster-wide: named after this test's database. */
    snprintf(sql, sizeof sql, "CREATE ROLE %s_none LOGIN; CREATE ROLE %s_etl LOGIN IN ROLE devpulse_etl",
             db.name, db.name);
    fx_exec(&db, sql);
    rc = fx_etl_as(&db, "none", &out, "nightly");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "GRANT devpulse_etl TO") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);

    fx_expect_goals(&db, AS_OF);
    rc = fx_etl_as(&db, "etl", &out, "nightly --as-of " AS_OF);
    cr_expect_eq(rc, 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(&db), 0);
    rc = fx_shell(&out, "psql -XAtq -d %s -U %s_etl -c 'SELECT access_token FROM platform_connections'",
                  db.name, db.name);
    cr_expect_neq(rc, 0, "%s", out);
    cr_expect(strstr(out, "permission denied") != NULL, "%s", out);
    free(out);
    rc = fx_shell(&out, "psql -XAtq -d %s -U %s_etl -c 'SELECT display_name FROM profiles'",
                  db.name, db.name);
    cr_expect_neq(rc, 0, "%s", out);
    free(out);
    rc = fx_shell(&out, "psql -XAtq -d %s -U %s_etl -c 'UPDATE goals SET target_value = 1'",
                  db.name, db.name);
    cr_expect_neq(rc, 0, "%s", out);
    free(out);
    fx_db_drop(&db);
    snprintf(sql, sizeof sql, "DROP ROLE %s_none; DROP ROLE %s_etl", db.name, db.name);
    fx_shell(NULL, "psql -XAtq -d postgres -c '%s'", sql);
}

/* Row level security: a client sees its own rows and its workspaces'. */
Test(faults, row_level_security)
{
    struct fx_db db;
    char *out, *user, sql[1024];

    fx_db_create(&db);
    fx_generate(&db, 60, 120, 45, NULL);
    cr_assert_eq(fx_etl(&db, &out, "nightly --as-of " AS_OF), 0, "%s", out);
    free(out);
    /* A member (not the owner) of a workspace that has rows. */
    user = fx_text(&db, "SELECT m.user_id FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id"
                        " WHERE m.user_id <> w.owner_id AND EXISTS (SELECT 1 FROM analytics_snapshots s"
                        "   WHERE s.workspace_id = m.workspace_id)"
                        " ORDER BY 1 LIMIT 1");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM analytics_snapshots WHERE (workspace_id IS NULL AND user_id = '%s')"
             " OR workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = '%s'"
             "                     UNION SELECT id FROM workspaces WHERE owner_id = '%s')",
             user, user, user);
    {
        int64_t expected = fx_int(&db, sql);
        char *seen;

        cr_assert_gt(expected, 0);
        fx_shell(&seen, "psql -XAtq -d %s -c \"SET ROLE authenticated;"
                 " SET request.jwt.claims = '{\\\"sub\\\": \\\"%s\\\"}';"
                 " SELECT count(*) FROM analytics_snapshots\"", db.name, user);
        cr_expect_eq(strtoll(seen, NULL, 10), expected, "authenticated sees %s", seen);
        free(seen);
        fx_shell(&seen, "psql -XAtq -d %s -c \"SET ROLE authenticated;"
                 " SET request.jwt.claims = '{\\\"sub\\\": \\\"%s\\\"}';"
                 " SELECT count(*) FROM goals WHERE user_id <> '%s' AND workspace_id IS NULL\"",
                 db.name, user, user);
        cr_expect_eq(strtoll(seen, NULL, 10), 0, "another user's goals are visible: %s", seen);
        free(seen);
        fx_shell(&seen, "psql -XAtq -d %s -c \"SET ROLE authenticated; SELECT count(*) FROM goals\"",
                 db.name);
        cr_expect_eq(strtoll(seen, NULL, 10), 0, "without a user: %s", seen);
        free(seen);
        cr_expect_neq(fx_shell(&seen, "psql -XAtq -d %s -c \"SET ROLE authenticated;"
                               " SET request.jwt.claims = '{\\\"sub\\\": \\\"%s\\\"}';"
                               " UPDATE goals SET target_value = 0\"", db.name, user), 0);
        free(seen);
    }
    free(user);
    fx_db_drop(&db);
}

/*
 * Row level security never hides a row from the engine: with its policy on
 * a table, its login reads every row (the app's policies notwithstanding);
 * without it, or with a restrictive policy that applies to it, PostgreSQL
 * refuses the read (the session's row_security is off) and nothing is
 * written; migrate --check as that login says what is missing.  A login
 * with BYPASSRLS needs none of the engine's policies.
 */
Test(faults, row_security_hides_nothing)
{
    struct fx_db db;
    char *out, sql[512], *before, *after;
    int rc;

    fx_db_create(&db);
    fx_generate(&db, 30, 120, 46, NULL);
    snprintf(sql, sizeof sql, "CREATE ROLE %s_etl LOGIN IN ROLE devpulse_etl", db.name);
    fx_exec(&db, sql);
    /* An app's own policy: a login sees the rows of the user in its JWT. */
    fx_exec(&db, "ALTER TABLE monitors ENABLE ROW LEVEL SECURITY;"
                 "CREATE POLICY app_own ON monitors USING (user_id = auth.uid())");
    rc = fx_etl_as(&db, "etl", &out, "nightly --as-of " AS_OF);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);

    before = fx_text(&db, "SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM analytics_snapshots s");
    fx_exec(&db, "DROP POLICY devpulse_etl_read ON monitors");
    rc = fx_etl_as(&db, "etl", &out, "nightly --as-of 2026-01-02");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "query would be affected by row-level security policy for table \"monitors\"")
              != NULL, "%s", out);
    cr_expect(strstr(out, "on table \"monitors\" no policy lets role") != NULL &&
              strstr(out, "devpulse_etl_read") != NULL && strstr(out, "BYPASSRLS") != NULL, "%s", out);
    free(out);
    after = fx_text(&db, "SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM analytics_snapshots s");
    cr_expect_str_eq(after, before, "a refused run wrote rows");
    free(after);

    rc = fx_etl_as(&db, "etl", &out, "migrate --check");
    cr_expect_eq(rc, 4, "%s", out);
    cr_expect(strstr(out, "migrate --check: would create policy devpulse_etl_read on monitors") != NULL,
              "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    free(out);
    rc = fx_etl_as(&db, "etl", &out, "migrate --check");
    cr_expect_eq(rc, 0, "%s", out);
    free(out);

    /* A restrictive policy for everyone (TO PUBLIC) would hide private repositories. */
    fx_exec(&db, "ALTER TABLE github_repositories ENABLE ROW LEVEL SECURITY;"
                 "CREATE POLICY app_public_only ON github_repositories AS RESTRICTIVE FOR SELECT"
                 " USING (NOT is_private)");
    rc = fx_etl_as(&db, "etl", &out, "nightly --as-of 2026-01-02");
    cr_expect_eq(rc, 1, "%s", out);
    /* PostgreSQL names the first table read under row level security; the
     * hint names the one to blame. */
    cr_expect(strstr(out, "query would be affected by row-level security policy for table") != NULL &&
              strstr(out, "on table \"github_repositories\" the RESTRICTIVE policy \"app_public_only\""
                          " applies to role") != NULL, "%s", out);
    free(out);
    after = fx_text(&db, "SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM analytics_snapshots s");
    cr_expect_str_eq(after, before, "a refused run wrote rows");
    free(after);
    free(before);

    /* The README's alternative to the engine's policies: a login with
     * BYPASSRLS.  Without those policies, and with the restrictive one, it
     * still reads every row (private repositories too): a rerun as of
     * AS_OF leaves the reference's rows. */
    cr_assert_gt(fx_int(&db, "SELECT count(*) FROM github_repositories WHERE is_private"), 0);
    snprintf(sql, sizeof sql, "ALTER ROLE %s_etl BYPASSRLS", db.name);
    fx_exec(&db, sql);
    fx_exec(&db, "DROP POLICY devpulse_etl_read ON monitors;"
                 "DROP POLICY devpulse_etl_read ON github_repositories");
    rc = fx_etl_as(&db, "etl", &out, "nightly --as-of " AS_OF);
    cr_expect_eq(rc, 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"), 0);
    fx_db_drop(&db);
    snprintf(sql, sizeof sql, "DROP ROLE %s_etl", db.name);
    fx_shell(NULL, "psql -XAtq -d postgres -c '%s'", sql);
}
