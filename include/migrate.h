/*
 * migrate.h: bringing a database to the schema the engine needs: an empty
 * one, one an earlier devpulse-etl migrated, or one the DevPulse app made
 * from the seed (whose rows, policies, triggers and grants stay as they are).
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include "etl_error.h"

/* One step of a migration file (tests/embed-sql explains the format). */
struct migration_step {
    const char *what;   /* what `migrate` reports, e.g. "create table goals" */
    const char *when;   /* SQL boolean, read-only: the step is still to do */
    const char *sql;
};

struct migration {
    const char *name;   /* file name without .sql, e.g. "001_schema" */
    const struct migration_step *steps;
    int n_steps;
};

/* Generated from sql/ by tests/embed-sql, in file name order. */
extern const struct migration migrate_files[];
extern const int migrate_n_files;

/* The key of the session advisory lock that serialises `migrate` runs
 * ("devpulse migrate"), as SQL text; apart from the run locks' keys. */
#define MIGRATE_LOCK_KEY "7236001"

struct migrate_list {
    char **items;
    size_t n, cap;
};

struct migrate_report {
    struct migrate_list changes;    /* done; with check: what migrate would do */
    struct migrate_list notices;    /* e.g. a CHECK constraint left NOT VALID */
};

/*
 * With check false: checks every table the engine uses that exists already
 * (schema.h: columns, types, nullability; a mismatch fails and changes
 * nothing), then adds what is missing (tables, the engine's schema and
 * ledgers, its role, grants and policies, CHECK constraints, SPEC.md section
 * 5's indexes) and records the migrations in devpulse_etl.schema_migrations.
 * All of it commits together, except with many rows in analytics_snapshots
 * (migrate_indexes.h): then the indexes are built after the commit, and the
 * migrations are recorded once they are; and the CHECK constraints are
 * validated after it (migrate_checks.h).  Two runs at once wait for each
 * other (MIGRATE_LOCK_KEY).
 *
 * With check true: read-only, from the catalogs alone (so the engine's own
 * login may run it): fills report->changes with what `migrate` would do.
 *
 * Refuses (-1) a database that records a migration this binary does not
 * know: its schema is newer.  report is filled on success; term it always.
 */
int migrate_apply(PGconn *conn, bool check, struct migrate_report *report,
                  struct etl_error *err);
void migrate_report_term(struct migrate_report *report);

/* 0 when every known migration is recorded, else -1 with the reason. */
int migrate_check_current(PGconn *conn, struct etl_error *err);

#endif
