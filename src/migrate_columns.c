/*
 * migrate_columns.c: `migrate` checks an existing database against what
 * the engine reads and writes, before it changes anything.
 *
 * Entry point: migrate_columns_check.
 *
 * Invariant: read-only, and run first in migrate's transaction: a table of
 * include/schema.h that the app made without a column the engine needs,
 * with another type, or with NULL allowed where the engine relies on NOT
 * NULL, fails the migration with nothing changed.  A table that does not
 * exist yet is not checked: sql/ creates it as the engine needs it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate_columns.h"
#include "pgarray.h"
#include "schema.h"

static bool
type_fits(const char *found, const char *needed)
{
    /* The engine reads text columns as text: varchar does as well. */
    return strcmp(found, needed) == 0 ||
           (strcmp(needed, "text") == 0 && strcmp(found, "character varying") == 0);
}

static const char columns_sql[] =
    "SELECT n.tab, n.col, n.typ, n.nn, c.relkind::text, a.attname IS NOT NULL,"
    "       coalesce(format_type(a.atttypid, NULL), ''), coalesce(a.attnotnull, false)"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[]) WITH ORDINALITY"
    "      AS n(tab, col, typ, nn, ord)"
    " JOIN pg_class c ON c.oid = to_regclass(n.tab)"
    " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = n.col"
    "                          AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY n.ord";

/* Columns of a table the engine inserts into that it cannot leave out. */
static const char unwritten_sql[] =
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
    " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
    " WHERE c.oid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    "   AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''"
    "   AND a.attname <> ALL ($2::text[])"
    " ORDER BY a.attnum";

/* Counts a problem; the first one is the error's text. */
static void
column_problem(int *n, char *first, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
column_problem(int *n, char *first, size_t size, const char *fmt, ...)
{
    va_list ap;

    if ((*n)++ == 0) {
        va_start(ap, fmt);
        vsnprintf(first, size, fmt, ap);
        va_end(ap);
    }
}

/* The unwritten NOT NULL columns of the tables the engine inserts into. */
static int
check_unwritten(struct migrate_run *m, int *problems, char *first, size_t size)
{
    for (int t = 0; t < n_schema_tables; t++) {
        char *cols[64], *list;
        const char *params[2];
        PGresult *res;
        int n = 0;

        if (!schema_tables[t].inserts)
            continue;
        for (int i = 0; i < n_schema_columns && n < 64; i++)
            if (strcmp(schema_columns[i].table, schema_tables[t].name) == 0)
                cols[n++] = (char *) schema_columns[i].column;
        if ((list = pgarray_text(cols, n)) == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        params[0] = schema_tables[t].name;
        params[1] = list;
        res = db_query(m->conn, "migrate: checking the existing tables", unwritten_sql, 2,
                       params, PGRES_TUPLES_OK, m->err);
        free(list);
        if (res == NULL)
            return -1;
        for (int r = 0; r < PQntuples(res); r++)
            column_problem(problems, first, size,
                           "table \"%s\", column \"%s\": found %s NOT NULL without a default,"
                           " needs a default or NULL allowed (the engine inserts rows without it)",
                           PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
        PQclear(res);
    }
    return 0;
}

int
migrate_columns_check(struct migrate_run *m)
{
    char **items = calloc((size_t) n_schema_columns, sizeof *items);
    char *arrays[4] = {NULL, NULL, NULL, NULL};
    const char *params[4];
    char first[512] = "", seen_kind[64] = "";
    PGresult *res = NULL;
    int problems = 0, rc = -1;

    if (items == NULL) {
        etl_fail(m->err, "migrate: out of memory");
        goto out_free;
    }
    /* $1..$4: table, column, type, not_null (bool[] takes "t" and "f"). */
    for (int a = 0; a < 4; a++) {
        for (int i = 0; i < n_schema_columns; i++) {
            const struct schema_column *c = &schema_columns[i];

            items[i] = (char *) (a == 0 ? c->table : a == 1 ? c->column : a == 2 ? c->type
                                 : c->not_null ? "t" : "f");
        }
        if ((arrays[a] = pgarray_text(items, n_schema_columns)) == NULL) {
            etl_fail(m->err, "migrate: out of memory");
            goto out_free;
        }
        params[a] = arrays[a];
    }
    res = db_query(m->conn, "migrate: checking the existing tables", columns_sql, 4, params,
                   PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        goto out_free;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *tab = PQgetvalue(res, r, 0), *col = PQgetvalue(res, r, 1);
        const char *needed = PQgetvalue(res, r, 2), *kind = PQgetvalue(res, r, 4);
        const char *found = PQgetvalue(res, r, 6);
        bool not_null = PQgetvalue(res, r, 3)[0] == 't';

        if (strcmp(kind, "r") != 0 && strcmp(kind, "p") != 0) {
            if (strcmp(seen_kind, tab) != 0)
                column_problem(&problems, first, sizeof first, "table \"%s\": found a relation"
                               " of kind '%s' (not a table), needs a table", tab, kind);
            snprintf(seen_kind, sizeof seen_kind, "%s", tab);
        } else if (PQgetvalue(res, r, 5)[0] != 't') {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " no such column, needs %s%s", tab, col, needed,
                           not_null ? " NOT NULL" : "");
        } else if (!type_fits(found, needed)) {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " %s, needs %s", tab, col, found, needed);
        } else if (not_null && PQgetvalue(res, r, 7)[0] != 't') {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " %s NULL allowed, needs %s NOT NULL (the engine relies on it)",
                           tab, col, found, needed);
        }
    }
    if (check_unwritten(m, &problems, first, sizeof first) < 0)
        goto out_free;
    if (problems > 1)
        rc = etl_fail(m->err, "%s (and %d more problem%s); nothing was changed", first,
                      problems - 1, problems > 2 ? "s" : "");
    else if (problems == 1)
        rc = etl_fail(m->err, "%s; nothing was changed", first);
    else
        rc = 0;

out_free:
    PQclear(res);
    for (int i = 0; i < 4; i++)
        free(arrays[i]);
    free(items);
    return rc;
}
