/*
 * migrate_access.h: what the engine's role devpulse_etl may read and write:
 * its grants, and its row level security policies on every table it uses.
 */
#ifndef MIGRATE_ACCESS_H
#define MIGRATE_ACCESS_H

#include "migrate_step.h"

/* Grants the role what it lacks of its privileges (README: "Least
 * privilege"): columns, never more, where the engine reads only some. */
int migrate_access_grants(struct migrate_run *m);

/* Gives the role a policy that shows it every row (include/schema.h's
 * SCHEMA_READ_POLICY or SCHEMA_WRITE_POLICY) on each table of schema.h
 * that has neither it nor the one an earlier version made (engine_all). */
int migrate_access_policies(struct migrate_run *m);

#endif
