/*
 * migrate.c: `devpulse-etl migrate`.
 *
 * The migrations are compiled in (build/migrations.c).  The ledger is the
 * engine-owned table devpulse_etl.schema_migrations, one row per file applied.
 * Invariant: all of a run's migrations commit together or none does, and a
 * transaction-level advisory lock serialises two concurrent `migrate` runs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "migrate.h"

/* Arbitrary constant for pg_advisory_xact_lock: "devpulse migrate". */
#define MIGRATE_LOCK_KEY "7236001"

static const char ledger_sql[] =
    "CREATE SCHEMA IF NOT EXISTS devpulse_etl;"
    "CREATE TABLE IF NOT EXISTS devpulse_etl.schema_migrations ("
    "  name text PRIMARY KEY,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

static bool
is_known(const char *name)
{
    for (int i = 0; i < n_migrations; i++)
        if (strcmp(migrations[i].name, name) == 0)
            return true;
    return false;
}

static bool
is_recorded(const PGresult *res, const char *name)
{
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), name) == 0)
            return true;
    return false;
}

/* Fails when the database records a migration we do not know. */
static int
check_not_newer(const PGresult *recorded, struct etl_error *err)
{
    for (int i = 0; i < PQntuples(recorded); i++) {
        const char *name = PQgetvalue(recorded, i, 0);

        if (!is_known(name))
            return etl_fail(err, "the database schema is newer than this devpulse-etl: "
                            "it records migration \"%s\", which this binary does not know; "
                            "upgrade devpulse-etl", name);
    }
    return 0;
}

static int
apply_missing(PGconn *conn, const PGresult *recorded, int *applied, struct etl_error *err)
{
    char what[128];

    for (int i = 0; i < n_migrations; i++) {
        const char *params[1] = {migrations[i].name};
        PGresult *res;

        if (is_recorded(recorded, migrations[i].name))
            continue;
        snprintf(what, sizeof what, "migration %s failed", migrations[i].name);
        if (db_exec(conn, what, migrations[i].sql, err) < 0)
            return -1;
        res = db_query(conn, what,
                       "INSERT INTO devpulse_etl.schema_migrations (name) VALUES ($1)",
                       1, params, PGRES_COMMAND_OK, err);
        if (res == NULL)
            return -1;
        PQclear(res);
        (*applied)++;
    }
    return 0;
}

int
migrate_apply(PGconn *conn, int *applied, struct etl_error *err)
{
    PGresult *recorded;
    int rc;

    *applied = 0;
    if (db_exec(conn, "migrate: begin",
                "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", err) < 0)
        return -1;
    if (db_exec(conn, "migrate: creating the migration ledger", ledger_sql, err) < 0)
        goto out_rollback;
    recorded = db_query(conn, "migrate: reading the migration ledger",
                        "SELECT name FROM devpulse_etl.schema_migrations ORDER BY name",
                        0, NULL, PGRES_TUPLES_OK, err);
    if (recorded == NULL)
        goto out_rollback;
    rc = check_not_newer(recorded, err);
    if (rc == 0)
        rc = apply_missing(conn, recorded, applied, err);
    PQclear(recorded);
    if (rc < 0)
        goto out_rollback;
    return db_exec(conn, "migrate: commit", "COMMIT", err);

out_rollback:
    db_rollback_quietly(conn);
    *applied = 0;
    return -1;
}

int
migrate_check_current(PGconn *conn, struct etl_error *err)
{
    PGresult *recorded;
    int rc = 0;

    recorded = PQexec(conn, "SELECT name FROM devpulse_etl.schema_migrations ORDER BY name");
    if (PQresultStatus(recorded) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(recorded, PG_DIAG_SQLSTATE);

        /* undefined_table, invalid_schema_name: never migrated */
        if (state != NULL && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)) {
            PQclear(recorded);
            return etl_fail(err, "the database has no DevPulse schema: run `devpulse-etl migrate` first");
        }
        if (state != NULL && strcmp(state, "42501") == 0) {
            PQclear(recorded);
            return etl_fail(err, "role \"%s\" may not read the DevPulse schema: grant it the"
                            " engine's role (GRANT devpulse_etl TO \"%s\")", PQuser(conn), PQuser(conn));
        }
        db_fail(err, "checking the schema", conn, recorded);
        PQclear(recorded);
        return -1;
    }
    rc = check_not_newer(recorded, err);
    for (int i = 0; rc == 0 && i < n_migrations; i++)
        if (!is_recorded(recorded, migrations[i].name))
            rc = etl_fail(err, "the database lacks migration \"%s\": run `devpulse-etl migrate` first",
                          migrations[i].name);
    PQclear(recorded);
    return rc;
}
