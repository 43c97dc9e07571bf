/*
 * promfile.h: a run's figures in the Prometheus text exposition format, for
 * node_exporter's textfile collector (--metrics-file PATH).
 *
 * Every sample is a gauge: the file holds the last run of one command and
 * shard, and is replaced whole by the next (see the README's "Operating it").
 */
#ifndef PROMFILE_H
#define PROMFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "etl_error.h"
#include "job.h"
#include "strbuf.h"

struct promfile_run {
    const char *command;        /* "nightly", "backfill", "goals" */
    const char *shard;          /* "K/N" */
    const char *version;        /* the engine's build */
    const char *outcome;        /* one of promfile_outcomes */
    int exit_status;
    double start, end;          /* Unix seconds */
    const struct job_report *report;
    int64_t rows_written;       /* committed snapshot rows inserted or replaced */
    int64_t goals_updated;      /* committed goal updates */
    bool has_last_success;
    double last_success;        /* Unix seconds: the ledger's last success of command and shard */
};

#define PROMFILE_OUTCOMES 4
extern const char *const promfile_outcomes[PROMFILE_OUTCOMES];   /* succeeded, failed, ... */

/* Appends the text of the file to out (out->failed on out of memory). */
void promfile_format(const struct promfile_run *run, struct strbuf *out);

/* Writes text to path through a temporary file in the same directory and a
 * rename, so a reader sees the old file or the new one, never half of one;
 * mode 0644 whatever the umask (node_exporter runs as another user). */
int promfile_write(const char *path, const char *text, size_t len, struct etl_error *err);

#endif
