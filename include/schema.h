/*
 * schema.h: what the engine needs of the database's tables, named once.
 *
 * The tables it reads or writes, and of each the columns it uses, with the
 * type it decodes them as and whether it relies on them never being NULL.
 * `migrate` checks an existing database against these (an app's own tables
 * must have them), grants and policies follow the tables' access, and every
 * session checks that row level security hides nothing of them (db.c).
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stdbool.h>

enum schema_access {
    SCHEMA_READ,        /* SELECT only: the source tables */
    SCHEMA_WRITE,       /* SELECT and INSERT or UPDATE: analytics_snapshots, goals */
};

struct schema_table {
    const char *name;               /* in the search path, as the engine's queries name it */
    enum schema_access access;
    bool inserts;                   /* rows are inserted (so every NOT NULL column needs a value) */
};

struct schema_column {
    const char *table, *column;
    const char *type;               /* as format_type(type, NULL) prints it */
    bool not_null;                  /* the engine reads it and relies on it never being NULL */
};

extern const struct schema_table schema_tables[];
extern const int n_schema_tables;
extern const struct schema_column schema_columns[];
extern const int n_schema_columns;

/* The policies `migrate` gives the role devpulse_etl on every table above:
 * FOR SELECT USING (true) on a table it reads, FOR ALL USING (true) WITH
 * CHECK (true) on one it writes. */
#define SCHEMA_READ_POLICY "devpulse_etl_read"
#define SCHEMA_WRITE_POLICY "devpulse_etl_write"

#endif
