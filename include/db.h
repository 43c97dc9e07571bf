/*
 * db.h: connecting to PostgreSQL and running statements that must succeed.
 *
 * Every helper checks the result status with PQresultStatus, clears failed
 * results itself and reports "what failed: server message" in an etl_error.
 */
#ifndef DB_H
#define DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include "etl_error.h"

/* Connects to dsn, else $DATABASE_URL, else libpq's PG* defaults; the
 * connection is watched for SIGINT/SIGTERM (cancel.h) until db_close.
 * application_name is "devpulse-etl" unless dsn or $PGAPPNAME names one. */
PGconn *db_connect(const char *dsn, struct etl_error *err);
void db_close(PGconn *conn);        /* NULL is fine */

/*
 * Where the database comes from (SPEC.md section 8).  Each connection
 * parameter is taken from the first of these that sets it:
 *   1. dsn (--dsn), a connection string or URI;
 *   2. psql's options: dbname (-d, a name or, as psql takes it, a connection
 *      string, whose parts win over host, port and user, as in psql), host
 *      (-h), port (-p), user (-U);
 *   3. $DATABASE_URL, read only when there is no dsn and dbname is not a
 *      connection string (a connection string given on the command line
 *      replaces it whole, so that its password never goes to a server
 *      named there);
 *   4. libpq's PG* variables and defaults (libpq fills what is still unset).
 * NULL or "" means not given.
 */
struct db_target {
    const char *dsn, *dbname, *host, *port, *user;
};

/* The connection string for db_connect that t makes: *out is NULL when t
 * names nothing (db_connect then reads $DATABASE_URL), else malloc'd.  A
 * string that does not parse is passed on as it is, for db_connect to
 * report.  -1 only when out of memory. */
int db_target_conninfo(const struct db_target *t, char **out);

/*
 * Fails (err set, nothing else done) when conn, made from dsn, goes through a
 * transaction-mode pooler (PgBouncer's pool_mode = transaction, Supabase's
 * port 6543), which hands each transaction whichever server session is free:
 * a run's session advisory lock, settings and exported snapshot would not
 * stay with it.  Opens one more connection from dsn for as long as it looks.
 */
int db_require_session(PGconn *conn, const char *dsn, struct etl_error *err);

/* Runs sql (no parameters; may hold several statements); expects COMMAND_OK
 * or TUPLES_OK.  what names the step in the error message. */
int db_exec(PGconn *conn, const char *what, const char *sql, struct etl_error *err);

/* Rolls back conn's open transaction, on a path that already failed or
 * whose transaction has done its work: its own outcome changes nothing
 * (a lost connection ends the transaction anyway). */
void db_rollback_quietly(PGconn *conn);

/* Runs sql with text parameters and returns the result when it has the
 * status `expect`; else NULL with err set. */
PGresult *db_query(PGconn *conn, const char *what, const char *sql,
                   int nparams, const char *const *params,
                   ExecStatusType expect, struct etl_error *err);

/* Fills err from a failed result or the connection, dropping the trailing newline. */
int db_fail(struct etl_error *err, const char *what, PGconn *conn, const PGresult *res);

/* Returns a malloc'd copy of msg with every occurrence of the DSN's password
 * replaced by "****"; NULL only when out of memory. */
char *db_scrub_password(const char *msg, const char *dsn);

#endif
