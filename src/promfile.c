/*
 * promfile.c: the Prometheus text format of a run (promfile.h).
 *
 * Entry points: promfile_format, promfile_write.  Names follow Prometheus'
 * conventions: the devpulse_etl_ prefix, base units (_seconds, Unix
 * _timestamp_seconds), and no _total, which belongs to counters: each value
 * here is a gauge of one run, replaced by the next run's.  Every sample
 * carries the labels command and shard, so the files of several jobs (one
 * per job, in the collector's directory) never hold the same series twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promfile.h"

const char *const promfile_outcomes[PROMFILE_OUTCOMES] = {"succeeded", "failed", "cancelled", "skipped"};

/* A label value with \, " and newlines escaped, as the format wants. */
static void
put_label_value(struct strbuf *out, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            strbuf_putc(out, '\\');
        if (*v == '\n')
            strbuf_puts(out, "\\n");
        else
            strbuf_putc(out, *v);
    }
}

static void
put_header(struct strbuf *out, const char *name, const char *help)
{
    strbuf_puts(out, "# HELP ");
    strbuf_puts(out, name);
    strbuf_putc(out, ' ');
    strbuf_puts(out, help);
    strbuf_puts(out, "\n# TYPE ");
    strbuf_puts(out, name);
    strbuf_puts(out, " gauge\n");
}

/* name{command="..",shard=".."[,key="value"]} value */
static void
put_sample(struct strbuf *out, const struct promfile_run *run, const char *name,
           const char *key, const char *value, const char *number)
{
    strbuf_puts(out, name);
    strbuf_puts(out, "{command=\"");
    put_label_value(out, run->command);
    strbuf_puts(out, "\",shard=\"");
    put_label_value(out, run->shard);
    if (key != NULL) {
        strbuf_puts(out, "\",");
        strbuf_puts(out, key);
        strbuf_puts(out, "=\"");
        put_label_value(out, value);
    }
    strbuf_puts(out, "\"} ");
    strbuf_puts(out, number);
    strbuf_putc(out, '\n');
}

/* Seconds, to the microsecond (the ledger's precision). */
static void
put_seconds(struct strbuf *out, const struct promfile_run *run, const char *name, const char *help,
            double v)
{
    char number[64];

    snprintf(number, sizeof number, "%.6f", v);
    put_header(out, name, help);
    put_sample(out, run, name, NULL, NULL, number);
}

static void
put_count(struct strbuf *out, const struct promfile_run *run, const char *name, const char *help,
          int64_t v)
{
    char number[32];

    snprintf(number, sizeof number, "%lld", (long long) v);
    put_header(out, name, help);
    put_sample(out, run, name, NULL, NULL, number);
}

void
promfile_format(const struct promfile_run *run, struct strbuf *out)
{
    const struct job_report *r = run->report;
    char number[32];

    put_header(out, "devpulse_etl_last_run_info", "The engine's build that ran the last run (value 1).");
    put_sample(out, run, "devpulse_etl_last_run_info", "version", run->version, "1");
    put_header(out, "devpulse_etl_last_run_outcome",
               "1 for the outcome of the last run, 0 for the others.");
    for (int i = 0; i < PROMFILE_OUTCOMES; i++)
        put_sample(out, run, "devpulse_etl_last_run_outcome", "outcome", promfile_outcomes[i],
                   strcmp(run->outcome, promfile_outcomes[i]) == 0 ? "1" : "0");
    put_count(out, run, "devpulse_etl_last_run_exit_status",
              "Exit status of the last run (0 ok, 1 failed, 3 lock held, 130/143 signal).",
              run->exit_status);
    put_count(out, run, "devpulse_etl_last_run_id", "Ledger id of the last run (0: none recorded).",
              r->run_id);
    put_seconds(out, run, "devpulse_etl_last_run_start_timestamp_seconds",
                "Unix time the last run started.", run->start);
    put_seconds(out, run, "devpulse_etl_last_run_end_timestamp_seconds",
                "Unix time the last run ended.", run->end);
    put_seconds(out, run, "devpulse_etl_last_run_duration_seconds",
                "Wall time of the last run.", run->end - run->start);
    put_header(out, "devpulse_etl_last_run_phase_seconds",
               "Time the last run spent in each phase (aggregate overlaps load in a backfill).");
    for (int p = 0; p < N_PHASES; p++) {
        snprintf(number, sizeof number, "%.3f", r->seconds[p]);
        put_sample(out, run, "devpulse_etl_last_run_phase_seconds", "phase", job_phase_names[p],
                   number);
    }
    put_header(out, "devpulse_etl_last_run_rows_read", "Source rows the last run read, per table.");
    for (int t = 0; t < BULK_N_TABLES; t++) {
        snprintf(number, sizeof number, "%zu", r->extract.rows_read[t]);
        put_sample(out, run, "devpulse_etl_last_run_rows_read", "table", extract_table_names[t],
                   number);
    }
    put_count(out, run, "devpulse_etl_last_run_rows_written",
              "Snapshot rows the last run inserted or replaced and committed.", run->rows_written);
    put_count(out, run, "devpulse_etl_last_run_goals_updated",
              "Goals the last run updated and committed.", run->goals_updated);
    put_count(out, run, "devpulse_etl_last_run_warnings",
              "Warnings of the last run (each reason and id once).",
              (int64_t) warnings_count(&r->warnings));
    put_count(out, run, "devpulse_etl_last_run_attempts", "Attempts the last run made (retries + 1).",
              r->attempts);
    if (run->has_last_success)
        put_seconds(out, run, "devpulse_etl_last_success_timestamp_seconds",
                    "Unix time the last successful run of this command and shard ended (ledger).",
                    run->last_success);
}

int
promfile_write(const char *path, const char *text, size_t len, struct etl_error *err)
{
    size_t tmp_len = strlen(path) + 16;
    char *tmp = malloc(tmp_len);
    int fd;
    size_t done = 0;

    if (tmp == NULL)
        return etl_fail(err, "--metrics-file: out of memory");
    /* Not named *.prom, so the collector never reads it half written. */
    snprintf(tmp, tmp_len, "%s.XXXXXX", path);
    if ((fd = mkstemp(tmp)) < 0) {
        etl_fail(err, "--metrics-file: cannot create a file next to %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out_unlink;
        done += (size_t) n;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        goto out_unlink;
    if (close(fd) < 0) {
        fd = -1;
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto out_unlink;
    free(tmp);
    return 0;

out_unlink:
    etl_fail(err, "--metrics-file: cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return -1;
}
