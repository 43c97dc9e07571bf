/*
 * migrate_columns.h: whether the tables that exist already fit the engine:
 * each of include/schema.h's columns, its type and its NOT NULL.
 */
#ifndef MIGRATE_COLUMNS_H
#define MIGRATE_COLUMNS_H

#include "migrate_step.h"

/*
 * Every table of schema.h that exists must have the columns the engine
 * reads and writes, of the type it decodes and NOT NULL where it relies on
 * that; a table it inserts into may have no other NOT NULL column without
 * a default.  -1 with one error for all of it: the first mismatch, and how
 * many more.  Read-only.
 */
int migrate_columns_check(struct migrate_run *m);

#endif
