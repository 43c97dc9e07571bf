/*
 * runlock.c: the run's session advisory locks, and the session of a lost
 * attempt that may still hold them.  See runlock.h for the keys.
 *
 * Entry points: runlock_try (job.c polls it for --wait), runlock_release,
 * runlock_session, runlock_end_lost_session.
 *
 * Invariant: a session holds either all of a run's locks or none of them:
 * runlock_try lets go of what it took when a later lock is busy.
 */
#include <stdio.h>

#include "cancel.h"
#include "db.h"
#include "runlock.h"

/* Runs a query that answers one boolean: 1 true, 0 false, -1 error. */
static int
query_bool(PGconn *conn, const char *what, const char *sql, int nparams,
           const char *const *params, struct etl_error *err)
{
    PGresult *res = db_query(conn, what, sql, nparams, params, PGRES_TUPLES_OK, err);
    int v;

    if (res == NULL)
        return -1;
    v = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return v;
}

int
runlock_try(PGconn *conn, int k, int n, struct etl_error *err)
{
    char n_text[16], key_text[16];
    const char *params[1];
    int got;

    /* The run lock: exclusive for an unsharded run, shared by shards. */
    got = query_bool(conn, "taking the run lock",
                     n <= 1 ? "SELECT pg_try_advisory_lock(" RUNLOCK_RUN_ARGS ")"
                            : "SELECT pg_try_advisory_lock_shared(" RUNLOCK_RUN_ARGS ")",
                     0, NULL, err);
    if (got == 0)
        etl_fail(err, "another devpulse-etl run holds the lock on this database");
    if (got <= 0 || n <= 1)
        return got;
    snprintf(n_text, sizeof n_text, "%d", n);
    snprintf(key_text, sizeof key_text, "%d", RUNLOCK_SHARD_KEY(k, n));
    params[0] = n_text;
    got = query_bool(conn, "taking the run lock",
                     "SELECT pg_try_advisory_lock_shared(" RUNLOCK_SQL(RUNLOCK_COUNT_CLASS)
                     ", $1::int) AND NOT EXISTS ("
                     "  SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                     "    AND database = (SELECT oid FROM pg_database"
                     "                    WHERE datname = current_database())"
                     "    AND classid = " RUNLOCK_SQL(RUNLOCK_COUNT_CLASS) " AND objid <> $1::int)",
                     1, params, err);
    if (got == 0)
        etl_fail(err, "shards of another count run on this database: every shard of a run"
                 " must use the same N");
    if (got == 1) {
        params[0] = key_text;
        got = query_bool(conn, "taking the run lock",
                         "SELECT pg_try_advisory_lock(" RUNLOCK_SQL(RUNLOCK_SHARD_CLASS)
                         ", $1::int)", 1, params, err);
        if (got == 0)
            etl_fail(err, "another devpulse-etl run holds the lock of shard %d/%d on this database",
                     k, n);
    }
    if (got != 1)
        runlock_release(conn);
    return got;
}

void
runlock_release(PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_OK)
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock_all()"));
}

int
runlock_session(PGconn *conn, char *session, struct etl_error *err)
{
    PGresult *res = db_query(conn, "reading the session's identity",
                             "SELECT pg_backend_pid() || ' ' || backend_start::text"
                             " FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                             0, NULL, PGRES_TUPLES_OK, err);

    if (res == NULL)
        return -1;
    snprintf(session, RUNLOCK_SESSION_LEN, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}

int
runlock_end_lost_session(PGconn *conn, char *session, struct etl_error *err)
{
    const char *params[1] = {session};
    int rc = 0;

    if (session[0] == '\0')
        return 0;
    for (int i = 0; i < 50 && rc == 0; i++) {
        /* Find it first, then end it by pid: a volatile function in a WHERE
         * clause may be called for rows the rest of the clause rejects. */
        PGresult *res = db_query(conn, "looking for the lost session",
                                 "SELECT pid::text FROM pg_stat_activity"
                                 " WHERE pid || ' ' || backend_start::text = $1",
                                 1, params, PGRES_TUPLES_OK, err);
        const char *pid[1];

        if (res == NULL)
            return -1;
        if (PQntuples(res) == 0) {
            PQclear(res);
            break;          /* gone */
        }
        pid[0] = PQgetvalue(res, 0, 0);
        if (query_bool(conn, "ending the lost session", "SELECT pg_terminate_backend($1::int)",
                       1, pid, err) < 0)
            rc = -1;
        PQclear(res);
        cancel_sleep_ms(100);
    }
    session[0] = '\0';
    return rc;
}
