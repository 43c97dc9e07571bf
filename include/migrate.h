/*
 * migrate.h: applying sql/ (compiled into the binary) to a database.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <libpq-fe.h>
#include "etl_error.h"

struct migration {
    const char *name;   /* file name without .sql, e.g. "001_schema" */
    const char *sql;
};

/* Generated from sql/ by tests/embed-sql, in file name order. */
extern const struct migration migrations[];
extern const int n_migrations;

/*
 * Applies, in one transaction, every migration not yet recorded in
 * devpulse_etl.schema_migrations.  Refuses (-1) a database that records a
 * migration this binary does not know: its schema is newer.
 * *applied is set to the number applied (0 when up to date).
 */
int migrate_apply(PGconn *conn, int *applied, struct etl_error *err);

/* 0 when every known migration is recorded, else -1 with the reason. */
int migrate_check_current(PGconn *conn, struct etl_error *err);

#endif
