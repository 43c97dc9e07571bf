/*
 * status.h: `devpulse-etl status`, the state of the engine on one database,
 * read from the ledger: what runs now, the last run of each command and
 * shard, the last failures, and how fresh the snapshots are.
 *
 * Works for the engine's role and for a monitoring login in the role
 * devpulse_etl_monitor (sql/004_operations.sql), which reads the ledger and
 * the counts of devpulse_etl.freshness() and nothing else.
 */
#ifndef STATUS_H
#define STATUS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "etl_error.h"

/* How many of the latest runs that did not succeed the document lists. */
#define STATUS_FAILURES 5

/*
 * The status as one JSON object (README, "Operating it", lists its keys);
 * as_of: the instant whose cutoff days freshness compares with (NULL: the
 * server's now()), as --as-of text.  *out is the caller's (json_decref).
 */
int status_read(PGconn *conn, const char *as_of, json_t **out, struct etl_error *err);

/* The end of the last run of command and shard ("K/N") that succeeded, in
 * Unix seconds; *found false when there is none in the ledger. */
int status_last_success(PGconn *conn, const char *command, const char *shard, double *at,
                        bool *found, struct etl_error *err);

#endif
