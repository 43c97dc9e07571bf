/*
 * status.c: the engine's state on one database, from the ledger, as one JSON
 * document that PostgreSQL builds (so the text and JSON forms that cli_status.c
 * prints say the same, and every number is exact).
 *
 * Entry points: status_read, status_last_success.  Only reads: the ledger
 * devpulse_etl.runs, the run lock in pg_locks, devpulse_etl.freshness().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"
#include "runlock.h"
#include "status.h"

/* An instant as ISO 8601 in UTC, to the second. */
#define ISO(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SECONDS(a, b) "round(extract(epoch FROM " b " - " a ")::numeric, 3)"
#define STR(x) #x
#define XSTR(x) STR(x)

static const char status_sql[] =
    "WITH runs AS (SELECT r.*, " SECONDS("r.started_at", "coalesce(r.ended_at, now())") " AS took"
    "              FROM devpulse_etl.runs r)"
    " SELECT json_build_object("
    "  'database', current_database(),"
    "  'schema', (SELECT max(name) FROM devpulse_etl.schema_migrations),"
    "  'now', " ISO("now()") ","
    "  'as_of', " ISO("coalesce($1::timestamptz, now())") ","
    /* Every run of nightly, backfill or goals holds the run lock, shared or
     * not (a lock on two int4 keys has objsubid 2). */
    "  'lock_held', EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    "      AND classid = " RUNLOCK_SQL(RUNLOCK_CLASS) " AND objid = " RUNLOCK_SQL(RUNLOCK_KEY)
    "      AND objsubid = 2"
    "      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),"
    "  'running', coalesce((SELECT json_agg(json_build_object("
    "      'run_id', id, 'command', command, 'shard', shard, 'started_at', " ISO("started_at") ","
    "      'elapsed_seconds', took, 'subjects_done', subjects_done,"
    "      'subjects_total', subjects_total, 'attempts', attempts, 'client_host', client_host,"
    "      'client_pid', client_pid, 'engine_version', engine_version) ORDER BY id)"
    "    FROM runs WHERE status = 'running'), '[]'),"
    "  'last_runs', coalesce((SELECT json_agg(json_build_object("
    "      'command', command, 'shard', shard, 'run_id', id, 'status', status,"
    "      'started_at', " ISO("started_at") ", 'ended_at', " ISO("ended_at") ","
    "      'duration_seconds', took, 'rows_read', rows_read, 'rows_written', rows_written,"
    "      'goals_updated', goals_updated, 'warnings', warnings, 'error', error,"
    "      'last_success_at', (SELECT " ISO("max(s.ended_at)") " FROM runs s"
    "                          WHERE s.command = l.command AND s.shard = l.shard"
    "                            AND s.status = 'succeeded'))"
    "      ORDER BY command, shard)"
    "    FROM (SELECT DISTINCT ON (command, shard) * FROM runs"
    "          ORDER BY command, shard, id DESC) l), '[]'),"
    "  'failures', coalesce((SELECT json_agg(json_build_object("
    "      'run_id', id, 'command', command, 'shard', shard, 'status', status,"
    "      'ended_at', " ISO("ended_at") ", 'error', error) ORDER BY id DESC)"
    "    FROM (SELECT * FROM runs WHERE status IN ('failed', 'cancelled', 'skipped')"
    "          ORDER BY id DESC LIMIT " XSTR(STATUS_FAILURES) ") f), '[]'),"
    "  'freshness', (SELECT json_agg(json_build_object("
    "      'snapshot_type', snapshot_type, 'subjects', subjects,"
    "      'without_snapshots', without_snapshots, 'behind', behind,"
    "      'oldest_latest', oldest_latest))"
    "    FROM devpulse_etl.freshness(coalesce($1::timestamptz, now()))))";

/* 0 when this login may read the ledger; -1 with err saying which GRANT it
 * needs, that the schema is missing, or why the query failed. */
static int
may_read_ledger(PGconn *conn, struct etl_error *err)
{
    PGresult *res = db_query(conn, "checking access to the ledger",
                             "SELECT has_table_privilege(c.oid, 'SELECT')"
                             "   AND has_schema_privilege(c.relnamespace, 'USAGE')"
                             " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                             " WHERE n.nspname = 'devpulse_etl' AND c.relname = 'runs'",
                             0, NULL, PGRES_TUPLES_OK, err);
    int ok;

    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (migrate_check_current(conn, err) == 0)     /* says "run migrate first" */
            etl_fail(err, "the database has no run ledger: run `devpulse-etl migrate` first");
        return -1;
    }
    ok = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!ok)
        return etl_fail(err, "role \"%s\" may not read the run ledger: grant it the monitoring"
                        " role (GRANT devpulse_etl_monitor TO \"%s\")", PQuser(conn), PQuser(conn));
    return 0;
}

int
status_read(PGconn *conn, const char *as_of, json_t **out, struct etl_error *err)
{
    const char *params[1] = {as_of};
    json_error_t jerr;
    PGresult *res;

    *out = NULL;
    if (may_read_ledger(conn, err) < 0 || migrate_check_current(conn, err) < 0)
        return -1;
    res = db_query(conn, "reading the status", status_sql, 1, params, PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    *out = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
    PQclear(res);
    if (*out == NULL)
        return etl_fail(err, "reading the status: %s", jerr.text);
    return 0;
}

int
status_last_success(PGconn *conn, const char *command, const char *shard, double *at,
                    bool *found, struct etl_error *err)
{
    const char *params[2] = {command, shard};
    PGresult *res = db_query(conn, "reading the last success from the ledger",
                             "SELECT extract(epoch FROM max(ended_at))::float8"
                             " FROM devpulse_etl.runs"
                             " WHERE command = $1 AND shard = $2 AND status = 'succeeded'",
                             2, params, PGRES_TUPLES_OK, err);

    if (res == NULL)
        return -1;
    *found = !PQgetisnull(res, 0, 0);
    *at = *found ? strtod(PQgetvalue(res, 0, 0), NULL) : 0;
    PQclear(res);
    return 0;
}
