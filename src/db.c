/*
 * db.c: connect, exec with an expected status, errors.
 *
 * Entry points: db_connect, db_exec, db_query, db_fail.  Every PGresult made
 * here is either returned to the caller or cleared before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "db.h"

static const char *
env_dsn(void)
{
    const char *url = getenv("DATABASE_URL");

    return (url != NULL && url[0] != '\0') ? url : "";
}

/* libpq may quote the connection string in its messages: never show a password. */
char *
db_scrub_password(const char *msg, const char *dsn)
{
    PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
    const char *password = NULL;
    size_t plen, out_len = 0;
    char *out;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
            password = o->val;
    if (password == NULL) {
        PQconninfoFree(opts);
        return strdup(msg);
    }
    plen = strlen(password);
    out = malloc(strlen(msg) * 4 + 1);   /* "****" per byte in the worst case */
    if (out != NULL) {
        for (const char *p = msg; *p != '\0';) {
            if (strncmp(p, password, plen) == 0) {
                memcpy(out + out_len, "****", 4);
                out_len += 4;
                p += plen;
            } else {
                out[out_len++] = *p++;
            }
        }
        out[out_len] = '\0';
    }
    PQconninfoFree(opts);
    return out;
}

static void
chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void
ignore_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

PGconn *
db_connect(const char *dsn, struct etl_error *err)
{
    /*
     * Defaults first, so that the DSN (expanded in place of dbname) and
     * PG* variables can override them: give up connecting after 30 s, and
     * notice a dead peer within about two minutes on TCP.  The encoding and
     * the name come last, so nothing overrides them: every text the engine
     * prints or stores is UTF-8, and the fault tests and operators find runs
     * by the name.
     */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "dbname", "client_encoding", "application_name", NULL};
    const char *vals[] = {"30", "60", "10", "6", NULL, "UTF8", "devpulse-etl", NULL};
    PGconn *conn;
    char *msg;

    if (dsn == NULL || dsn[0] == '\0')
        dsn = env_dsn();
    vals[4] = dsn;
    /* expand_dbname: dbname may be a full connection string or URI. */
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
        /* Dates come back as YYYY-MM-DD and instants in UTC, whatever the
         * server's or the role's settings. */
        if (db_exec(conn, "setting up the session",
                    "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC';"
                    " SET client_min_messages = warning", err) < 0) {
            PQfinish(conn);
            return NULL;
        }
        /* Messages that arrive outside a result (a FATAL before the server
         * closes the session) would be printed by libpq itself; the error
         * that follows says the same in the run's one line. */
        PQsetNoticeProcessor(conn, ignore_notice, NULL);
        cancel_watch(conn);
        return conn;
    }
    msg = db_scrub_password(conn != NULL ? PQerrorMessage(conn) : "out of memory", dsn);
    if (msg != NULL)
        chomp(msg);
    /* libpq's message may span lines; the report is one line. */
    for (char *p = msg; p != NULL && *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
    etl_fail(err, "cannot connect to the database: %s", msg != NULL ? msg : "out of memory");
    free(msg);
    PQfinish(conn);
    return NULL;
}

int
db_fail(struct etl_error *err, const char *what, PGconn *conn, const PGresult *res)
{
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char buf[sizeof err->text];

    /* The server's message without its severity and CONTEXT (which, for a
     * COPY, quotes a row); libpq's own message when there is none. */
    if (primary != NULL && detail != NULL)
        snprintf(buf, sizeof buf, "%s (%s)", primary, detail);
    else if (primary != NULL)
        snprintf(buf, sizeof buf, "%s", primary);
    else
        snprintf(buf, sizeof buf, "%s", PQerrorMessage(conn)[0] ? PQerrorMessage(conn)
                                                               : "unexpected result");
    if (hint != NULL)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %s", hint);
    chomp(buf);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    etl_fail(err, "%s: %s", what, buf);
    if (err != NULL) {
        if (state != NULL)
            snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
        err->connection_lost = PQstatus(conn) != CONNECTION_OK;
    }
    return -1;
}

void
db_close(PGconn *conn)
{
    cancel_unwatch(conn);
    PQfinish(conn);
}

int
db_exec(PGconn *conn, const char *what, const char *sql, struct etl_error *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        db_fail(err, what, conn, res);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

PGresult *
db_query(PGconn *conn, const char *what, const char *sql,
         int nparams, const char *const *params,
         ExecStatusType expect, struct etl_error *err)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != expect) {
        db_fail(err, what, conn, res);
        PQclear(res);
        return NULL;
    }
    return res;
}
