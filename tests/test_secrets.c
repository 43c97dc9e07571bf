/*
 * test_secrets.c: no password is ever printed or stored.
 *
 * A connection string that libpq cannot parse made libpq quote the text
 * around the fault, the password with it, and the scrubber (which needs a
 * parsed password to mask) let it through; a URI that parses can still have
 * left part of its password in the host or dbname.  Every shape, from each
 * of --dsn, DATABASE_URL, --source-dsn and DEVPULSE_SOURCE_URL, in each
 * output: the text line, the JSON events, and the run ledger.  The password
 * holds two markers; neither may appear anywhere.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define AS_OF "2025-01-10T12:00:00Z"

/* The two halves of every password below: no output may hold either. */
#define HEAD "sEcReT1"
#define TAIL "sEcReT2"

static const char *const shapes[] = {
    "postgresql://alice:" HEAD "%zz" TAIL "@localhost/db",        /* malformed percent-escape */
    "postgresql://alice:" HEAD TAIL "%@localhost/db",             /* '%' at its end */
    "postgresql://alice:" HEAD "%4" TAIL "@localhost/db",         /* half an escape */
    "postgresql://alice:" HEAD "/" TAIL "@localhost/db",          /* '/': userinfo not found */
    "postgresql://alice:" HEAD "@" TAIL "@localhost/db",          /* '@': the rest is the host */
    "postgres://alice:" HEAD "@" TAIL "@localhost:5432/db?sslmode=disable",
    "postgresql:///db?host=localhost&password=" HEAD "&" TAIL,   /* '&' cuts the parameter */
    "postgresql:///db?password=" HEAD "%zz" TAIL,
    "host=localhost password='" HEAD " " TAIL,                    /* unterminated quote */
    "host=localhost password=" HEAD " " TAIL,                     /* a space, unquoted */
    "password=" HEAD " \\" TAIL,
};
#define N_SHAPES ((int) (sizeof shapes / sizeof shapes[0]))

/* s in single quotes for sh, into buf. */
static const char *
sh_quote(const char *s, char *buf, size_t size)
{
    size_t n = 0;

    buf[n++] = '\'';
    for (; *s != '\0' && n + 5 < size; s++) {
        if (*s == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *s;
        }
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return buf;
}

static void
expect_hidden(const char *out, const char *where, const char *shape)
{
    cr_expect(strstr(out, HEAD) == NULL && strstr(out, TAIL) == NULL,
              "%s shows the password of %s:\n%s", where, shape, out);
}

/* --dsn, DATABASE_URL, and psql's -d (a connection string) or DATABASE_URL
 * with psql's -h/-p: nothing connects, exit 1, one line (text) or one error
 * event (JSON) saying the string cannot be used, and no password. */
Test(secrets, main_dsn_in_text_and_json)
{
    static const char *const formats[] = {"text", "json"};
    static const char *const ways[] = {"--dsn", "DATABASE_URL", "DATABASE_URL with -p", "-d with -h"};

    for (int i = 0; i < N_SHAPES; i++)
        for (int f = 0; f < 2; f++)
            for (int way = 0; way < 4; way++) {
                char quoted[512], *out;
                int rc;

                sh_quote(shapes[i], quoted, sizeof quoted);
                rc = fx_shell(&out, "%s%s %s %s%s%s --log-format %s goals --as-of " AS_OF,
                              way == 1 || way == 2 ? "DATABASE_URL=" : "",
                              way == 1 || way == 2 ? quoted : "", fx_etl_path(),
                              way == 0 ? "--dsn " : way == 2 ? "-p 5432" : way == 3 ? "-h localhost -d " : "",
                              way == 0 || way == 3 ? quoted : "", "", formats[f]);
                cr_expect_eq(rc, 1, "%s (%s, %s): exit %d\n%s", shapes[i], formats[f], ways[way],
                             rc, out);
                cr_expect(strstr(out, "cannot connect to the database: the connection string") != NULL,
                          "%s (%s, %s): %s", shapes[i], formats[f], ways[way], out);
                expect_hidden(out, ways[way], shapes[i]);
                free(out);
            }
}

/* --source-dsn and DEVPULSE_SOURCE_URL: the run is in the ledger by then,
 * which keeps the error; text, JSON and runs.error hold no password. */
Test(secrets, source_dsn_in_text_json_and_ledger)
{
    static const char *const formats[] = {"text", "json"};
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    for (int i = 0; i < N_SHAPES; i++)
        for (int f = 0; f < 2; f++)
            for (int env = 0; env < 2; env++) {
                char quoted[512], *error;
                int rc;

                sh_quote(shapes[i], quoted, sizeof quoted);
                if (env)
                    rc = fx_shell(&out, "DEVPULSE_SOURCE_URL=%s %s --dsn dbname=%s --log-format %s"
                                  " nightly --as-of " AS_OF, quoted, fx_etl_path(), db.name,
                                  formats[f]);
                else
                    rc = fx_shell(&out, "%s --dsn dbname=%s --log-format %s nightly --as-of " AS_OF
                                  " --source-dsn %s", fx_etl_path(), db.name, formats[f], quoted);
                cr_expect_eq(rc, 1, "%s (%s): exit %d\n%s", shapes[i], formats[f], rc, out);
                cr_expect(strstr(out, "source database (--source-dsn): cannot connect to the"
                                      " database: the connection string") != NULL,
                          "%s (%s): %s", shapes[i], formats[f], out);
                expect_hidden(out, env ? "DEVPULSE_SOURCE_URL" : "--source-dsn", shapes[i]);
                free(out);
                error = fx_text(&db, "SELECT error FROM devpulse_etl.runs ORDER BY id DESC LIMIT 1");
                cr_expect(strstr(error, "cannot connect to the database: the connection string") != NULL,
                          "%s: the ledger says %s", shapes[i], error);
                expect_hidden(error, "runs.error", shapes[i]);
                free(error);
            }
    out = fx_text(&db, "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'failed')"
                       " || ' ' || count(*) FILTER (WHERE concat(error, options::text) ~ 'sEcReT')"
                       " FROM devpulse_etl.runs");
    cr_expect_str_eq(out, "44 44 0", "runs, failed, with a password: %s", out);
    free(out);
    fx_db_drop(&db);
}

/* The benchmark's generator takes the same strings (--dsn, DATABASE_URL):
 * it fails (exit 1) without showing any part of the password either. */
Test(secrets, generator_dsn)
{
    const char *gen = fx_gen_path();

    for (int i = 0; i < N_SHAPES; i++)
        for (int env = 0; env < 2; env++) {
            char quoted[512], *out;
            int rc;

            sh_quote(shapes[i], quoted, sizeof quoted);
            rc = fx_shell(&out, "%s%s %s --users 1 --days 1 --seed 1%s%s", env ? "DATABASE_URL=" : "",
                          env ? quoted : "", gen, env ? "" : " --dsn ", env ? "" : quoted);
            cr_expect_eq(rc, 1, "%s: exit %d\n%s", shapes[i], rc, out);
            cr_expect(strstr(out, "connecting to the database") != NULL, "%s: %s", shapes[i], out);
            expect_hidden(out, env ? "gen with DATABASE_URL" : "gen --dsn", shapes[i]);
            free(out);
        }
}

/*
 * Usage errors quote what they refuse: a DSN given without --dsn, a
 * mistyped --dsn=, --source-dsn= where it does not belong, a DSN as another
 * option's value.  The quote is left out (exit 2 all the same).
 */
struct usage_case {
    char args[160];
    char message[64];
};

static struct usage_case usage_cases[] = {
    {"nightly 'postgresql://alice:" HEAD "@localhost/db'", "unexpected argument \"...\""},
    {"nightly --dsnn='postgresql://alice:" HEAD "@localhost/db'", "unknown option \"--dsnn=...\""},
    {"migrate --source-dsn='postgresql://alice:" HEAD "@localhost/db'",
     "option \"--source-dsn\" does not belong"},
    {"nightly --as-of 'host=localhost password=" HEAD "'", "invalid --as-of \"...\""},
    {"goals --lookback='password=" HEAD "'", "option \"--lookback\" does not belong"},
    {"'user=alice password=" HEAD "' goals", "unknown command \"...\""},
};

ParameterizedTestParameters(secrets, usage_errors_hide_connection_strings)
{
    return cr_make_param_array(struct usage_case, usage_cases,
                               sizeof usage_cases / sizeof usage_cases[0]);
}

ParameterizedTest(struct usage_case *c, secrets, usage_errors_hide_connection_strings)
{
    char *out;
    int rc = fx_shell(&out, FX_NOWHERE " %s %s",
                      fx_etl_path(), c->args);

    cr_expect_eq(rc, 2, "%s: exit %d\n%s", c->args, rc, out);
    cr_expect(strstr(out, c->message) != NULL, "%s: expected \"%s\" in %s", c->args, c->message, out);
    expect_hidden(out, "a usage error", c->args);
    free(out);
}
