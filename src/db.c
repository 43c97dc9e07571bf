/*
 * db.c: connect, exec with an expected status, errors.
 *
 * Entry points: db_target_conninfo, db_connect, db_exec, db_query, db_fail.
 * Every PGresult made here is either returned to the caller or cleared
 * before returning.
 *
 * Row level security never hides a row from the engine silently: a session
 * starts with row_security = off, under which PostgreSQL refuses (instead of
 * filtering) any statement on a table whose policies would apply to the
 * login.  It is turned on only when, on every table the engine uses
 * (schema.h), RLS either does not apply to the login (off, BYPASSRLS, owner)
 * or can hide nothing: a permissive policy of the login's with USING (true)
 * (and WITH CHECK (true) where it writes) and no restrictive one.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "db.h"
#include "schema.h"
#include "strbuf.h"

static const char *
env_dsn(void)
{
    const char *url = getenv("DATABASE_URL");

    return (url != NULL && url[0] != '\0') ? url : "";
}

/* What follows the scheme of a URI (postgresql:// or postgres://, as libpq
 * tells a URI), or NULL when s is not one. */
static const char *
uri_rest(const char *s)
{
    static const char *const schemes[] = {"postgresql://", "postgres://"};

    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
            return s + strlen(schemes[i]);
    return NULL;
}

/*
 * Why a connection string cannot be used as it is, or NULL.  libpq quotes
 * the text around a fault in its messages ("invalid percent-encoded token:
 * \"s3cr%zz\""), and the password may be that text: only the form of the
 * string is told, never any of it.  A URI that parses can still have cut its
 * password short: userinfo ends at the first '@' before any '/', so a '/' or
 * an '@' in the password leaves the rest of it in the host, port or dbname,
 * which messages do quote.  Such a URI (an '@' left after the userinfo,
 * before the query) is refused too.
 */
static const char *
dsn_unusable(const char *dsn)
{
    const char *rest = uri_rest(dsn);
    char *errmsg = NULL;
    PQconninfoOption *opts;

    if ((opts = PQconninfoParse(dsn, &errmsg)) == NULL) {
        PQfreemem(errmsg);
        return rest != NULL
            ? "the connection string does not parse as a URI (postgresql://...); percent-encode"
              " '%', '@' and '/' in the user name and password (%25, %40, %2F)"
            : "the connection string does not parse as keyword=value pairs; quote a value"
              " that holds spaces or quotes ('...')";
    }
    PQconninfoFree(opts);
    if (rest != NULL) {
        size_t userinfo = strcspn(rest, "@/"), host_part;

        if (rest[userinfo] == '@')
            rest += userinfo + 1;
        host_part = strcspn(rest, "?");
        if (memchr(rest, '@', host_part) != NULL)
            return "the connection string's user name or password holds an '@' or a '/' that"
                   " is not percent-encoded (%40, %2F)";
    }
    return NULL;
}

static bool
given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* libpq's own test: a URI, or keyword=value pairs; else a database name. */
static bool
is_connection_string(const char *s)
{
    return uri_rest(s) != NULL || strchr(s, '=') != NULL;
}

/* vals[k] := value, for keys[k].keyword == keyword, when value is given. */
static void
take_option(const PQconninfoOption *keys, const char **vals, const char *keyword, const char *value)
{
    for (int k = 0; keys[k].keyword != NULL; k++)
        if (given(value) && strcmp(keys[k].keyword, keyword) == 0)
            vals[k] = value;
}

/* Takes what the connection string (or database name) s sets; *parsed
 * keeps the values alive.  -1 when s does not parse or cannot be used
 * (dsn_unusable: db_connect then says why, without quoting it). */
static int
take_string(const PQconninfoOption *keys, const char **vals, const char *s,
            PQconninfoOption **parsed)
{
    if (!is_connection_string(s)) {
        take_option(keys, vals, "dbname", s);
        return 0;
    }
    if (dsn_unusable(s) != NULL || (*parsed = PQconninfoParse(s, NULL)) == NULL)
        return -1;
    for (const PQconninfoOption *o = *parsed; o->keyword != NULL; o++)
        take_option(keys, vals, o->keyword, o->val);
    return 0;
}

/* keyword='value' pairs, quoted as libpq reads them. */
static char *
format_conninfo(const PQconninfoOption *keys, const char **vals)
{
    struct strbuf b;

    strbuf_init(&b);
    for (int k = 0; keys[k].keyword != NULL; k++) {
        if (vals[k] == NULL)
            continue;
        if (b.len > 0)
            strbuf_putc(&b, ' ');
        strbuf_puts(&b, keys[k].keyword);
        strbuf_puts(&b, "='");
        for (const char *c = vals[k]; *c != '\0'; c++) {
            if (*c == '\'' || *c == '\\')
                strbuf_putc(&b, '\\');
            strbuf_putc(&b, *c);
        }
        strbuf_putc(&b, '\'');
    }
    if (b.failed) {
        strbuf_term(&b);
        return NULL;
    }
    return b.data != NULL ? b.data : strdup("");
}

int
db_target_conninfo(const struct db_target *t, char **out)
{
    /* Lowest precedence first: a later layer overrides what an earlier one set. */
    PQconninfoOption *keys, *parsed[3] = {NULL, NULL, NULL};
    const char **vals = NULL, *unparsed = NULL;
    bool dbname_string = given(t->dbname) && is_connection_string(t->dbname);
    int n = 0, rc = -1;

    *out = NULL;
    if (!given(t->dbname) && !given(t->host) && !given(t->port) && !given(t->user)) {
        if (!given(t->dsn))
            return 0;
        return (*out = strdup(t->dsn)) != NULL ? 0 : -1;
    }
    if ((keys = PQconninfoParse("", NULL)) == NULL)
        return -1;
    while (keys[n].keyword != NULL)
        n++;
    if ((vals = calloc((size_t) n, sizeof *vals)) == NULL)
        goto out_free;
    if (!given(t->dsn) && !dbname_string && given(env_dsn()) &&
        take_string(keys, vals, env_dsn(), &parsed[0]) < 0) {
        rc = 0;                 /* db_connect reads it again, and says it does not parse */
        goto out_free;
    }
    take_option(keys, vals, "host", t->host);
    take_option(keys, vals, "port", t->port);
    take_option(keys, vals, "user", t->user);
    if (dbname_string && take_string(keys, vals, t->dbname, &parsed[1]) < 0)
        unparsed = t->dbname;
    else if (!dbname_string)
        take_option(keys, vals, "dbname", t->dbname);
    if (unparsed == NULL && given(t->dsn) && take_string(keys, vals, t->dsn, &parsed[2]) < 0)
        unparsed = t->dsn;
    *out = unparsed != NULL ? strdup(unparsed) : format_conninfo(keys, vals);
    rc = *out != NULL ? 0 : -1;

out_free:
    for (int i = 0; i < 3; i++)
        PQconninfoFree(parsed[i]);
    free(vals);
    PQconninfoFree(keys);
    return rc;
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

/*
 * The first table on which row level security could change what the engine
 * reads or writes ($1: the tables, $2: whether the engine writes each), and
 * the restrictive policy to blame, if any; no row when there is none.  A
 * policy applies to the login when it names PUBLIC or a role whose
 * privileges the login has, as PostgreSQL decides it.
 */
static const char rls_blocker_sql[] =
    "WITH t AS (SELECT to_regclass(name) AS rel, writes, ord"
    "           FROM unnest($1::text[], $2::bool[]) WITH ORDINALITY AS u(name, writes, ord)),"
    " p AS (SELECT polrelid, polname, polcmd, polpermissive,"
    "              pg_get_expr(polqual, polrelid) AS qual,"
    "              pg_get_expr(polwithcheck, polrelid) AS checks"
    "       FROM pg_policy"
    "       WHERE 0 = ANY (polroles)"
    "          OR EXISTS (SELECT 1 FROM unnest(polroles) r WHERE r <> 0 AND pg_has_role(r, 'USAGE')))"
    " SELECT t.rel::text, coalesce(r.polname, '') FROM t"
    " LEFT JOIN LATERAL (SELECT p.polname FROM p WHERE p.polrelid = t.rel AND NOT p.polpermissive"
    "                    AND (t.writes OR p.polcmd IN ('r', '*')) ORDER BY 1 LIMIT 1) r ON true"
    " WHERE t.rel IS NOT NULL AND row_security_active(t.rel)"
    "   AND (r.polname IS NOT NULL"
    "        OR NOT EXISTS (SELECT 1 FROM p WHERE p.polrelid = t.rel AND p.polpermissive"
    "                       AND (p.polcmd = '*' OR (p.polcmd = 'r' AND NOT t.writes))"
    "                       AND p.qual = 'true' AND coalesce(p.checks, 'true') = 'true'))"
    " ORDER BY t.ord LIMIT 1";

/* Why the last session this process opened left row_security off: the
 * hint for PostgreSQL's refusal (db_fail).  Sessions open on many threads. */
static pthread_mutex_t rls_lock = PTHREAD_MUTEX_INITIALIZER;
static char rls_hint[640];

/* row_security is off (set by the caller); on when RLS can hide nothing. */
static int
set_row_security(PGconn *conn, struct etl_error *err)
{
    char names[1024] = "{", writes[64] = "{";
    const char *params[2] = {names, writes};
    PGresult *res;

    for (int i = 0; i < n_schema_tables; i++) {
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "",
                 schema_tables[i].name);
        snprintf(writes + strlen(writes), sizeof writes - strlen(writes), "%s%c", i ? "," : "",
                 schema_tables[i].access == SCHEMA_WRITE ? 't' : 'f');
    }
    strcat(names, "}");
    strcat(writes, "}");
    res = db_query(conn, "checking row level security", rls_blocker_sql, 2, params,
                   PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return db_exec(conn, "setting up the session", "SET row_security = on", err);
    }
    pthread_mutex_lock(&rls_lock);
    if (PQgetvalue(res, 0, 1)[0] != '\0')
        snprintf(rls_hint, sizeof rls_hint, "the session reads nothing that row level security"
                 " filters, and on table \"%s\" the RESTRICTIVE policy \"%s\" applies to role"
                 " \"%s\": make it apply to the app's roles only (TO authenticated), or give"
                 " \"%s\" BYPASSRLS", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQuser(conn),
                 PQuser(conn));
    else
        snprintf(rls_hint, sizeof rls_hint, "the session reads nothing that row level security"
                 " filters, and on table \"%s\" no policy lets role \"%s\" see every row: run"
                 " `devpulse-etl migrate`, which gives the role devpulse_etl the policies "
                 SCHEMA_READ_POLICY " and " SCHEMA_WRITE_POLICY ", and GRANT devpulse_etl TO"
                 " \"%s\"; or give \"%s\" BYPASSRLS", PQgetvalue(res, 0, 0), PQuser(conn),
                 PQuser(conn), PQuser(conn));
    pthread_mutex_unlock(&rls_lock);
    PQclear(res);
    return 0;
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
     * notice a dead peer within about two minutes on TCP.  The encoding
     * comes after the DSN, so nothing overrides it: every text the engine
     * prints or stores is UTF-8.  The engine's name is a fallback: an
     * application_name in the DSN or $PGAPPNAME wins (the fault tests, which
     * set neither, find runs by "devpulse-etl").
     */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "dbname", "client_encoding",
                          "fallback_application_name", NULL};
    const char *vals[] = {"30", "60", "10", "6", NULL, "UTF8", "devpulse-etl", NULL};
    PGconn *conn;
    const char *unusable;
    char *msg;

    if (dsn == NULL || dsn[0] == '\0')
        dsn = env_dsn();
    if ((unusable = dsn_unusable(dsn)) != NULL) {
        etl_fail(err, "cannot connect to the database: %s", unusable);
        return NULL;
    }
    vals[4] = dsn;
    /* expand_dbname: dbname may be a full connection string or URI. */
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
        /* Dates come back as YYYY-MM-DD and instants in UTC, whatever the
         * server's or the role's settings. */
        if (db_exec(conn, "setting up the session",
                    "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC';"
                    " SET client_min_messages = warning; SET row_security = off", err) < 0 ||
            set_row_security(conn, err) < 0) {
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
    if (err != NULL)
        err->not_connected = true;
    free(msg);
    PQfinish(conn);
    return NULL;
}

/* conn's server process id, as text, into pid; -1 with err set on failure. */
static int
backend_pid(PGconn *conn, char pid[16], struct etl_error *err)
{
    PGresult *res = db_query(conn, "checking the session", "SELECT pg_backend_pid()", 0, NULL,
                             PGRES_TUPLES_OK, err);

    if (res == NULL)
        return -1;
    snprintf(pid, 16, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/*
 * With a session of its own, conn keeps its server process, whatever other
 * clients do.  Through a transaction-mode pooler it holds a server session
 * only while a transaction runs, so: conn runs two statements (a pool that
 * rotates its sessions moves it between them), then another client opens a
 * transaction (a pool that reuses its last session first, as PgBouncer
 * does by default, gives it conn's), and conn runs one more meanwhile (it
 * gets another session, or waits for the other client's, which a pool of
 * one session gives it).  Any change, or a shared process, is a pooler.
 */
int
db_require_session(PGconn *conn, const char *dsn, struct etl_error *err)
{
    char first[16], second[16], theirs[16], after[16];
    PGconn *other;
    PGresult *res;
    int rc = -1;

    if (backend_pid(conn, first, err) < 0 || backend_pid(conn, second, err) < 0)
        return -1;
    if ((other = db_connect(dsn, err)) == NULL)
        return -1;
    if (db_exec(other, "checking the session", "BEGIN", err) < 0 ||
        backend_pid(other, theirs, err) < 0)
        goto out_close;
    if (!PQsendQuery(conn, "SELECT pg_backend_pid()")) {
        db_fail(err, "checking the session", conn, NULL);
        goto out_close;
    }
    rc = db_exec(other, "checking the session", "COMMIT", err);
    res = PQgetResult(conn);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        snprintf(after, sizeof after, "%s", PQgetvalue(res, 0, 0));
    else if (rc == 0)
        rc = db_fail(err, "checking the session", conn, res);
    PQclear(res);
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
    if (rc == 0 && (strcmp(first, second) != 0 || strcmp(first, theirs) == 0 ||
                    strcmp(first, after) != 0))
        rc = etl_fail(err, "the connection goes through a transaction-mode pooler (PgBouncer's"
                      " pool_mode = transaction, Supabase's port 6543), which gives each"
                      " transaction whichever server session is free, but a run needs one"
                      " session for its lock and its snapshot: connect directly, or through"
                      " a session-mode pooler (on Supabase: port 5432)");

out_close:
    db_close(other);
    return rc;
}

int
db_fail(struct etl_error *err, const char *what, PGconn *conn, const PGresult *res)
{
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *where = res != NULL ? PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION) : NULL;
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
    /* row_security = off refused a statement that RLS would have filtered. */
    if (where != NULL && strcmp(where, "check_enable_rls") == 0) {
        pthread_mutex_lock(&rls_lock);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %s", rls_hint[0] ? rls_hint
                 : "the engine reads nothing that row level security filters: give its login"
                   " BYPASSRLS, or see `devpulse-etl migrate --check`");
        pthread_mutex_unlock(&rls_lock);
    }
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

void
db_rollback_quietly(PGconn *conn)
{
    PQclear(PQexec(conn, "ROLLBACK"));
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
