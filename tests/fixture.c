/*
 * fixture.c: fresh databases and helpers for the database tests.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

const char *
fx_etl_path(void)
{
    const char *p = getenv("DEVPULSE_ETL");

    return p != NULL ? p : "build/devpulse-etl";
}

const char *
fx_gen_path(void)
{
    const char *p = getenv("DEVPULSE_GEN");

    return p != NULL ? p : "build/bench/gen";
}

static PGconn *
connect_to(const char *dbname)
{
    char dsn[128];
    PGconn *conn;

    snprintf(dsn, sizeof dsn, "dbname=%s", dbname);
    conn = PQconnectdb(dsn);
    cr_assert(PQstatus(conn) == CONNECTION_OK, "connect %s: %s", dbname, PQerrorMessage(conn));
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    return conn;
}

static void
create_from(struct fx_db *db, const char *template)
{
    static unsigned counter;
    PGconn *admin = connect_to("postgres");
    char sql[200];
    PGresult *res;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(db->name, sizeof db->name, "t_%d_%u_%ld", (int) getpid(), counter++, ts.tv_nsec);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", db->name, template);
    /* The template may be busy for a moment while another test copies it. */
    for (int attempt = 0; attempt < 50; attempt++) {
        res = PQexec(admin, sql);
        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            break;
        PQclear(res);
        res = NULL;
        usleep(100000);
    }
    cr_assert(res != NULL, "CREATE DATABASE %s failed: %s", db->name, PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);
    db->conn = connect_to(db->name);
}

void
fx_db_create(struct fx_db *db)
{
    create_from(db, "devpulse_template");
}

void
fx_db_create_empty(struct fx_db *db)
{
    create_from(db, "template0");
}

void
fx_db_copy(struct fx_db *src, struct fx_db *copy)
{
    PQfinish(src->conn);        /* a template database takes no other session */
    create_from(copy, src->name);
    src->conn = connect_to(src->name);
}

void
fx_db_drop(struct fx_db *db)
{
    PGconn *admin;
    char sql[128];

    if (db->conn == NULL)
        return;
    PQfinish(db->conn);
    db->conn = NULL;
    admin = connect_to("postgres");
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    PQclear(PQexec(admin, sql));
    PQfinish(admin);
}

void
fx_exec(struct fx_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(res);

    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "SQL failed: %s\n%s",
              PQresultErrorMessage(res), sql);
    PQclear(res);
}

char *
fx_text(struct fx_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    char *out;

    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
              "query failed: %s\n%s", PQresultErrorMessage(res), sql);
    out = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

int64_t
fx_int(struct fx_db *db, const char *sql)
{
    char *text = fx_text(db, sql);
    int64_t v = strtoll(text, NULL, 10);

    free(text);
    return v;
}

static int
run_command(char **out, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char buf[4096];
    size_t len = 0, n;
    char *acc = NULL;
    int status;

    cr_assert(p != NULL, "popen failed: %s", cmd);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        acc = realloc(acc, len + n + 1);
        memcpy(acc + len, buf, n);
        len += n;
    }
    if (acc == NULL)
        acc = calloc(1, 1);
    acc[len] = '\0';
    status = pclose(p);
    if (out != NULL)
        *out = acc;
    else
        free(acc);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
fx_shell(char **out, const char *cmd_fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, cmd_fmt);
    vsnprintf(cmd, sizeof cmd, cmd_fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    return run_command(out, cmd);
}

/* The engine on db, as the tests' own user or as "<db name>_<login_suffix>". */
static int
run_etl(struct fx_db *db, const char *login_suffix, char **out, const char *args_fmt, va_list ap)
{
    char args[2048], cmd[4096];

    vsnprintf(args, sizeof args, args_fmt, ap);
    if (login_suffix == NULL)
        snprintf(cmd, sizeof cmd, "%s --dsn dbname=%s %s 2>&1", fx_etl_path(), db->name, args);
    else
        snprintf(cmd, sizeof cmd, "%s --dsn 'dbname=%s user=%s_%s' %s 2>&1", fx_etl_path(),
                 db->name, db->name, login_suffix, args);
    return run_command(out, cmd);
}

int
fx_etl(struct fx_db *db, char **out, const char *args_fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, args_fmt);
    rc = run_etl(db, NULL, out, args_fmt, ap);
    va_end(ap);
    return rc;
}

int
fx_etl_as(struct fx_db *db, const char *login_suffix, char **out, const char *args_fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, args_fmt);
    rc = run_etl(db, login_suffix, out, args_fmt, ap);
    va_end(ap);
    return rc;
}

const char *
fx_after_stamp(const char *line)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";

    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? line[i] < '0' || line[i] > '9' : line[i] != shape[i])
            return NULL;
    return line + sizeof shape - 1;
}

void
fx_generate(struct fx_db *db, int users, int days, int seed, const char *end_date)
{
    char *out = NULL;
    int rc;

    rc = fx_shell(&out, "%s --dsn dbname=%s --quiet --users %d --days %d --seed %d%s%s",
                  fx_gen_path(), db->name, users, days, seed,
                  end_date ? " --end-date " : "", end_date ? end_date : "");
    cr_assert(rc == 0, "generator failed (%d): %s", rc, out);
    free(out);
}

static void
print_rows(struct fx_db *db, const char *title, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", title, PQresultErrorMessage(res));
        PQclear(res);
        return;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        fprintf(stderr, "%s:", title);
        for (int c = 0; c < PQnfields(res); c++)
            fprintf(stderr, " %s", PQgetisnull(res, r, c) ? "NULL" : PQgetvalue(res, r, c));
        fputc('\n', stderr);
    }
    PQclear(res);
}

#define ACTUAL_ROWS "SELECT user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics" \
                    " FROM analytics_snapshots"

/* Both ways in one query: expected (often the reference, the slowest part
 * of a test) is evaluated once. */
int64_t
fx_snapshot_diff(struct fx_db *db, const char *expected)
{
    char sql[4096];
    int64_t missing, extra;
    PGresult *res;

    snprintf(sql, sizeof sql,
             "WITH e AS MATERIALIZED (%s), a AS MATERIALIZED (" ACTUAL_ROWS ")"
             " SELECT (SELECT count(*) FROM (TABLE e EXCEPT ALL TABLE a) d),"
             "        (SELECT count(*) FROM (TABLE a EXCEPT ALL TABLE e) d)", expected);
    res = PQexec(db->conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
    missing = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    extra = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    if (missing + extra > 0) {
        fprintf(stderr, "snapshot diff in %s: %lld expected rows missing, %lld unexpected rows\n",
                db->name, (long long) missing, (long long) extra);
        snprintf(sql, sizeof sql, "SELECT * FROM ((%s) EXCEPT ALL (" ACTUAL_ROWS ")) d"
                 " ORDER BY 1, 2, 3, 4, 5 LIMIT 5", expected);
        print_rows(db, "expected", sql);
        snprintf(sql, sizeof sql, "SELECT * FROM ((" ACTUAL_ROWS ") EXCEPT ALL (%s)) d"
                 " ORDER BY 1, 2, 3, 4, 5 LIMIT 5", expected);
        print_rows(db, "actual  ", sql);
    }
    return missing + extra;
}

const char *
fx_tests_dir(void)
{
    const char *p = getenv("DEVPULSE_TESTS");

    return p != NULL ? p : "tests";
}

int
fx_etl_meanwhile(struct fx_db *db, char **out, const char *until_sql, const char *action,
                 const char *args_fmt, ...)
{
    char args[2048], cmd[8192], *acc;
    const char *rc_line;
    va_list ap;
    int rc;

    va_start(ap, args_fmt);
    vsnprintf(args, sizeof args, args_fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd,
             "%s --dsn dbname=%s %s 2>&1 & pid=$!\n"
             "i=0\n"
             "until [ \"$(psql -XAtq -d %s -c \"%s\" 2>/dev/null)\" = t ]; do\n"
             "  i=$((i + 1)); [ $i -lt 3000 ] || { kill -9 $pid; wait $pid; echo never-met; exit 0; }\n"
             "  sleep 0.02\n"
             "done\n"
             "%s\n"
             "wait $pid; echo \"exit=$?\"",
             fx_etl_path(), db->name, args, db->name, until_sql, action);
    run_command(&acc, cmd);
    rc_line = strstr(acc, "exit=");
    rc = strstr(acc, "never-met") != NULL || rc_line == NULL ? -1 : atoi(rc_line + 5);
    if (out != NULL)
        *out = acc;
    else
        free(acc);
    return rc;
}

int64_t
fx_partial_diff(struct fx_db *db, const char *expected)
{
    char sql[4096];

    snprintf(sql, sizeof sql,
             "WITH e AS (%s), done AS (SELECT DISTINCT user_id, workspace_id FROM analytics_snapshots)"
             " SELECT (SELECT count(*) FROM ((SELECT e.* FROM e JOIN done d"
             "          ON (e.user_id, e.workspace_id) IS NOT DISTINCT FROM (d.user_id, d.workspace_id))"
             "         EXCEPT ALL (" ACTUAL_ROWS ")) x)"
             "      + (SELECT count(*) FROM ((" ACTUAL_ROWS ") EXCEPT ALL (SELECT * FROM e)) y)",
             expected);
    return fx_int(db, sql);
}

void
fx_expect_snapshots(struct fx_db *db, const char *expected)
{
    char sql[4096];

    snprintf(sql, sizeof sql, "CREATE TABLE expected_snapshots AS %s", expected);
    fx_exec(db, sql);
}

void
fx_expect_goals(struct fx_db *db, const char *as_of)
{
    char sql[256];

    snprintf(sql, sizeof sql,
             "CREATE TABLE expected_goals AS SELECT * FROM ref.goals_after('%s')", as_of);
    fx_exec(db, sql);
}

int64_t
fx_goals_diff(struct fx_db *db)
{
    return fx_int(db, "SELECT count(*) FROM goals g FULL JOIN expected_goals e USING (id)"
                      " WHERE (g.current_value, g.is_achieved, g.achieved_at, g.updated_at)"
                      " IS DISTINCT FROM (e.current_value, e.is_achieved, e.achieved_at,"
                      " e.updated_at)");
}

char *
fx_goals_hash(struct fx_db *db)
{
    return fx_text(db, "SELECT md5(string_agg(g::text, ',' ORDER BY id)) FROM goals g");
}
