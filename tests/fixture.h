/*
 * fixture.h: what the database tests share.
 *
 * tests/run-tests starts a throwaway server (tests/with-pg), migrates a
 * template database `devpulse_template` and loads tests/reference.sql into it.
 * Each test gets a fresh copy of that template, so tests can run in parallel.
 * DEVPULSE_ETL and DEVPULSE_GEN name the binaries under test.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <libpq-fe.h>
#include <stdint.h>

struct fx_db {
    char name[64];
    PGconn *conn;
};

/* A new database copied from the template, with a connection to it. */
void fx_db_create(struct fx_db *db);
void fx_db_drop(struct fx_db *db);

/* Runs sql; fails the test on error. */
void fx_exec(struct fx_db *db, const char *sql);
/* Runs a query that returns one value and returns it as int64. */
int64_t fx_int(struct fx_db *db, const char *sql);
/* Runs a query and returns its one text value, malloc'd ("" for NULL). */
char *fx_text(struct fx_db *db, const char *sql);

/* Runs `devpulse-etl --dsn dbname=<db> ARGS` (ARGS as a shell word list);
 * returns the exit status and, when out is not NULL, stdout+stderr (malloc'd). */
int fx_etl(struct fx_db *db, char **out, const char *args_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs any shell command line; same returns. */
int fx_shell(char **out, const char *cmd_fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills the database with the data generator. */
void fx_generate(struct fx_db *db, int users, int days, int seed, const char *end_date);

/*
 * Rows of analytics_snapshots that differ from the query `expected` (same six
 * columns as ref.snapshots_*), counted both ways; prints up to 5 of each
 * side to stderr when they differ.
 */
int64_t fx_snapshot_diff(struct fx_db *db, const char *expected);

const char *fx_etl_path(void);

#endif
