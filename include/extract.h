/*
 * extract.h: PostgreSQL -> typed rows (struct source).
 *
 * extract_begin opens the run's read snapshot on the main connection and reads
 * the small tables (source.h); extract_bulk streams the five platform tables
 * (bulk.h) with COPY ... TO STDOUT (FORMAT binary) over several connections
 * that share that snapshot, so every table is read as of the same instant.
 * When they do not fit in memory, their rows go to spill files (spill.h) and
 * extract_load_part brings back one partition of subjects at a time.
 */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulk.h"
#include "etl_error.h"
#include "model.h"
#include "source.h"
#include "spill.h"

struct extract_stats {
    size_t rows_read[BULK_N_TABLES];   /* by enum bulk_table */
    size_t rows_kept[BULK_N_TABLES];   /* of those, rows of connections in some scope */
    size_t bytes;
    int partitions;            /* the source was split in this many (1: held whole) */
};

/* Replaces src's bulk tables with the rows of partition part (once each). */
int extract_load_part(struct spill_router *r, int part, struct source *src,
                      struct etl_error *err);

/* Bytes the decoded source rows may take, from the tables' sizes (an upper
 * bound good enough to choose the number of partitions). */
int extract_estimate_bytes(PGconn *conn, size_t *bytes, struct etl_error *err);

/*
 * Begins a REPEATABLE READ READ ONLY transaction on conn, exports its snapshot
 * (into snapshot_id, 64 bytes) and reads profiles, workspaces, members,
 * connections, monitors, goals and pg_timezone_names into src.
 */
int extract_begin(PGconn *conn, struct source *src, char *snapshot_id, struct etl_error *err);

/*
 * Streams the platform tables into src (or, with a router, into its spill
 * files), keeping the rows of connections with wanted[conn] set.  Uses
 * `workers` connections (made from dsn as db_connect does) that import
 * snapshot_id.  Ends the main connection's transaction and frees
 * src->connection_index (rows name connections by number from then on).
 */
int extract_bulk(PGconn *conn, const char *dsn, const char *snapshot_id, int workers,
                 const bool *wanted, struct spill_router *router, struct source *src,
                 struct extract_stats *stats, struct etl_error *err);

#endif
