/*
 * test_cli.c: the command line of SPEC.md section 8.  Usage errors exit 2
 * with one "devpulse-etl: ..." line and the hint, before touching any
 * database; run failures exit 1 with one line and leave the database as it was.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* Criterion copies parameters into another process: no pointers in them. */
struct usage_case {
    char args[160];
    char message[64];         /* a part of the error line */
};

static struct usage_case usage_cases[] = {
    {"", "no command given"},
    {"frobnicate", "unknown command \"frobnicate\""},
    {"nightly --nope", "unknown option \"--nope\""},
    {"nightly -x", "unknown option \"-x\""},
    {"nightly --lookback 0", "invalid --lookback \"0\""},
    {"nightly --lookback -2", "invalid --lookback \"-2\""},
    {"nightly --lookback three", "invalid --lookback \"three\""},
    {"nightly --lookback", "needs a value"},
    {"nightly --from 2025-01-01", "does not belong to this command"},
    {"nightly --overwrite", "does not belong to this command"},
    {"nightly --dry-run", "does not belong to this command"},
    {"goals --lookback 3", "does not belong to this command"},
    {"migrate --as-of 2025-01-01", "does not belong to this command"},
    {"nightly --check", "does not belong to this command"},
    {"--check migrate", "does not belong to this command"},
    {"--lookback 3 nightly", "does not belong to this command"},
    {"nightly --as-of yesterday", "invalid --as-of \"yesterday\""},
    {"nightly --as-of 2025-02-30", "invalid --as-of"},
    {"nightly --as-of=2025-01-01T25:00Z", "invalid --as-of"},
    {"backfill --from 2025-01-01", "backfill needs --from DATE and --to DATE"},
    {"backfill --to 2025-01-01", "backfill needs --from DATE and --to DATE"},
    {"backfill --from 2025-02-30 --to 2025-03-01", "invalid --from \"2025-02-30\""},
    {"backfill --from 2025-01-01 --to 2025/03/01", "invalid --to \"2025/03/01\""},
    {"backfill --from 2025-03-01 --to 2025-02-01", "--from is after --to"},
    {"nightly extra", "unexpected argument \"extra\""},
    {"nightly --workers 0", "invalid --workers"},
};

ParameterizedTestParameters(cli, usage_errors)
{
    return cr_make_param_array(struct usage_case, usage_cases,
                               sizeof usage_cases / sizeof usage_cases[0]);
}

ParameterizedTest(struct usage_case *c, cli, usage_errors)
{
    char *out;
    /* A DSN that cannot work: usage errors must come before any connection. */
    int rc = fx_shell(&out, "DATABASE_URL=postgresql:///nowhere?host=/nonexistent %s %s",
                      fx_etl_path(), c->args);
    char *newline;

    cr_expect_eq(rc, 2, "'%s' exited %d: %s", c->args, rc, out);
    cr_expect(strncmp(out, "devpulse-etl: ", 14) == 0, "'%s': %s", c->args, out);
    cr_expect(strstr(out, c->message) != NULL, "'%s': expected \"%s\" in: %s", c->args, c->message, out);
    newline = strchr(out, '\n');
    cr_expect(newline != NULL && strcmp(newline + 1, "Try 'devpulse-etl --help' for more information.\n") == 0,
              "'%s': expected one line and the hint: %s", c->args, out);
    free(out);
}

Test(cli, help_and_version)
{
    char *out;

    cr_expect_eq(fx_shell(&out, "%s --help", fx_etl_path()), 0);
    cr_expect(strstr(out, "devpulse-etl backfill --from DATE --to DATE") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_shell(&out, "%s nightly -h", fx_etl_path()), 0);
    free(out);
    cr_expect_eq(fx_shell(&out, "%s --version", fx_etl_path()), 0);
    cr_expect(strncmp(out, "devpulse-etl ", 13) == 0, "%s", out);
    free(out);
}

/* One line, exit 1, and never the password. */
Test(cli, unreachable_database_hides_password)
{
    char *out;
    int rc = fx_shell(&out, "%s --dsn 'postgresql://alice:s3cr3t-pw@/devpulse?host=/nonexistent'"
                            " nightly", fx_etl_path());

    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "cannot connect to the database") != NULL, "%s", out);
    cr_expect(strstr(out, "s3cr3t-pw") == NULL, "password shown: %s", out);
    cr_expect(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
    free(out);
    rc = fx_shell(&out, "DATABASE_URL='postgresql://alice:s3cr3t-pw@/devpulse?host=/nonexistent' %s goals",
                  fx_etl_path());
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "s3cr3t-pw") == NULL, "password shown: %s", out);
    free(out);
}

Test(cli, unmigrated_database)
{
    struct fx_db db;
    char *out;
    int rc;

    fx_db_create(&db);
    fx_exec(&db, "DROP SCHEMA devpulse_etl CASCADE");
    rc = fx_etl(&db, &out, "nightly");
    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "run `devpulse-etl migrate` first") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

Test(cli, migrate_refuses_a_newer_schema)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, "INSERT INTO devpulse_etl.schema_migrations (name) VALUES ('999_from_the_future')");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 1, "%s", out);
    cr_expect(strstr(out, "newer than this devpulse-etl") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "nightly"), 1, "%s", out);
    cr_expect(strstr(out, "999_from_the_future") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* A second run while one holds the lock exits 3 at once and writes nothing. */
Test(cli, second_run_is_refused)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_generate(&db, 5, 10, 1, NULL);
    fx_exec(&db, "SELECT pg_advisory_lock(7236, 1)");
    cr_expect_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-31"), 3, "%s", out);
    cr_expect(strstr(out, "another devpulse-etl run holds the lock") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_exec(&db, "SELECT pg_advisory_unlock(7236, 1)");
    cr_expect_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-31"), 0, "%s", out);
    free(out);
    cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_db_drop(&db);
}
