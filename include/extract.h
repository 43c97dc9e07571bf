/*
 * extract.h: PostgreSQL -> typed rows (struct source).
 *
 * extract_begin opens the run's read snapshot on the main connection and reads
 * the small tables; extract_bulk streams the five platform tables with
 * COPY ... TO STDOUT (FORMAT binary) over several connections that share that
 * snapshot, so every table is read as of the same instant.
 */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "etl_error.h"
#include "model.h"

struct extract_stats {
    size_t rows_read[5];       /* contributions, channel stats, repositories, videos, articles */
    size_t rows_kept[5];       /* of those, rows of connections in some scope */
    size_t bytes;
    int partitions;            /* the source was split in this many (1: held whole) */
};

/*
 * When the source rows do not fit in memory at once, the subjects are split
 * into partitions, and extract_bulk writes each row to a spill file (an
 * unlinked temporary file in $TMPDIR) of every partition whose subjects
 * cover its connection; extract_load_part then reads one partition back.
 */
struct extract_router {
    int n_parts;
    size_t *off;               /* connection c goes to parts[off[c] .. off[c + 1]) */
    int32_t *parts;
    FILE **files;              /* per partition; NULL once read */
};

/* Builds the router from n_pairs (connection, partition) pairs, unique. */
int extract_router_init(struct extract_router *r, int n_parts, int32_t n_conns,
                        const int32_t *pair_conn, const int32_t *pair_part, size_t n_pairs,
                        struct etl_error *err);
void extract_router_term(struct extract_router *r);

/* Replaces src's bulk tables with the rows of partition part (once each). */
int extract_load_part(struct extract_router *r, int part, struct source *src,
                      struct etl_error *err);

/* Bytes the decoded source rows may take, from the tables' sizes (an upper
 * bound good enough to choose the number of partitions). */
int extract_estimate_bytes(PGconn *conn, size_t *bytes, struct etl_error *err);

extern const char *const extract_table_names[5];

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
                 const bool *wanted, struct extract_router *router, struct source *src,
                 struct extract_stats *stats, struct etl_error *err);

/* The earliest finite day of any bulk row, after extract_bulk (a day before
 * the earliest instant's UTC date, which no zone's local date precedes by
 * more): no cell is needed before it. */
int32_t source_min_day(const struct source *src);
/* The latest finite day of any bulk row, the same way (a day after the
 * latest instant's UTC date); DAY_NEG_INF when there is none. */
int32_t source_max_day(const struct source *src);

void source_term(struct source *src);

/* --- the binary COPY decoder, public for its tests --- */

struct copy_field {
    const unsigned char *p;
    int32_t len;               /* -1 for NULL */
};

struct copy_decoder {
    bool header_done;
    bool trailer_seen;
};

/*
 * Splits one buffer from PQgetCopyData (one tuple, the first one preceded by
 * the file header, or the trailer) into at most max fields.  Returns the
 * number of fields, 0 for the trailer, -1 for malformed input.
 */
int copy_split_tuple(struct copy_decoder *d, const char *buf, size_t len,
                     struct copy_field *fields, int max, struct etl_error *err);

int32_t copy_int2(const struct copy_field *f);
int32_t copy_int4(const struct copy_field *f);
int64_t copy_int8(const struct copy_field *f);
int32_t copy_date(const struct copy_field *f);          /* days since 2000-01-01 */
int64_t copy_timestamptz(const struct copy_field *f);   /* usecs since 2000-01-01 UTC */
bool copy_bool(const struct copy_field *f);
void copy_uuid(const struct copy_field *f, struct uuid *out);

/* Checks that field i has the byte length of its type (-1 allowed when nullable). */
bool copy_field_has_len(const struct copy_field *f, int32_t len, bool nullable);

#endif
