/*
 * migrate_step.c: a step of `migrate`: a read-only test, then a change.
 *
 * Entry points: migrate_step, migrate_step_todo, migrate_step_change,
 * migrate_tests_* (a group's tests in one round trip), migrate_step_note,
 * migrate_step_list_term.
 *
 * Invariant: the tests (migrate_step_todo, migrate_tests_run) are read-only, and with --check
 * nothing else runs: migrate_step_change then reports the line a run would
 * and executes nothing (the few statements made outside it, such as the
 * ledger's INSERT, test m->check themselves).  So --check changes nothing
 * and the engine's own login may run it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate_step.h"

int
migrate_step_note(struct migrate_run *m, struct migrate_list *l, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int len;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof *items);

        if (items == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        l->items = items;
        l->cap = cap;
    }
    va_start(ap, fmt);
    len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0)
        return etl_fail(m->err, "migrate: out of memory");
    l->items[l->n++] = s;
    return 0;
}

void
migrate_step_list_term(struct migrate_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void
migrate_tests_init(struct migrate_tests *t)
{
    strbuf_init(&t->sql);
    t->n = 0;
}

void
migrate_tests_add(struct migrate_tests *t, const char *cond)
{
    strbuf_puts(&t->sql, t->n++ ? ", coalesce((" : "SELECT coalesce((");
    strbuf_puts(&t->sql, cond);
    strbuf_puts(&t->sql, ")::bool, false)");
}

int
migrate_tests_run(struct migrate_run *m, struct migrate_tests *t, const char *what, bool *todo)
{
    char context[256];
    PGresult *res;
    int rc = -1;

    if (t->n == 0) {
        rc = 0;
        goto out_term;
    }
    if (t->sql.failed) {
        etl_fail(m->err, "migrate: out of memory");
        goto out_term;
    }
    snprintf(context, sizeof context, "migrate: checking whether to %s", what);
    res = db_query(m->conn, context, t->sql.data, 0, NULL, PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        goto out_term;
    for (int i = 0; i < t->n; i++)
        todo[i] = PQgetvalue(res, 0, i)[0] == 't';
    PQclear(res);
    rc = 0;

out_term:
    strbuf_term(&t->sql);
    t->n = 0;
    return rc;
}

int
migrate_step_todo(struct migrate_run *m, const char *what, const char *cond, bool *todo)
{
    struct migrate_tests t;

    migrate_tests_init(&t);
    migrate_tests_add(&t, cond);
    return migrate_tests_run(m, &t, what, todo);
}

int
migrate_step_change(struct migrate_run *m, const char *what, const char *sql)
{
    char context[256];

    if (!m->check) {
        snprintf(context, sizeof context, "migrate: %s failed", what);
        if (db_exec(m->conn, context, sql, m->err) < 0)
            return -1;
    }
    return migrate_step_note(m, &m->report->changes, "%s", what);
}

int
migrate_step(struct migrate_run *m, const char *what, const char *cond, const char *sql)
{
    bool todo;

    if (migrate_step_todo(m, what, cond, &todo) < 0)
        return -1;
    return todo ? migrate_step_change(m, what, sql) : 0;
}
