/*
 * run.h: the state of one run, shared by job.c (its life: attempts, lock,
 * ledger, read, finish) and batch.c (its batches).  Private to src/: callers
 * outside the engine use job.h.
 *
 * A run is one or more attempts (job_run).  struct job_state lives across
 * them: what the run has committed so far and which ledger row is its own.
 * struct run lives for one attempt: its connections, what it read, its plan.
 */
#ifndef RUN_H
#define RUN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "extract.h"
#include "job.h"
#include "ledger.h"
#include "load.h"
#include "metrics.h"
#include "pipeline.h"
#include "plan.h"
#include "runlock.h"
#include "scope.h"
#include "spill.h"
#include "strbuf.h"
#include "tz.h"

/* What survives from one attempt to the next. */
struct job_state {
    struct job_options opts;    /* the caller's, with --resume's range filled in */
    struct job_report *report;
    char shard[24];             /* "K/N" */
    int attempt;                /* 1-based */
    int64_t run_id;
    int64_t as_of;
    struct ledger_position done;    /* backfill: subjects committed so far */
    struct load_counts committed;   /* backfill: counts of the committed batches */
    int batches_committed;
    double started;
    bool connected;             /* this attempt got its connection to the database */
    char session[RUNLOCK_SESSION_LEN];  /* the session that held the lock (runlock.h) */
    int64_t blocked_by;         /* refused by the lock: the holder's run, by the ledger */
    bool ledger_closed;
    bool finished_nothing;      /* --resume: nothing left to do */
};

/* One attempt. */
struct run {
    const struct job_options *opts;
    struct job_state *state;
    struct job_report *report;
    PGconn *conn;               /* lock, ledger, writes */
    PGconn *reader;             /* reads the source: conn, or --source-dsn's */
    struct source src;
    struct scope scope;
    struct tz_table zones;
    struct plan plan;           /* subjects, partitions, cutoffs, buckets (plan.h) */
    struct spill_router router; /* when the source is split: its partitions on disk */
    struct pipeline *pipe;      /* backfill with several loaders, while batches run */
    int batches_total;
    struct row_ids ids;
    uint64_t next_seq;
    struct strbuf goal_lines;   /* goal id, tab, value: applied at the end */
    bool in_write_txn;
    bool direct_copy;           /* kept rows may be COPYed into the table */
    struct load_pending pending;    /* one connection: the batch the server is writing */
};

/* job.c: a monotonic clock, in seconds. */
double job_now(void);

/* job.c: tells the caller (opts->progress) how the run goes. */
void job_tell(struct run *run, enum job_event event, int32_t subjects_done, int batches_total);

/* job.c: the ledger's counts of what the run has done so far. */
struct ledger_counts job_ledger_counts(const struct job_state *st);

/* job.c: the same, counting only what is committed (backfill's finished
 * batches): what a failed run keeps, and what the loaders count on from. */
struct ledger_counts job_committed_counts(const struct job_state *st);

/* batch.c: opens the write transaction (and the loader's staging). */
int batch_begin_write(struct run *run, struct etl_error *err);

/* batch.c: commits the write transaction. */
int batch_commit_write(struct run *run, struct etl_error *err);

/*
 * batch.c: the batches, partition by partition: aggregate, format, load;
 * goals from the same cells.  A backfill commits each batch with its
 * position in the ledger; nightly and goals leave the transaction open for
 * job.c's finish.
 */
int batch_run_all(struct run *run, struct etl_error *err);

#endif
