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

struct job_options {
    enum job_command command;
    const char *dsn;            /* NULL: $DATABASE_URL or libpq's PG* variables */
    bool has_as_of;
    int64_t as_of;              /* instant; default: the server's now() */
    int lookback;               /* nightly: days, >= 1 */
    int32_t from, to;           /* backfill: days, from <= to */
    bool overwrite, dry_run;    /* backfill */
    int workers;                /* connections reading the source; 0: one per core */
    size_t batch_bytes;         /* memory for one batch of subjects; 0: default */
};

enum job_phase { PHASE_EXTRACT, PHASE_AGGREGATE, PHASE_LOAD, PHASE_GOALS, N_PHASES };

struct job_report {
    int64_t as_of;
    struct extract_stats extract;
    int32_t subjects;
    int batches;
    struct load_counts snapshots;
    size_t goals_total, goals_updated, goals_skipped;
    struct warnings warnings;
    double seconds[N_PHASES];
    long peak_rss_kb;
};

/* job_run returns 0, -1 (err set, nothing left half written) or JOB_BUSY. */
#define JOB_BUSY (-2)

int job_run(const struct job_options *opts, struct job_report *report, struct etl_error *err);
void job_report_term(struct job_report *report);

#endif
