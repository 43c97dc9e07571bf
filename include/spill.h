/*
 * spill.h: source rows parked on disk by partition of subjects.
 *
 * When the source rows do not fit in memory at once, the subjects are split
 * into partitions (plan.c), and extract_bulk writes each row to the spill file
 * (an unlinked temporary file in $TMPDIR) of every partition whose subjects
 * cover its connection; extract_load_part then reads one partition back.
 * Rows are opaque here: fixed-size records of a numbered table, each
 * starting with its connection number (int32).
 */
#ifndef SPILL_H
#define SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "etl_error.h"

struct spill_router {
    int n_parts;
    size_t *off;               /* connection c goes to parts[off[c] .. off[c + 1]) */
    int32_t *parts;
    FILE **files;              /* per partition; NULL once dropped */
};

/* The most partitions a run may have: one file is open per partition, and
 * they stay well inside the open-file limit (half of it, at most 4096). */
int spill_max_parts(void);

/* Builds the router from n_pairs (connection, partition) pairs, unique, and
 * creates one spill file per partition. */
int spill_router_init(struct spill_router *r, int n_parts, int32_t n_conns,
                      const int32_t *pair_conn, const int32_t *pair_part, size_t n_pairs,
                      struct etl_error *err);
void spill_router_term(struct spill_router *r);

/*
 * Appends n rows of table `table` (row_size bytes each) to the file of every
 * partition that needs each of them.  Safe to call from several threads at
 * once: the writing is serialised, so one call's rows form one block per file.
 */
int spill_write(struct spill_router *r, int table, const char *rows, size_t n,
                size_t row_size, struct etl_error *err);

/* Receives rows of one table, a piece at a time; -1 rejects them. */
typedef int spill_visit_fn(void *ctx, int table, const char *rows, size_t n, size_t row_size);

/* Hands every row of partition part to visit, in the order written; may be
 * called again for the same partition until spill_drop. */
int spill_scan(struct spill_router *r, int part, spill_visit_fn *visit, void *ctx,
               struct etl_error *err);

/* Closes partition part's file: its disk space goes back at once. */
void spill_drop(struct spill_router *r, int part);

#endif
