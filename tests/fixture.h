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
/* A new empty database (template0): nothing migrated, no reference. */
void fx_db_create_empty(struct fx_db *db);
void fx_db_drop(struct fx_db *db);
/* A new database copied from src (its data included), with a connection. */
void fx_db_copy(struct fx_db *src, struct fx_db *copy);

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
/* The same as the login named "<db name>_<login_suffix>" (made by the test). */
int fx_etl_as(struct fx_db *db, const char *login_suffix, char **out, const char *args_fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Runs any shell command line; same returns. */
int fx_shell(char **out, const char *cmd_fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text after a log line's leading ISO 8601 instant in UTC and its
 * space ("2026-01-02T03:04:05.678Z "), or NULL when line does not start so. */
const char *fx_after_stamp(const char *line);

/* Fills the database with the data generator. */
void fx_generate(struct fx_db *db, int users, int days, int seed, const char *end_date);

/*
 * Rows of analytics_snapshots that differ from the query `expected` (same six
 * columns as ref.snapshots_*), counted both ways; prints up to 5 of each
 * side to stderr when they differ.
 */
int64_t fx_snapshot_diff(struct fx_db *db, const char *expected);

/*
 * Runs `devpulse-etl --dsn dbname=<db> ARGS` in the background, polls
 * until_sql (a query on db answering t or f; no double quotes in it) every
 * 20 ms until it answers t, then runs the shell snippet `action` ($pid is the
 * engine's process; ":" for none), and waits for the engine.  Returns its
 * exit status, or -1 when until_sql never answered t within 60 s.
 */
int fx_etl_meanwhile(struct fx_db *db, char **out, const char *until_sql, const char *action,
                     const char *args_fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * For a backfill stopped part way: rows of the subjects that have rows,
 * compared with `expected` restricted to those subjects (0: every subject
 * is complete or absent, never half written).
 */
int64_t fx_partial_diff(struct fx_db *db, const char *expected);

/* For a test that compares with the same expected rows several times (a
 * run stopped, resumed, finished): table expected_snapshots := expected,
 * evaluated once; then compare with FX_EXPECTED_SNAPSHOTS. */
void fx_expect_snapshots(struct fx_db *db, const char *expected);
#define FX_EXPECTED_SNAPSHOTS "TABLE expected_snapshots"

/* Before a run: table expected_goals := ref.goals_after(as_of).  After it:
 * the goals whose computed columns differ from it (0: none). */
void fx_expect_goals(struct fx_db *db, const char *as_of);
int64_t fx_goals_diff(struct fx_db *db);

/* md5 of every goal row, to check that a run changed none. */
char *fx_goals_hash(struct fx_db *db);

/* The directory of the test scripts (tests/), and of the shipped jobs. */
const char *fx_tests_dir(void);

const char *fx_etl_path(void);
/* The data generator (DEVPULSE_GEN). */
const char *fx_gen_path(void);

/* A DATABASE_URL that cannot connect, before a command line: a usage error
 * must come before any connection (one would fail with exit 1). */
#define FX_NOWHERE "DATABASE_URL=postgresql:///nowhere?host=/nonexistent"

#endif
