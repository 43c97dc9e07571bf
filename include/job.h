/*
 * job.h: one run of nightly, backfill or goals, from lock to commit.
 */
#ifndef JOB_H
#define JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl_error.h"
#include "extract.h"
#include "load.h"
#include "warnings.h"

enum job_command { JOB_NIGHTLY, JOB_BACKFILL, JOB_GOALS };

enum job_phase { PHASE_EXTRACT, PHASE_AGGREGATE, PHASE_LOAD, PHASE_GOALS, N_PHASES };
extern const char *const job_phase_names[N_PHASES];     /* "extract", ... */

/* What a run tells its caller while it works (the library never prints). */
enum job_event {
    JOB_EVENT_WAITING,      /* another run holds the lock; waiting for it */
    JOB_EVENT_STARTED,      /* lock held, ledger row written; run_id known */
    JOB_EVENT_EXTRACTED,    /* source read; subjects and batches known */
    JOB_EVENT_BATCH,        /* one batch of subjects done (committed for backfill) */
    JOB_EVENT_RETRY,        /* an attempt failed in a way worth retrying */
};

struct job_progress {
    enum job_event event;
    int64_t run_id;
    int64_t resumes;            /* the run a resumed backfill continues, 0 none */
    int batches_done, batches_total;
    int32_t subjects_done, subjects_total;
    size_t rows_staged;         /* snapshot rows computed so far */
    double elapsed;             /* seconds since the run started */
    int attempt;                /* JOB_EVENT_RETRY: the attempt about to start */
    double retry_in;            /* JOB_EVENT_RETRY: seconds until then */
    const char *detail;         /* JOB_EVENT_RETRY: why the last attempt failed */
};

typedef void job_progress_fn(const struct job_progress *p, void *arg);

/* The defaults of the run's options, named once: job.c applies them and
 * the usage text prints them (JOB_STR spells one as a string literal). */
#define JOB_DEFAULT_LOOKBACK 3      /* nightly: days */
#define JOB_DEFAULT_RETRIES 3
#define JOB_DEFAULT_LOADERS 2       /* backfill: connections writing batches */
#define JOB_DEFAULT_BATCH_MB 256    /* --batch-memory */
#define JOB_DEFAULT_KEEP_DAYS 90    /* ledger rows kept */
#define JOB_STR_(x) #x
#define JOB_STR(x) JOB_STR_(x)

struct job_options {
    enum job_command command;
    const char *dsn;            /* NULL: $DATABASE_URL or libpq's PG* variables */
    const char *source_dsn;     /* a read replica to read the source from; NULL: dsn */
    bool has_as_of;
    int64_t as_of;              /* instant; default: the server's now() */
    int lookback;               /* nightly: days, >= 1 */
    bool has_range;
    int32_t from, to;           /* backfill: days, from <= to */
    bool overwrite, dry_run;    /* backfill */
    bool resume;                /* backfill: continue the last unfinished one */
    int workers;                /* connections reading the source; 0: one per core */
    int loaders;                /* backfill: connections writing batches; 0: default */
    size_t batch_bytes;         /* memory for one batch of subjects; 0: default */
    double wait_seconds;        /* how long to wait for the run lock; 0: not at all */
    int retries;                /* new attempts after a lost connection or serialization failure */
    int keep_days;              /* ledger rows kept; 0: default */
    int shard, shards;          /* this run takes shard `shard` (1-based) of `shards`; 0: all */
    const char *version;        /* the engine's build, recorded in the ledger; may be NULL */
    job_progress_fn *progress;  /* may be NULL */
    void *progress_arg;
};

struct job_report {
    int64_t as_of;
    char shard[24];             /* "K/N", "1/1" when not sharded (as in the ledger) */
    int64_t run_id;             /* the ledger row (also of a run refused by the lock or
                                 * failed before it), 0 when none was written */
    int64_t resumed;            /* backfill --resume: the run continued, 0 none */
    bool nothing_to_resume;     /* backfill --resume found its backfill finished */
    int attempts;
    int signal;                 /* the signal that cancelled the run, or 0 */
    struct extract_stats extract;
    int32_t subjects, subjects_in_shard, subjects_skipped;
    int batches;
    struct load_counts snapshots;
    size_t goals_total, goals_updated, goals_skipped;
    struct warnings warnings;
    double seconds[N_PHASES];
    long peak_rss_kb;
};

/* job_run returns 0, -1 (err set, nothing left half written), JOB_BUSY
 * (another run holds the lock) or JOB_CANCELLED (report->signal says which). */
#define JOB_BUSY (-2)
#define JOB_CANCELLED (-3)

int job_run(const struct job_options *opts, struct job_report *report, struct etl_error *err);
void job_report_term(struct job_report *report);

/*
 * The as-of instants a run accepts: every subject's cutoff day, in any zone,
 * and every bucket a nightly of `lookback` days (0: not a nightly) writes
 * from it must be 0001-01-01 or later, which PostgreSQL's date arithmetic and
 * text formats handle (BC is not taken): the instant is at or after
 * 0001-01-03 00:00 UTC, plus lookback - 1 days for a nightly.  The parser's
 * latest (9999-12-31 23:59:59.999999 at -15:59:59) is fine.  0, or -1 with
 * err saying which bound it passes.
 */
int job_check_as_of(int64_t as_of, int lookback, struct etl_error *err);

#endif
