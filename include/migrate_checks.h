/*
 * migrate_checks.h: the CHECK constraints `migrate` adds where the seed
 * fixes a set of values or a sign (devpulse_etl_<column>_check).
 */
#ifndef MIGRATE_CHECKS_H
#define MIGRATE_CHECKS_H

#include "migrate_step.h"

/* In migrate's transaction: adds NOT VALID each check a table lacks (one
 * that exists with the column and no equivalent check, or one sql/ creates
 * in this run), and marks it in m->checks_added. */
int migrate_checks_add(struct migrate_run *m);

/* After the commit: validates each check added, on its own; where rows
 * break one, it stays NOT VALID and m->report->notices says so. */
int migrate_checks_validate(struct migrate_run *m);

#endif
