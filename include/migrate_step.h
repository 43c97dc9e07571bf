/*
 * migrate_step.h: the unit of `migrate`: a change that runs only when a
 * read-only test says it is still to do, and the report of what was (or,
 * with --check, would be) done.  Every migrate_*.c file makes its changes
 * through these, so that --check, which only runs the tests, lists exactly
 * what a run would do.
 */
#ifndef MIGRATE_STEP_H
#define MIGRATE_STEP_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "etl_error.h"
#include "migrate.h"
#include "strbuf.h"

/* One `migrate` run, as every step sees it. */
struct migrate_run {
    PGconn *conn;
    bool check;                 /* --check: tests only; changes are reported, not made */
    struct migrate_report *report;
    struct etl_error *err;
    PGresult *recorded;         /* the ledger's names; NULL: a new ledger, or none (migrate.c) */
    bool indexes_pending;       /* to build concurrently after the commit (migrate_indexes.c) */
    uint64_t checks_added;      /* bit i: migrate_checks.c's check i was added NOT VALID,
                                 * to validate after the commit */
};

/* *todo = cond, a read-only SQL boolean (NULL counts as false); what
 * names the step in the error's context. */
int migrate_step_todo(struct migrate_run *m, const char *what, const char *cond, bool *todo);

/*
 * The tests of a group of steps none of which changes another's test, in
 * one round trip: _add each cond in order, then _run sets todo[i] as
 * migrate_step_todo would for the i-th, and empties the group.
 */
struct migrate_tests {
    struct strbuf sql;
    int n;
};
void migrate_tests_init(struct migrate_tests *t);
void migrate_tests_add(struct migrate_tests *t, const char *cond);
int migrate_tests_run(struct migrate_run *m, struct migrate_tests *t, const char *what,
                      bool *todo);

/* Runs sql (not with check) and reports what in m->report->changes. */
int migrate_step_change(struct migrate_run *m, const char *what, const char *sql);

/* Both: the change when cond holds. */
int migrate_step(struct migrate_run *m, const char *what, const char *cond, const char *sql);

/* Appends a formatted item to one of m->report's lists. */
int migrate_step_note(struct migrate_run *m, struct migrate_list *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees a list's items; it is empty after. */
void migrate_step_list_term(struct migrate_list *l);

#endif
