/*
 * cli_output.c: what a command says while it runs and when it ends, on
 * stdout and stderr, as text or as one JSON object a line (--log-format):
 * the run report, the migrate report, warnings, the one error line, the
 * progress (a bar redrawn in a terminal, else a dated line now and then),
 * and the --metrics-file of a run.  Entry points: cli_output.h.
 *
 * Only the cli files (cli*.c) print; only cli.c exits.  Log lines on stderr
 * start with the time when stderr is a file or a pipe (cli->stamp); text
 * from outside (server messages, ids, paths) reaches JSON escaped when it is
 * not UTF-8, so no line is ever lost.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "calendar.h"
#include "cli_output.h"
#include "metrics.h"
#include "promfile.h"
#include "status.h"
#include "utf8.h"

/* ---------------------------------------------------------------- lines */

double
cli_wall_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* A JSON string of text from outside (server messages, names, paths):
 * bytes that are not UTF-8 are escaped (utf8.h), so no line is ever lost. */
static json_t *
json_text(const char *s)
{
    json_t *v;
    char *safe;

    if (s == NULL)
        return json_null();
    if ((v = json_string(s)) != NULL)
        return v;
    safe = utf8_escape(s);
    v = json_string(safe != NULL ? safe : "(out of memory)");
    free(safe);
    return v;
}

/* One JSON object on a line of out, with its time and event name. */
static void
emit_json(FILE *out, const char *level, const char *event, json_t *fields)
{
    char *line;

    if (fields == NULL)
        fields = json_object();     /* json_pack failed: the event still shows */
    json_object_set_new(fields, "ts", json_real(cli_wall_seconds()));
    json_object_set_new(fields, "level", json_string(level));
    json_object_set_new(fields, "event", json_string(event));
    line = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
    if (line != NULL) {
        fprintf(out, "%s\n", line);
        fflush(out);
    }
    free(line);
    json_decref(fields);
}

/* Log lines of a run on a file or pipe start with the time, ISO 8601 in UTC. */
static void
log_prefix(const struct cli *cli)
{
    struct timespec ts;
    struct tm tm;
    char when[32];

    if (!cli->stamp)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ ", when, ts.tv_nsec / 1000000);
}

static void log_line(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line of text on stderr, after the time when it goes to a file or pipe. */
static void
log_line(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;

    log_prefix(cli);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- reports */

/* In JSON, a run_id or sqlstate that is not there is null. */
void
cli_print_error(const struct cli *cli, const char *text, int64_t run_id, const char *sqlstate,
                int exit_status)
{
    json_t *o;

    if (!cli->json) {
        log_line(cli, "devpulse-etl: %s\n", text);
        return;
    }
    o = json_object();
    json_object_set_new(o, "message", json_text(text));
    json_object_set_new(o, "run_id", run_id > 0 ? json_integer(run_id) : json_null());
    json_object_set_new(o, "sqlstate", sqlstate != NULL && sqlstate[0] != '\0' ?
                        json_string(sqlstate) : json_null());
    json_object_set_new(o, "exit_status", json_integer(exit_status));
    emit_json(stderr, "error", "error", o);
}

void
cli_print_warnings(const struct cli *cli, const struct warnings *w)
{
    for (size_t i = 0; i < w->n; i++) {
        size_t n = w->items[i].n_ids;
        size_t shown = cli->verbose ? n : (n < 5 ? n : 5);

        if (cli->json) {
            json_t *ids = json_array();

            for (size_t k = 0; k < shown; k++)
                json_array_append_new(ids, json_text(w->items[i].ids[k]));
            emit_json(stderr, "warning", "warning",
                      json_pack("{sosIso}", "reason", json_text(w->items[i].reason),
                                "count", (json_int_t) n, "ids", ids));
            continue;
        }
        log_prefix(cli);
        fprintf(stderr, "warning: %s (%zu): ", w->items[i].reason, n);
        for (size_t k = 0; k < shown; k++)
            fprintf(stderr, "%s%s", k ? ", " : "", w->items[i].ids[k]);
        if (shown < n)
            fprintf(stderr, ", ... (-v lists all)");
        fputc('\n', stderr);
    }
}

/* The platform of the rows counted in by_kind[k]. */
static const char *
row_platform(int k)
{
    return platform_name(metrics_platforms_in_key_order[k]);
}

static size_t
rows_read(const struct job_report *r)
{
    size_t n = 0;

    for (int t = 0; t < BULK_N_TABLES; t++)
        n += r->extract.rows_read[t];
    return n;
}

static void
print_report_json(const struct cli *cli, const struct job_report *r)
{
    char as_of[40];
    json_t *o = json_object(), *tables = json_object(), *rows = json_object(),
           *seconds = json_object();

    cal_format_timestamp(r->as_of, as_of);
    for (int t = 0; t < BULK_N_TABLES; t++)
        json_object_set_new(tables, bulk_table_names[t],
                            json_pack("{sIsI}", "read", (json_int_t) r->extract.rows_read[t],
                                      "in_scope", (json_int_t) r->extract.rows_kept[t]));
    for (int k = 0; k < METRICS_ROW_PLATFORMS; k++)
        for (int t = 0; t < N_BUCKET_TYPES; t++)
            if (r->snapshots.by_kind[k][t]) {
                char key[32];

                snprintf(key, sizeof key, "%s/%s", row_platform(k), cal_bucket_name((enum bucket_type) t));
                json_object_set_new(rows, key, json_integer((json_int_t) r->snapshots.by_kind[k][t]));
            }
    for (int p = 0; p < N_PHASES; p++)
        json_object_set_new(seconds, job_phase_names[p], json_real(r->seconds[p]));
    json_object_set_new(o, "command", json_string(cli_command_names[cli->command]));
    json_object_set_new(o, "dry_run", json_boolean(cli->job.dry_run));
    json_object_set_new(o, "run_id", json_integer(r->run_id));
    if (r->resumed)
        json_object_set_new(o, "resumes", json_integer(r->resumed));
    json_object_set_new(o, "as_of", json_string(as_of));
    json_object_set_new(o, "attempts", json_integer(r->attempts));
    json_object_set_new(o, "tables", tables);
    json_object_set_new(o, "subjects", json_integer(r->subjects_in_shard));
    json_object_set_new(o, "batches", json_integer(r->batches));
    json_object_set_new(o, "partitions", json_integer(r->extract.partitions));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "snapshots",
                        json_pack("{sIsIsIsIsI}", "computed", (json_int_t) r->snapshots.staged,
                                  "inserted", (json_int_t) r->snapshots.inserted,
                                  "replaced", (json_int_t) r->snapshots.replaced,
                                  "unchanged", (json_int_t) r->snapshots.unchanged,
                                  "kept", (json_int_t) r->snapshots.kept));
    json_object_set_new(o, "goals",
                        json_pack("{sIsIsI}", "evaluated", (json_int_t) r->goals_total,
                                  "updated", (json_int_t) r->goals_updated,
                                  "skipped", (json_int_t) r->goals_skipped));
    json_object_set_new(o, "warnings", json_integer((json_int_t) warnings_count(&r->warnings)));
    json_object_set_new(o, "seconds", seconds);
    json_object_set_new(o, "peak_memory_mib", json_integer(r->peak_rss_kb / 1024));
    emit_json(stdout, "info", "report", o);
}

void
cli_print_report(const struct cli *cli, const struct job_report *r)
{
    char as_of[40];

    if (r->nothing_to_resume) {
        if (cli->json)
            emit_json(stdout, "info", "report",
                      json_pack("{sssb}", "command", "backfill", "nothing_to_resume", 1));
        else if (!cli->quiet)
            puts("backfill --resume: no backfill is left unfinished; nothing to resume");
        return;
    }
    if (cli->quiet)
        return;
    if (cli->json) {
        print_report_json(cli, r);
        return;
    }
    cal_format_timestamp(r->as_of, as_of);
    printf("%s%s as of %s (run %lld", cli_command_names[cli->command],
           cli->job.dry_run ? " (dry run)" : "", as_of, (long long) r->run_id);
    if (r->resumed)
        printf(", resuming run %lld", (long long) r->resumed);
    if (r->attempts > 1)
        printf(", %d attempts", r->attempts);
    printf(")\n");
    for (int t = 0; t < BULK_N_TABLES; t++)
        printf("  read %-22s %10zu rows (%zu in scope)\n", bulk_table_names[t],
               r->extract.rows_read[t], r->extract.rows_kept[t]);
    printf("  subjects %d", r->subjects_in_shard);
    if (cli->job.shards > 1)
        printf(" of %d (shard %d/%d)", r->subjects, cli->job.shard, cli->job.shards);
    if (r->subjects_skipped)
        printf(", %d already done", r->subjects_skipped);
    printf(" in %d batch(es)", r->batches);
    if (r->extract.partitions > 1)
        printf(", source spilled to disk in %d partitions", r->extract.partitions);
    printf("\n");
    if (cli->command != CMD_GOALS) {
        for (int k = 0; k < METRICS_ROW_PLATFORMS; k++)
            for (int t = 0; t < N_BUCKET_TYPES; t++)
                if (r->snapshots.by_kind[k][t])
                    printf("  rows %-8s %-8s %10zu\n", row_platform(k),
                           cal_bucket_name((enum bucket_type) t), r->snapshots.by_kind[k][t]);
        printf("  snapshots: %zu computed, %zu %s, %zu replaced, %zu unchanged, %zu kept\n",
               r->snapshots.staged, r->snapshots.inserted,
               cli->job.dry_run ? "would be inserted" : "inserted",
               r->snapshots.replaced, r->snapshots.unchanged, r->snapshots.kept);
    }
    if (cli->command != CMD_BACKFILL)
        printf("  goals: %zu evaluated, %zu updated, %zu skipped\n",
               r->goals_total, r->goals_updated, r->goals_skipped);
    printf("  warnings: %zu\n", warnings_count(&r->warnings));
    printf("  seconds:");
    for (int p = 0; p < N_PHASES; p++)
        printf(" %s %.3f", job_phase_names[p], r->seconds[p]);
    printf("; %zu rows read; peak memory %ld MiB\n", rows_read(r), r->peak_rss_kb / 1024);
}

void
cli_print_migrate_report(const struct cli *cli, const struct migrate_report *r)
{
    const char *cmd = cli->check ? "migrate --check" : "migrate";
    json_t *changes, *notices;

    if (cli->json) {
        changes = json_array();
        notices = json_array();
        for (size_t i = 0; i < r->changes.n; i++)
            json_array_append_new(changes, json_string(r->changes.items[i]));
        for (size_t i = 0; i < r->notices.n; i++)
            json_array_append_new(notices, json_string(r->notices.items[i]));
        emit_json(stdout, "info", "report", json_pack("{sssbsoso}", "command", "migrate",
                                                      "check", cli->check, "changes", changes,
                                                      "notices", notices));
        return;
    }
    if (cli->quiet)
        return;
    for (size_t i = 0; i < r->changes.n; i++)
        printf("%s: %s%s\n", cmd, cli->check ? "would " : "", r->changes.items[i]);
    for (size_t i = 0; i < r->notices.n; i++)
        printf("%s: notice: %s\n", cmd, r->notices.items[i]);
    if (r->changes.n == 0)
        printf("%s: the database is up to date; nothing %s\n", cmd,
               cli->check ? "to do" : "changed");
    else if (cli->check)
        printf("%s: %zu change(s) to make: run `devpulse-etl migrate`\n", cmd, r->changes.n);
    else
        printf("%s: %zu change(s) made\n", cmd, r->changes.n);
}

/* ---------------------------------------------------------------- progress */

static void
format_duration(double s, char *buf, size_t size)
{
    long t = (long) (s + 0.5);

    if (t >= 3600)
        snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lds", t);
}

/* Rows per second and the time left, from the subjects done so far. */
static void
rates(const struct job_progress *p, double *rows_per_s, double *eta)
{
    double frac = p->subjects_total > 0 ? (double) p->subjects_done / p->subjects_total : 0;

    *rows_per_s = p->elapsed > 0 ? (double) p->rows_staged / p->elapsed : 0;
    *eta = frac > 0 && frac < 1 ? p->elapsed * (1 - frac) / frac : 0;
}

static void
progress_json(const struct job_progress *p)
{
    static const char *const names[] = {"waiting", "started", "extracted", "batch", "retry"};
    double rps, eta;
    json_t *o = json_pack("{sIsisisisisfsI}", "run_id", (json_int_t) p->run_id,
                          "batches_done", p->batches_done, "batches_total", p->batches_total,
                          "subjects_done", (int) p->subjects_done,
                          "subjects_total", (int) p->subjects_total,
                          "elapsed", p->elapsed, "rows", (json_int_t) p->rows_staged);

    rates(p, &rps, &eta);
    json_object_set_new(o, "rows_per_second", json_real(rps));
    if (p->event == JOB_EVENT_BATCH)
        json_object_set_new(o, "eta_seconds", json_real(eta));
    if (p->resumes)
        json_object_set_new(o, "resumes", json_integer(p->resumes));
    if (p->event == JOB_EVENT_RETRY) {
        json_object_set_new(o, "attempt", json_integer(p->attempt));
        json_object_set_new(o, "retry_in", json_real(p->retry_in));
        json_object_set_new(o, "detail", json_text(p->detail));
    }
    emit_json(stderr, p->event == JOB_EVENT_RETRY ? "warning" : "info", names[p->event], o);
}

/* The terminal's width in columns (80 when it does not say), read at each
 * redraw, so a resized window gets a line of its new width. */
static int
terminal_columns(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/*
 * The bar takes what the text leaves of the line (30 at most, none under 5),
 * and the line is cut to one column less than the terminal's width, so it
 * never wraps: each \r redraw overwrites it, leaving no trail of lines.
 */
static void
draw_bar(struct cli_progress *v, const struct job_progress *p)
{
    const char *cmd = cli_command_names[v->cli->command];
    int columns = terminal_columns(), width, filled;
    char bar[32], eta_text[32], tail[160], line[256];
    double rps, eta;

    rates(p, &rps, &eta);
    format_duration(eta, eta_text, sizeof eta_text);
    snprintf(tail, sizeof tail, " batch %d/%d, %.0f rows/s, ETA %s", p->batches_done,
             p->batches_total, rps, eta_text);
    width = columns - 1 - (int) (strlen(cmd) + 3 + strlen(tail));
    width = width > 30 ? 30 : width;
    if (width >= 5) {
        filled = p->batches_total > 0 ? width * p->batches_done / p->batches_total : 0;
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[width] = '\0';
        snprintf(line, sizeof line, "%s [%s]%s", cmd, bar, tail);
    } else {
        snprintf(line, sizeof line, "%s%s", cmd, tail);
    }
    if ((int) strlen(line) > columns - 1)
        line[columns > 1 ? columns - 1 : 0] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    v->bar_drawn = true;
}

void
cli_progress_init(struct cli_progress *v, const struct cli *cli)
{
    memset(v, 0, sizeof *v);
    v->cli = cli;
    v->last_draw = -1;
}

void
cli_progress_end(struct cli_progress *v)
{
    if (v->bar_drawn)
        fputc('\n', stderr);
    v->bar_drawn = false;
}

void
cli_on_progress(const struct job_progress *p, void *arg)
{
    struct cli_progress *v = arg;
    const char *cmd = cli_command_names[v->cli->command];
    char eta_text[32];
    double rps, eta;

    if (v->cli->quiet)
        return;
    if (v->cli->json) {
        progress_json(p);
        return;
    }
    if (p->event == JOB_EVENT_BATCH && !v->cli->stamp) {
        /* Redrawn five times a second at most, and at the last batch. */
        if (p->elapsed - v->last_draw >= 0.2 || p->batches_done == p->batches_total) {
            v->last_draw = p->elapsed;
            draw_bar(v, p);
        }
        return;
    }
    cli_progress_end(v);
    rates(p, &rps, &eta);
    switch (p->event) {
    case JOB_EVENT_WAITING:
        log_line(v->cli, "devpulse-etl: %s: another run holds the lock; waiting up to %.0f s\n",
                 cmd, v->cli->job.wait_seconds);
        break;
    case JOB_EVENT_STARTED:
        if (p->resumes)
            log_line(v->cli, "devpulse-etl: %s: run %lld resumes run %lld after %d subject(s)\n",
                     cmd, (long long) p->run_id, (long long) p->resumes, (int) p->subjects_done);
        break;
    case JOB_EVENT_EXTRACTED:
        v->last_line = p->elapsed;
        if (v->cli->command == CMD_BACKFILL)
            log_line(v->cli, "devpulse-etl: %s: run %lld: source read in %.1f s; %d batch(es) to go\n",
                     cmd, (long long) p->run_id, p->elapsed, p->batches_total - p->batches_done);
        break;
    case JOB_EVENT_BATCH:
        /* Under cron or systemd: a line every 10 seconds at most, and the last. */
        if (p->elapsed - v->last_line < 10 && p->batches_done < p->batches_total)
            break;
        v->last_line = p->elapsed;
        format_duration(eta, eta_text, sizeof eta_text);
        log_line(v->cli, "devpulse-etl: %s: run %lld: batch %d/%d, %d/%d subjects, %zu rows,"
                 " %.0f rows/s, ETA %s\n", cmd, (long long) p->run_id, p->batches_done,
                 p->batches_total, (int) p->subjects_done, (int) p->subjects_total,
                 p->rows_staged, rps, eta_text);
        break;
    case JOB_EVENT_RETRY:
        log_line(v->cli, "devpulse-etl: %s: attempt %d failed (%s); attempt %d in %.0f s\n",
                 cmd, p->attempt - 1, p->detail, p->attempt, p->retry_in);
        break;
    }
}

/* ---------------------------------------------------------------- metrics file */

/*
 * --metrics-file: the run's figures, whatever its outcome, with the last
 * success of its command and shard from the ledger (left out when a failed
 * run left no row there: the server was not reached, so neither is the
 * ledger, and connecting again would only wait as long once more).
 * A file that cannot be written is a warning; the run's status stands.
 */
void
cli_write_metrics(const struct cli *cli, const struct job_report *report, int exit_status,
                  double start, double end)
{
    struct promfile_run m;
    struct strbuf text;
    struct etl_error err;
    PGconn *conn;
    bool committed = !cli->job.dry_run && (exit_status == EXIT_OK || cli->command == CMD_BACKFILL);

    memset(&m, 0, sizeof m);
    m.command = cli_command_names[cli->command];
    m.shard = report->shard;
    m.version = cli->job.version;
    m.outcome = exit_status == EXIT_OK ? "succeeded" : exit_status == EXIT_BUSY ? "skipped"
              : exit_status > EXIT_SIGNALLED ? "cancelled" : "failed";
    m.exit_status = exit_status;
    m.start = start;
    m.end = end;
    m.report = report;
    m.rows_written = committed ? (int64_t) (report->snapshots.inserted + report->snapshots.replaced) : 0;
    m.goals_updated = exit_status == EXIT_OK ? (int64_t) report->goals_updated : 0;
    if ((report->run_id > 0 || exit_status == EXIT_OK) &&
        (conn = db_connect(cli->job.dsn, &err)) != NULL) {
        if (status_last_success(conn, m.command, m.shard, &m.last_success, &m.has_last_success,
                                &err) < 0)
            m.has_last_success = false;
        db_close(conn);
    }
    strbuf_init(&text);
    promfile_format(&m, &text);
    if (text.failed)
        etl_fail(&err, "--metrics-file: out of memory");
    if (text.failed || promfile_write(cli->metrics_path, text.data, text.len, &err) < 0) {
        if (cli->json)
            emit_json(stderr, "warning", "warning", json_pack("{so}", "reason", json_text(err.text)));
        else
            log_line(cli, "warning: %s\n", err.text);
    }
    strbuf_term(&text);
}
