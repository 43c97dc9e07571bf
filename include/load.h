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
    size_t copied;            /* of inserted, rows COPYed straight into the table */
};

/* Adds the counts of c to those of to. */
void load_counts_add(struct load_counts *to, const struct load_counts *c);

/* Creates the session's temporary staging tables (once per session) and
 * finds out whether COPY may write analytics_snapshots directly (it may not
 * under row level security). */
int load_prepare(PGconn *conn, bool *direct_copy, struct etl_error *err);

/* One batch of snapshot rows: COPY text lines (7 columns, see
 * metrics_format_rows) subject by subject, and what they are. */
struct load_batch {
    const struct strbuf *const *bufs;
    size_t n_bufs;
    size_t rows;
    size_t by_kind[4][3];
    /* The keys the rows can have: PostgreSQL array literals of the personal
     * subjects' profile ids and the workspace subjects' ids, and the range
     * of their snapshot dates (YYYY-MM-DD). */
    const char *personal_ids, *workspace_ids;
    const char *first_date, *last_date;
    bool direct_copy;           /* load_prepare said COPY may write the table */
};

/*
 * Writes the batch into analytics_snapshots as mode says (or, with dry_run,
 * only counts what that would do) and adds to counts.  LOAD_KEEP on keys
 * that hold no row yet (a first backfill) COPYs straight into the table;
 * everything else goes through the stage and one upsert per unique index.
 */
int load_snapshots(PGconn *conn, const struct load_batch *batch, enum load_mode mode,
                   bool dry_run, struct load_counts *counts, struct etl_error *err);

/* A batch whose upserts were sent and whose outcome is not read yet. */
struct load_pending {
    bool active;
    enum load_mode mode;
    size_t rows;
};

/*
 * load_snapshots in two halves, so that the caller can compute its next
 * batch while the server writes this one.  load_snapshots_send stages the
 * rows and sends the upserts without waiting for them (a batch written some
 * other way leaves nothing pending); load_snapshots_wait reads their outcome
 * into counts, and returns 0 at once when nothing is pending.  In between,
 * nothing else may use the connection: after a failure elsewhere, call
 * load_snapshots_abandon (it cancels the batch and reads every result)
 * before rolling back.  When load_snapshots_send fails, nothing is pending.
 */
int load_snapshots_send(PGconn *conn, const struct load_batch *batch, enum load_mode mode,
                        bool dry_run, struct load_counts *counts,
                        struct load_pending *pending, struct etl_error *err);
int load_snapshots_wait(PGconn *conn, struct load_pending *pending,
                        struct load_counts *counts, struct etl_error *err);
void load_snapshots_abandon(PGconn *conn, struct load_pending *pending);

/*
 * Stages goal values (lines "goal_id\tcurrent_value\n") and applies SPEC.md
 * section 7's achievement rules in one UPDATE; *updated is the number of goal
 * rows written (only those whose values change).  as_of is a timestamptz text.
 */
int load_apply_goals(PGconn *conn, const struct strbuf *lines, const char *as_of,
                     size_t *updated, struct etl_error *err);

#endif
