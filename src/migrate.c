/*
 * migrate.c: `devpulse-etl migrate [--check]`, the run.
 *
 * Entry points: migrate_apply, migrate_report_term, migrate_check_current.
 *
 * Every change is a step that runs only when a read-only test says it is
 * still to do (migrate_step.c).  In the order migrate_apply takes them:
 * the engine's schema and its ledger devpulse_etl.schema_migrations (here);
 * the tables that exist, checked against include/schema.h
 * (migrate_columns.c); the steps of sql/ (compiled in: build/migrations.c,
 * here); the role devpulse_etl's grants and policies (migrate_access.c);
 * CHECK constraints (migrate_checks.c); SPEC.md section 5's unique indexes
 * (migrate_indexes.c).  So one path serves an empty database, one an
 * earlier version migrated, and one the DevPulse app made from the seed; a
 * second run finds nothing to do; and --check, which only runs the tests
 * (in a read-only transaction), says what a run would do.
 *
 * Invariant: everything commits in one transaction, after the tables that
 * exist were checked against what the engine reads and writes (a mismatch
 * changes nothing), except what must not hold the app's tables locked for
 * long: validating the CHECK constraints and, when analytics_snapshots holds
 * many rows (MIGRATE_CONCURRENT_ROWS), building its unique indexes
 * CONCURRENTLY (after_commit).  The ledger records the migrations when all
 * of it is done, so no run starts on half a migration.  A session advisory
 * lock (MIGRATE_LOCK_KEY) serialises two concurrent `migrate` runs.
 *
 * Reading order: migrate_apply, at the end, then in_transaction and
 * after_commit, which call every part in the order above.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"
#include "migrate_access.h"
#include "migrate_checks.h"
#include "migrate_columns.h"
#include "migrate_indexes.h"
#include "migrate_step.h"
#include "pgarray.h"

void
migrate_report_term(struct migrate_report *report)
{
    migrate_step_list_term(&report->changes);
    migrate_step_list_term(&report->notices);
}

/* ---------------------------------------------------------------- ledger */

static bool
is_known(const char *name)
{
    for (int i = 0; i < migrate_n_files; i++)
        if (strcmp(migrate_files[i].name, name) == 0)
            return true;
    return false;
}

static bool
is_recorded(const PGresult *res, const char *name)
{
    for (int i = 0; res != NULL && i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), name) == 0)
            return true;
    return false;
}

/* Fails when the database records a migration we do not know. */
static int
check_not_newer(const PGresult *recorded, struct etl_error *err)
{
    for (int i = 0; recorded != NULL && i < PQntuples(recorded); i++) {
        const char *name = PQgetvalue(recorded, i, 0);

        if (!is_known(name))
            return etl_fail(err, "the database schema is newer than this devpulse-etl: "
                            "it records migration \"%s\", which this binary does not know; "
                            "upgrade devpulse-etl", name);
    }
    return 0;
}

static const char read_ledger_sql[] = "SELECT name FROM devpulse_etl.schema_migrations ORDER BY name";

/* The engine's schema and its ledger of migrations, then what it records. */
static int
open_ledger(struct migrate_run *m)
{
    static const char create_ledger[] = "create table devpulse_etl.schema_migrations";
    bool missing;

    if (migrate_step(m, "create schema devpulse_etl", "to_regnamespace('devpulse_etl') IS NULL",
                     "CREATE SCHEMA devpulse_etl") < 0 ||
        migrate_step_todo(m, create_ledger, "to_regclass('devpulse_etl.schema_migrations') IS NULL",
                          &missing) < 0)
        return -1;
    if (missing)                /* a new ledger records nothing: m->recorded stays NULL */
        return migrate_step_change(m, create_ledger,
                                   "CREATE TABLE devpulse_etl.schema_migrations ("
                                   "  name text PRIMARY KEY,"
                                   "  applied_at timestamptz NOT NULL DEFAULT now())");
    m->recorded = db_query(m->conn, "migrate: reading the migration ledger", read_ledger_sql,
                           0, NULL, PGRES_TUPLES_OK, m->err);
    if (m->recorded == NULL)
        return -1;
    return check_not_newer(m->recorded, m->err);
}

static int
record_migrations(struct migrate_run *m)
{
    char names[256] = "", *list;
    const char *params[1];
    PGresult *res;

    for (int i = 0; i < migrate_n_files; i++)
        if (!is_recorded(m->recorded, migrate_files[i].name))
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     names[0] ? ", " : "", migrate_files[i].name);
    if (names[0] == '\0')
        return 0;
    if (!m->check) {
        char *items[64];
        int n = 0;

        for (int i = 0; i < migrate_n_files && n < 64; i++)
            items[n++] = (char *) migrate_files[i].name;
        if ((list = pgarray_text(items, n)) == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        params[0] = list;
        res = db_query(m->conn, "migrate: recording the migrations",
                       "INSERT INTO devpulse_etl.schema_migrations (name)"
                       " SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                       1, params, PGRES_COMMAND_OK, m->err);
        free(list);
        if (res == NULL)
            return -1;
        PQclear(res);
    }
    return migrate_step_note(m, &m->report->changes,
                             "record migration(s) %s in devpulse_etl.schema_migrations", names);
}

/* ---------------------------------------------------------------- sql/ */

/* Every step of every file, in order (tests/embed-sql made them). */
static int
apply_files(struct migrate_run *m)
{
    for (int i = 0; i < migrate_n_files; i++)
        for (int s = 0; s < migrate_files[i].n_steps; s++) {
            const struct migration_step *st = &migrate_files[i].steps[s];

            if (migrate_step(m, st->what, st->when, st->sql) < 0)
                return -1;
        }
    return 0;
}

/* ---------------------------------------------------------------- the run */

/* Everything that commits together. */
static int
in_transaction(struct migrate_run *m)
{
    if (open_ledger(m) < 0 || migrate_columns_check(m) < 0 || apply_files(m) < 0 ||
        migrate_access_grants(m) < 0 || migrate_access_policies(m) < 0 ||
        migrate_checks_add(m) < 0 || migrate_indexes_convert(m) < 0)
        return -1;
    return m->indexes_pending ? 0 : record_migrations(m);
}

/* What must not hold the app's tables locked: each statement commits alone. */
static int
after_commit(struct migrate_run *m)
{
    if (migrate_checks_validate(m) < 0)
        goto out_partly_done;
    if (!m->indexes_pending)
        return 0;
    if (migrate_indexes_concurrently(m) < 0 || record_migrations(m) < 0)
        goto out_partly_done;
    return 0;

out_partly_done:
    return etl_error_suffix(m->err, "; the rest of the migration is committed: run"
                            " `devpulse-etl migrate` again to finish it");
}

int
migrate_apply(PGconn *conn, bool check, struct migrate_report *report, struct etl_error *err)
{
    struct migrate_run m;
    int rc = -1;

    memset(report, 0, sizeof *report);
    memset(&m, 0, sizeof m);
    m.conn = conn;
    m.check = check;
    m.report = report;
    m.err = err;
    if (!check && db_exec(conn, "migrate: waiting for another migrate",
                          "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err) < 0)
        return -1;
    if (db_exec(conn, "migrate: begin", check ? "BEGIN TRANSACTION READ ONLY" : "BEGIN", err) < 0)
        goto out_unlock;
    rc = in_transaction(&m);
    if (rc < 0 || check) {
        db_rollback_quietly(conn);
        if (rc < 0)
            migrate_step_list_term(&report->changes);   /* none of them happened */
        goto out_unlock;
    }
    rc = db_exec(conn, "migrate: commit", "COMMIT", err);
    if (rc == 0)
        rc = after_commit(&m);

out_unlock:
    PQclear(m.recorded);
    if (!check)
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    return rc;
}

int
migrate_check_current(PGconn *conn, struct etl_error *err)
{
    PGresult *recorded;
    int rc;

    recorded = db_query(conn, "checking the schema", read_ledger_sql, 0, NULL, PGRES_TUPLES_OK,
                        err);
    if (recorded == NULL) {
        /* undefined_table, invalid_schema_name: never migrated */
        if (strcmp(err->sqlstate, "42P01") == 0 || strcmp(err->sqlstate, "3F000") == 0)
            return etl_fail(err, "the database has no DevPulse schema: run `devpulse-etl migrate` first");
        if (strcmp(err->sqlstate, "42501") == 0)
            return etl_fail(err, "role \"%s\" may not read the DevPulse schema: grant it the"
                            " engine's role (GRANT devpulse_etl TO \"%s\")", PQuser(conn), PQuser(conn));
        return -1;
    }
    rc = check_not_newer(recorded, err);
    for (int i = 0; rc == 0 && i < migrate_n_files; i++)
        if (!is_recorded(recorded, migrate_files[i].name))
            rc = etl_fail(err, "the database lacks migration \"%s\": run `devpulse-etl migrate` first",
                          migrate_files[i].name);
    PQclear(recorded);
    return rc;
}
