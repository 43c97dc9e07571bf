/*
 * migrate_indexes.h: SPEC.md section 5's two partial unique indexes on
 * analytics_snapshots, in place of the seed's unique index.
 */
#ifndef MIGRATE_INDEXES_H
#define MIGRATE_INDEXES_H

#include "migrate_step.h"

/*
 * "Many" rows: where analytics_snapshots holds more, the unique indexes of
 * SPEC.md section 5 are built with CREATE INDEX CONCURRENTLY, after the
 * rest has committed, so that the app's writes are not blocked for the
 * whole build; else in migrate's transaction (a build of that many rows
 * takes well under a second).
 */
#define MIGRATE_CONCURRENT_ROWS 100000

/*
 * In migrate's transaction: fails, changing nothing, when rows would break
 * the indexes to build (it lists a few); then converts the indexes, or,
 * with more than MIGRATE_CONCURRENT_ROWS rows, sets m->indexes_pending and
 * leaves them to migrate_indexes_concurrently.  With check: reports the
 * conversion.
 */
int migrate_indexes_convert(struct migrate_run *m);

/* After the commit: the same conversion, each statement CONCURRENTLY and
 * committed alone.  A run that fails leaves invalid indexes, which the next
 * run drops before it builds them again. */
int migrate_indexes_concurrently(struct migrate_run *m);

#endif
