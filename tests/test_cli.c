/*
 * test_cli.c: the command line of SPEC.md section 8.  Usage errors exit 2
 * with one "devpulse-etl: ..." line and the hint (one JSON error event with
 * --log-format json), before touching any
 * database; run failures exit 1 with one line and leave the database as it was.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "runlock.h"

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
    /* the fraction is digits only (".1e9" would be 100000000 seconds, ".9e300" undefined) */
    {"goals --as-of 2026-01-02T03:00:00.1e9Z", "invalid --as-of"},
    {"goals --as-of 2026-01-02T03:00:00.9e300Z", "invalid --as-of"},
    /* a cutoff day before 0001-01-01 somewhere: BC, which the run cannot write */
    {"goals --as-of 0001-01-01T00:00+15:00", "--as-of is too early"},
    {"goals --as-of 0001-01-02T23:59:59.999999Z", "--as-of is too early"},
    {"nightly --as-of 0001-01-02 --lookback 1", "--as-of is too early"},
    {"backfill --from 0001-01-01 --to 0001-01-02 --as-of 0001-01-01", "--as-of is too early"},
    {"nightly --as-of 0001-01-04T23:59:59Z", "--lookback 3 reaches before 0001-01-01"},
    {"nightly --as-of 0001-01-03 --lookback 2", "--lookback 2 reaches before 0001-01-01"},
    {"backfill --from 2025-01-01", "backfill needs --from DATE and --to DATE"},
    {"backfill --to 2025-01-01", "backfill needs --from DATE and --to DATE"},
    {"backfill --from 2025-02-30 --to 2025-03-01", "invalid --from \"2025-02-30\""},
    {"backfill --from 2025-01-01 --to 2025/03/01", "invalid --to \"2025/03/01\""},
    {"backfill --from 2025-03-01 --to 2025-02-01", "--from is after --to"},
    {"nightly extra", "unexpected argument \"extra\""},
    {"nightly --workers 0", "invalid --workers"},
    /* getopt's habits: grouped short options, attached values, "--" */
    {"-qx nightly", "unknown option \"-x\""},
    {"nightly -qp", "option \"-p\" needs a value"},
    {"nightly -p 0", "invalid --port \"0\""},
    {"nightly -p70000", "invalid --port \"70000\""},
    {"nightly --port=5432x", "invalid --port \"5432x\""},
    {"nightly --quiet=yes", "option \"--quiet\" takes no value"},
    {"nightly -- -q", "unexpected argument \"-q\""},
    {"-- -q nightly", "unknown command \"-q\""},
    {"-h", "option \"-h\" needs a value"},
    {"run", "run needs a job file"},
    /* status's --format and the runs' --metrics-file, where they do not belong */
    {"status --format xml", "invalid --format \"xml\": expected text or json"},
    {"nightly --format json", "option \"--format\" does not belong to this command"},
    {"status --metrics-file /tmp/x.prom", "option \"--metrics-file\" does not belong"},
    {"migrate --metrics-file /tmp/x.prom", "option \"--metrics-file\" does not belong"},
    {"goals --metrics-file ''", "invalid --metrics-file"},
    {"status --lookback 3", "option \"--lookback\" does not belong"},
};

/* The engine with args, and a DSN that cannot work: usage errors must come
 * before any connection. */
static int
run_refused(const char *args, char **out)
{
    return fx_shell(out, FX_NOWHERE " %s %s",
                    fx_etl_path(), args);
}

ParameterizedTestParameters(cli, usage_errors)
{
    return cr_make_param_array(struct usage_case, usage_cases,
                               sizeof usage_cases / sizeof usage_cases[0]);
}

ParameterizedTest(struct usage_case *c, cli, usage_errors)
{
    char *out;
    int rc = run_refused(c->args, &out);
    const char *line = fx_after_stamp(out);
    char *newline;

    cr_expect_eq(rc, 2, "'%s' exited %d: %s", c->args, rc, out);
    /* On a pipe, as every log line: the time first. */
    cr_expect(line != NULL && strncmp(line, "devpulse-etl: ", 14) == 0, "'%s': %s", c->args, out);
    cr_expect(strstr(out, c->message) != NULL, "'%s': expected \"%s\" in: %s", c->args, c->message, out);
    newline = strchr(out, '\n');
    cr_expect(newline != NULL && strcmp(newline + 1, "Try 'devpulse-etl --help' for more information.\n") == 0,
              "'%s': expected one line and the hint: %s", c->args, out);
    free(out);
}

/* With --log-format json anywhere on the command line, even after the
 * mistake or where the mistake stops the reading, the usage error is one
 * JSON error event with its exit status, and nothing else. */
static struct usage_case json_usage_cases[] = {
    {"--log-format json --bogus", "unknown option \"--bogus\""},
    {"nightly --bogus --log-format=json", "unknown option \"--bogus\""},
    {"-q --log-format json nightly --as-of 2026-13-01", "invalid --as-of \"2026-13-01\""},
    {"--log-format json run /nonexistent/job.json", "cannot open the job file"},
    {"--log-format json nightly -- extra", "unexpected argument \"extra\""},
};

ParameterizedTestParameters(cli, usage_errors_in_json)
{
    return cr_make_param_array(struct usage_case, json_usage_cases,
                               sizeof json_usage_cases / sizeof json_usage_cases[0]);
}

ParameterizedTest(struct usage_case *c, cli, usage_errors_in_json)
{
    char *out;
    int rc = run_refused(c->args, &out);
    json_error_t jerr;
    json_t *event = json_loads(out, 0, &jerr);     /* one JSON value, nothing after it */
    const char *message = json_string_value(json_object_get(event, "message"));

    cr_expect_eq(rc, 2, "'%s' exited %d: %s", c->args, rc, out);
    cr_assert(event != NULL, "'%s': not one JSON value (%s): %s", c->args, jerr.text, out);
    cr_expect_str_eq(json_string_value(json_object_get(event, "event")), "error", "%s", out);
    cr_expect_eq(json_integer_value(json_object_get(event, "exit_status")), 2, "%s", out);
    cr_expect(json_is_null(json_object_get(event, "run_id")), "%s", out);
    cr_expect(message != NULL && strstr(message, c->message) != NULL, "'%s': expected \"%s\" in: %s",
              c->args, c->message, out);
    json_decref(event);
    free(out);
}

Test(cli, help_and_version)
{
    char *out;

    cr_expect_eq(fx_shell(&out, "%s --help", fx_etl_path()), 0);
    cr_expect(strstr(out, "devpulse-etl backfill --from DATE --to DATE") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_shell(&out, "%s nightly -?", fx_etl_path()), 0);
    cr_expect(strstr(out, "-?, --help") != NULL, "%s", out);
    cr_expect(strstr(out, "-h, --host HOST") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_shell(&out, "%s -qv? nightly", fx_etl_path()), 0);
    cr_expect(strstr(out, "devpulse-etl backfill --from DATE --to DATE") != NULL, "%s", out);
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
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");
    cr_expect_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-31"), 3, "%s", out);
    cr_expect(strstr(out, "another devpulse-etl run holds the lock") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_exec(&db, "SELECT pg_advisory_unlock(" RUNLOCK_RUN_ARGS ")");
    cr_expect_eq(fx_etl(&db, &out, "nightly --as-of 2025-12-31"), 0, "%s", out);
    free(out);
    cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    fx_db_drop(&db);
}

/* -h is the host, as in psql: a cron line written as for psql connects
 * there (here: fails to, exit 1) instead of printing the help, exit 0. */
Test(cli, h_is_the_host)
{
    char *out;
    int rc = fx_shell(&out, "%s -h /nonexistent-h nightly", fx_etl_path());

    cr_expect_eq(rc, 1, "%s", out);
    cr_expect(strstr(out, "cannot connect to the database") != NULL &&
              strstr(out, "\"/nonexistent-h/.s.PGSQL.") != NULL, "%s", out);
    cr_expect(strstr(out, "Usage:") == NULL, "%s", out);
    free(out);
}

/* psql's connection options reach the server: with every PG* variable and
 * DATABASE_URL pointing nowhere, they alone name the database, in each of
 * getopt's spellings.  Each run writes one ledger row. */
static void
expect_connects(struct fx_db *db, const char *options, int64_t runs)
{
    char *out;
    int rc = fx_shell(&out, "PGHOST=/nonexistent PGPORT=1 PGUSER=nobody PGDATABASE=nowhere"
                            " DATABASE_URL='postgresql://nobody@/nowhere?host=/nonexistent&port=1'"
                            " %s %s goals", fx_etl_path(), options);

    cr_expect_eq(rc, 0, "%s: %s", options, out);
    free(out);
    cr_expect_eq(fx_int(db, "SELECT count(*) FROM devpulse_etl.runs"), runs, "%s", options);
}

Test(cli, psql_connection_options)
{
    const char *host = getenv("PGHOST"), *port = getenv("PGPORT"), *user = getenv("PGUSER");
    struct fx_db db;
    char options[512], *out;
    int rc;

    cr_assert(host != NULL && port != NULL && user != NULL, "tests/with-pg sets PGHOST, PGPORT, PGUSER");
    fx_db_create(&db);
    snprintf(options, sizeof options, "-h '%s' -p %s -U '%s' -d %s", host, port, user, db.name);
    expect_connects(&db, options, 1);
    snprintf(options, sizeof options, "-h'%s' -p%s -U'%s' -d%s", host, port, user, db.name);
    expect_connects(&db, options, 2);
    snprintf(options, sizeof options, "--host='%s' --port %s --username='%s' --dbname %s",
             host, port, user, db.name);
    expect_connects(&db, options, 3);
    snprintf(options, sizeof options, "-qd 'host=%s port=%s user=%s dbname=%s'", host, port, user, db.name);
    expect_connects(&db, options, 4);
    snprintf(options, sizeof options, "-d 'postgresql://%s@/%s?host=%s&port=%s' --", user, db.name,
             host, port);
    expect_connects(&db, options, 5);
    /* Without them, the same environment reaches nothing. */
    rc = fx_shell(&out, "PGHOST=/nonexistent PGPORT=1 %s goals", fx_etl_path());
    cr_expect_eq(rc, 1, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* Which source wins, told by where the engine tries to connect (the server
 * names the socket, the database or the role it was asked for). */
struct precedence_case {
    char env[160];
    char args[160];
    char wanted[64];          /* in the error line */
};

static struct precedence_case precedence_cases[] = {
    /* --dsn, then psql's options */
    {"", "--dsn host=/from-dsn -h /from-h", "\"/from-dsn/.s.PGSQL."},
    {"", "-h /from-h --dsn dbname=devpulse_nodb_dsn", "\"/from-h/.s.PGSQL."},
    {"", "--dsn dbname=devpulse_nodb_dsn -d devpulse_nodb_d", "\"devpulse_nodb_dsn\" does not exist"},
    {"", "-p 1 --dsn 'postgresql:///x?host=/from-dsn'", "\"/from-dsn/.s.PGSQL.1\""},
    /* as in psql, a -d connection string's parts win over -h, -p, -U */
    {"", "-h /from-h -d 'host=/from-d dbname=x'", "\"/from-d/.s.PGSQL."},
    /* psql's options, then DATABASE_URL */
    {"DATABASE_URL='postgresql:///x?host=/from-url&port=1'", "-h /from-h", "\"/from-h/.s.PGSQL.1\""},
    {"DATABASE_URL='postgresql:///x?host=/from-url&port=1'", "-p 2", "\"/from-url/.s.PGSQL.2\""},
    {"DATABASE_URL='dbname=devpulse_nodb_url'", "-U devpulse_norole", "role \"devpulse_norole\""},
    {"DATABASE_URL='postgresql://devpulse_norole@/devpulse_nodb_url'", "-d devpulse_nodb_d",
     "role \"devpulse_norole\""},
    {"DATABASE_URL='dbname=devpulse_nodb_url'", "-d devpulse_nodb_d", "\"devpulse_nodb_d\" does not exist"},
    /* a connection string on the command line replaces DATABASE_URL whole */
    {"PGPORT=5 DATABASE_URL='postgresql:///x?host=/from-url&port=1'", "-d 'host=/from-d'",
     "\"/from-d/.s.PGSQL.5\""},
    {"PGPORT=5 DATABASE_URL='postgresql:///x?host=/from-url&port=1'", "--dsn host=/from-dsn -U x",
     "\"/from-dsn/.s.PGSQL.5\""},
    /* DATABASE_URL, then PG* */
    {"PGHOST=/from-pghost PGPORT=5 DATABASE_URL='postgresql:///x?host=/from-url'", "",
     "\"/from-url/.s.PGSQL.5\""},
    {"PGHOST=/from-pghost PGPORT=5", "", "\"/from-pghost/.s.PGSQL.5\""},
};

ParameterizedTestParameters(cli, connection_precedence)
{
    return cr_make_param_array(struct precedence_case, precedence_cases,
                               sizeof precedence_cases / sizeof precedence_cases[0]);
}

ParameterizedTest(struct precedence_case *c, cli, connection_precedence)
{
    char *out;
    int rc = fx_shell(&out, "%s %s %s goals", c->env, fx_etl_path(), c->args);

    cr_expect_eq(rc, 1, "%s %s: %s", c->env, c->args, out);
    cr_expect(strstr(out, c->wanted) != NULL, "%s %s: expected %s in: %s", c->env, c->args,
              c->wanted, out);
    free(out);
}

/* The session's application_name, seen in pg_stat_activity while the run
 * waits for the lock that the test holds. */
static void
expect_application_name(struct fx_db *db, const char *name, const char *args)
{
    char until[256], *out;
    int rc;

    snprintf(until, sizeof until, "SELECT count(*) > 0 FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
             " AND datname = current_database() AND application_name = '%s'", name);
    rc = fx_etl_meanwhile(db, &out, until, "kill $pid", "%s goals --wait 600", args);
    cr_expect_eq(rc, 143, "%s: no session named %s: %s", args, name, out);
    free(out);
}

Test(cli, application_name)
{
    struct fx_db db;
    char args[256];

    fx_db_create(&db);
    fx_exec(&db, "SELECT pg_advisory_lock(" RUNLOCK_RUN_ARGS ")");
    expect_application_name(&db, "devpulse-etl", "");
    snprintf(args, sizeof args, "--dsn 'dbname=%s application_name=etl-from-dsn'", db.name);
    expect_application_name(&db, "etl-from-dsn", args);
    snprintf(args, sizeof args, "--dsn 'postgresql:///%s?application_name=etl-from-uri'", db.name);
    expect_application_name(&db, "etl-from-uri", args);
    setenv("PGAPPNAME", "etl-from-env", 1);
    expect_application_name(&db, "etl-from-env", "");
    snprintf(args, sizeof args, "-d 'dbname=%s application_name=etl-from-d'", db.name);
    expect_application_name(&db, "etl-from-d", args);
    unsetenv("PGAPPNAME");
    fx_db_drop(&db);
}
