/*
 * migrate_step.c: a step of `migrate`: a read-only test, then a change.
 *
 * Entry points: migrate_step, migrate_step_todo, migrate_step_change,
 * migrate_step_note, migrate_step_list_term.
 *
 * Invariant: the tests (migrate_step_todo) are read-only, and with --check
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

int
migrate_step_todo(struct migrate_run *m, const char *what, const char *cond, bool *todo)
{
    char *sql, context[256];
    PGresult *res;

    if (asprintf(&sql, "SELECT coalesce((%s)::bool, false)", cond) < 0)
        return etl_fail(m->err, "migrate: out of memory");
    snprintf(context, sizeof context, "migrate: checking whether to %s", what);
    res = db_query(m->conn, context, sql, 0, NULL, PGRES_TUPLES_OK, m->err);
    free(sql);
    if (res == NULL)
        return -1;
    *todo = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
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
