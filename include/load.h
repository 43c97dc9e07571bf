/*
 * load.h: COPY ... FROM STDIN into staging tables, then one upsert per
 * unique index into analytics_snapshots, and one UPDATE ... FROM for goals.
 *
 * All of it runs inside the caller's transaction: load never commits.
 */
#ifndef LOAD_H
#define LOAD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "etl_error.h"
#include "strbuf.h"

enum load_mode {
    LOAD_REPLACE,     /* nightly, backfill --overwrite: upsert */
    LOAD_KEEP,        /* backfill: existing rows are kept */
};

/* Rows per platform (all, devto, github, youtube) and type (daily, weekly, monthly). */
struct load_counts {
    size_t by_kind[4][3];
    size_t staged, inserted, replaced, unchanged, kept;
};

/* Creates the session's temporary staging tables (once per session). */
int load_prepare(PGconn *conn, struct etl_error *err);

/* Streams COPY text lines (7 columns, see metrics_format_rows) into the stage. */
int load_stage_rows(PGconn *conn, const struct strbuf *const *bufs, size_t n_bufs,
                    struct etl_error *err);

/* Moves the staged rows into analytics_snapshots as mode says (or, with
 * dry_run, only counts what that would do), adds to counts, and empties the
 * stage. */
int load_apply_snapshots(PGconn *conn, enum load_mode mode, bool dry_run,
                         struct load_counts *counts, struct etl_error *err);

/*
 * Stages goal values (lines "goal_id\tcurrent_value\n") and applies SPEC.md
 * section 7's achievement rules in one UPDATE; *updated is the number of goal
 * rows written (only those whose values change).  as_of is a timestamptz text.
 */
int load_apply_goals(PGconn *conn, const struct strbuf *lines, const char *as_of,
                     size_t *updated, struct etl_error *err);

#endif
