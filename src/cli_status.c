/*
 * cli_status.c: `devpulse-etl status` as text (for a person on call) or as
 * one line of JSON (for scripts and monitoring), from the one document that
 * status.c reads.  Entry point: cli_status_print.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_status.h"

static const char *
text(const json_t *o, const char *key, const char *none)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : none;
}

static json_int_t
integer(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static double
number(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The list under key, after its title and, when it is empty, "none". */
static const json_t *
section(FILE *out, const char *title, const json_t *doc, const char *key)
{
    const json_t *list = json_object_get(doc, key);

    fputs(title, out);
    if (json_array_size(list) == 0)
        fputs("  none\n", out);
    return list;
}

static void
print_running(FILE *out, const json_t *doc)
{
    const json_t *running = section(out, "Running now:\n", doc, "running"), *r;
    size_t i;

    json_array_foreach(running, i, r) {
        fprintf(out, "  run %" JSON_INTEGER_FORMAT ": %s, shard %s, started %s (%.0f s ago),",
                integer(r, "run_id"), text(r, "command", "?"), text(r, "shard", "?"),
                text(r, "started_at", "?"), number(r, "elapsed_seconds"));
        if (json_is_integer(json_object_get(r, "subjects_total")))
            fprintf(out, " %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " subjects committed,",
                    integer(r, "subjects_done"), integer(r, "subjects_total"));
        else
            fputs(" reading the source,", out);
        fprintf(out, " attempt %" JSON_INTEGER_FORMAT ", on %s pid %" JSON_INTEGER_FORMAT ", engine %s\n",
                integer(r, "attempts"), text(r, "client_host", "?"), integer(r, "client_pid"),
                text(r, "engine_version", "?"));
    }
    if (json_array_size(running) > 0 && !json_is_true(json_object_get(doc, "lock_held")))
        fputs("  No session holds the run lock: the process of these runs is gone (crash, kill -9,"
              " lost machine);\n  the next run marks them failed.\n", out);
}

static void
print_last_runs(FILE *out, const json_t *doc)
{
    const json_t *runs = section(out, "\nLast run of each command and shard:\n", doc, "last_runs"), *r;
    size_t i;

    if (json_array_size(runs) == 0)
        return;
    fprintf(out, "  %-8s  %-5s  %-9s  %8s  %-20s  %10s  %12s  %12s  %s\n", "COMMAND", "SHARD",
            "STATUS", "RUN", "STARTED", "SECONDS", "ROWS READ", "ROWS WRITTEN", "LAST SUCCESS");
    json_array_foreach(runs, i, r)
        fprintf(out, "  %-8s  %-5s  %-9s  %8" JSON_INTEGER_FORMAT "  %-20s  %10.1f  %12"
                JSON_INTEGER_FORMAT "  %12" JSON_INTEGER_FORMAT "  %s\n",
                text(r, "command", "?"), text(r, "shard", "?"), text(r, "status", "?"),
                integer(r, "run_id"), text(r, "started_at", "?"), number(r, "duration_seconds"),
                integer(r, "rows_read"), integer(r, "rows_written"),
                text(r, "last_success_at", "never"));
}

static void
print_failures(FILE *out, const json_t *doc)
{
    const json_t *failures = section(out, "\nLast runs that did not succeed:\n", doc, "failures"), *r;
    size_t i;

    json_array_foreach(failures, i, r)
        fprintf(out, "  run %" JSON_INTEGER_FORMAT ": %s, shard %s, %s at %s: %s\n",
                integer(r, "run_id"), text(r, "command", "?"), text(r, "shard", "?"),
                text(r, "status", "?"), text(r, "ended_at", "?"), text(r, "error", "(no error text)"));
}

static void
print_freshness(FILE *out, const json_t *doc)
{
    const json_t *types = json_object_get(doc, "freshness"), *t;
    size_t i;

    fprintf(out, "\nFreshness: subjects whose latest bucket is older than the bucket of the cutoff\n"
            "day that a nightly at %s computes:\n", text(doc, "as_of", "?"));
    fprintf(out, "  %-8s  %10s  %10s  %17s  %s\n", "TYPE", "SUBJECTS", "BEHIND",
            "WITHOUT SNAPSHOTS", "OLDEST LATEST BUCKET");
    json_array_foreach(types, i, t)
        fprintf(out, "  %-8s  %10" JSON_INTEGER_FORMAT "  %10" JSON_INTEGER_FORMAT "  %17"
                JSON_INTEGER_FORMAT "  %s\n", text(t, "snapshot_type", "?"), integer(t, "subjects"),
                integer(t, "behind"), integer(t, "without_snapshots"),
                text(t, "oldest_latest", "-"));
}

void
cli_status_print(FILE *out, const json_t *doc, bool json)
{
    if (json) {
        char *line = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));

        if (line != NULL)
            fprintf(out, "%s\n", line);
        free(line);
        return;
    }
    fprintf(out, "devpulse-etl status of database %s (schema %s) at %s\n\n",
            text(doc, "database", "?"), text(doc, "schema", "?"), text(doc, "now", "?"));
    print_running(out, doc);
    print_last_runs(out, doc);
    print_failures(out, doc);
    print_freshness(out, doc);
}
