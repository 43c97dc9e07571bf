/*
 * ledger.h: the run ledger devpulse_etl.runs (sql/002_run_ledger.sql).
 *
 * Every statement here runs on the caller's connection.  ledger_open,
 * ledger_find_resumable and ledger_close run outside any transaction (they
 * commit at once); ledger_progress runs inside the caller's write transaction,
 * so that progress and the rows it describes commit together.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl_error.h"
#include "uuid.h"

/* The position of a backfill: every subject up to and including last is done. */
struct ledger_position {
    int32_t subjects_done;
    bool has_last;
    bool last_is_workspace;
    struct uuid last_id;
};

/* What a new ledger row says about its run. */
struct ledger_entry {
    const char *command;        /* "nightly", "backfill", "goals" */
    const char *shard;          /* "K/N"; "1/1" when not sharded */
    bool has_as_of;
    int64_t as_of;              /* instant; else the server's now() */
    int lookback;               /* nightly, else 0 */
    bool has_range;
    int32_t from, to;           /* backfill */
    bool overwrite, dry_run;
    int64_t resumes;            /* the run this one continues, 0 none */
    bool resume;                /* ledger_record_unlocked: --resume, its run not yet found */
    struct ledger_position start;
    const char *version;        /* the engine's build (--version), may be NULL */
};

struct ledger_counts {
    int64_t rows_read, rows_written, goals_updated, warnings;
    int attempts;
};

/*
 * Called with the run lock held: marks the runs of this shard (or unsharded)
 * still 'running' as failed, since their process is gone (own_run, this run's
 * own row on a retry, excepted), and deletes ended runs older than keep_days.
 */
int ledger_recover(PGconn *conn, const char *shard, int64_t own_run, int keep_days,
                   struct etl_error *err);

/* Inserts this run as 'running'; sets *run_id and *as_of (the run's as-of
 * instant: e->as_of, else the server's now()). */
int ledger_open(PGconn *conn, const struct ledger_entry *e, int64_t *run_id, int64_t *as_of,
                struct etl_error *err);

/*
 * A run that ended before it held the lock and opened its row: refused by
 * the lock ("skipped", blocked_by the run holding it by the ledger, 0 when
 * unknown), or "failed" or "cancelled" before.  Inserted already ended, with
 * held_lock false (never resumed), started `elapsed` seconds ago; as_of is
 * NULL unless e->has_as_of.
 */
int ledger_record_unlocked(PGconn *conn, const struct ledger_entry *e, const char *status,
                           const char *error, double elapsed, int64_t blocked_by,
                           int64_t *run_id, struct etl_error *err);

/* A retry of run_id: back to 'running', with its attempt count. */
int ledger_reattach(PGconn *conn, int64_t run_id, int attempts, struct etl_error *err);

/* A backfill that can be continued. */
struct ledger_resumable {
    int64_t run_id;             /* 0: none */
    char status[16];            /* of the latest matching backfill */
    int32_t from, to;
    bool overwrite;
    int64_t as_of;
    struct ledger_position position;
};

/*
 * With has_range: the latest non-dry-run backfill of this shard with that
 * range and overwrite flag.  Without: the latest one that failed or was
 * cancelled and that no later run resumed.  out->run_id is 0 when there is
 * none or when it succeeded (out->status says which, "" for none).  Runs
 * that never held the lock (ledger_record_unlocked) do not count.  Call it
 * after ledger_recover.
 */
int ledger_find_resumable(PGconn *conn, const char *shard, bool has_range, int32_t from,
                          int32_t to, bool overwrite, struct ledger_resumable *out,
                          struct etl_error *err);

/* How many subjects the run has to do, once it knows (outside any
 * transaction, so that `status` sees it while the run works). */
int ledger_plan(PGconn *conn, int64_t run_id, int32_t subjects_total, struct etl_error *err);

int ledger_progress(PGconn *conn, int64_t run_id, const struct ledger_position *pos,
                    const struct ledger_counts *counts, struct etl_error *err);

/* status: "succeeded", "failed" or "cancelled"; error may be NULL (stored
 * with bytes that are not UTF-8 escaped, utf8.h). */
int ledger_close(PGconn *conn, int64_t run_id, const char *status, const char *error,
                 const struct ledger_counts *counts, struct etl_error *err);

/*
 * Who holds the run lock by the ledger, for the message of a run refused
 * by it: the latest run still 'running' among those that can hold it for
 * shard ("K/N", or "1/1": any).  Sets *run_id and writes
 * " (by the ledger, run ID, COMMAND[ shard K/N], started ... on HOST, pid PID)"
 * into buf; when there is none or the query fails, buf is "" and *run_id
 * stays as it was.
 */
void ledger_describe_holder(PGconn *conn, const char *shard, int64_t *run_id, char *buf,
                            size_t size);

#endif
