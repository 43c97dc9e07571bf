/*
 * spec_fixture.h: what the tests of SPEC.md rule by rule (tests/test_spec_*.c,
 * one file per SPEC section) share: ids, subjects, inserting rows, running
 * devpulse-etl, comparing rows.
 *
 * Every test inserts a few profiles, connections, monitors and rows, runs
 * devpulse-etl, and compares single snapshot rows and goal values with values
 * computed by hand from SPEC.md (the arithmetic is in the comment next to each
 * expectation).  No expected value was taken from the engine's output.
 *
 * Expected metrics are written as jsonb with only the non-zero keys:
 * expect_metrics() fills every other key of each named platform with 0, so
 * the comparison is still of the whole document (a missing or extra key, or a
 * missing or extra platform object, fails).
 */
#ifndef SPEC_FIXTURE_H
#define SPEC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"

/* Ids: profiles, connections, workspaces, goals, monitors (n: two digits). */
#define PID(n) "00000000-0000-0000-0000-0000000001" #n
#define CID(n) "00000000-0000-0000-0000-0000000002" #n
#define WID(n) "00000000-0000-0000-0000-0000000003" #n
#define GID(n) "00000000-0000-0000-0000-0000000004" #n
#define MID(n) "00000000-0000-0000-0000-0000000005" #n

/* Which snapshot rows: a personal subject or a workspace subject. */
#define PERSONAL(p) "workspace_id IS NULL AND user_id = '" p "'"
#define WORKSPACE(w) "workspace_id = '" w "'"
#define P1 PERSONAL(PID(01))     /* the first profile's own rows, in most tests the only subject */
#define W1 WORKSPACE(WID(01))

/* "%s%s%s" of a nullable SQL literal: 'text' or NULL. */
#define LIT(s) (s) ? "'" : "", (s) ? (s) : "NULL", (s) ? "'" : ""

#define AS_OF "2025-01-10T12:00:00Z"     /* cutoff 2025-01-09 in UTC and Europe/Berlin */

void sqlf(struct fx_db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

char *textf(struct fx_db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs devpulse-etl; asserts exit 0; returns its output (malloc'd). */
char *etl_ok(struct fx_db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A profile; tz is the timezone text or NULL for SQL NULL. */
void add_user(struct fx_db *db, const char *id, const char *tz);

void add_conn(struct fx_db *db, const char *id, const char *user, const char *platform, bool active);

/* A monitor; id, ws and resource may be NULL. */
void add_monitor(struct fx_db *db, const char *id, const char *user, const char *ws,
                 const char *platform, const char *conn, const char *type, const char *resource,
                 bool active);

/* A profile with one connection on platform and one live 'all' monitor on it. */
void add_user_on(struct fx_db *db, const char *user, const char *tz, const char *conn,
                 const char *platform);

void add_contrib(struct fx_db *db, const char *conn, const char *date, int commits, int prs,
                 int issues, int repos);

/* commits_count = day of month for every day of [from, to]. */
void add_commits_by_day(struct fx_db *db, const char *conn, const char *from, const char *to);

/* commits_count = 1 for every day of [from, to]. */
void add_one_commit_a_day(struct fx_db *db, const char *conn, const char *from, const char *to);

void add_repo(struct fx_db *db, const char *conn, long long repo_id, const char *created,
              int stars, int forks, int watchers, int open_issues);

void add_stats(struct fx_db *db, const char *conn, const char *date, long long subs, long long views);

void add_video(struct fx_db *db, const char *conn, const char *published, int likes, int comments);

/* published NULL: a draft. */
void add_article(struct fx_db *db, const char *conn, const char *published, int views,
                 int reactions, int comments);

/*
 * The row (subject, platform, type, date) exists once and its metrics equal
 * want, where each platform object of want is completed with zeros.
 */
void expect_metrics(struct fx_db *db, const char *subject, const char *platform, const char *type,
                    const char *date, const char *want);

/* One expected row: expect_metrics's arguments. */
struct row_want {
    const char *subject, *platform, *type, *date, *metrics;
};

void expect_rows(struct fx_db *db, const struct row_want *rows, int n);

/* The snapshot_dates of a subject's rows of one platform and type, "d1 d2 ..." ("" for none). */
void expect_dates(struct fx_db *db, const char *subject, const char *platform, const char *type,
                  const char *want);

int64_t count_rows(struct fx_db *db, const char *subject);

#endif
