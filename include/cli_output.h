/*
 * cli_output.h: everything the program prints about a command, as text or
 * JSON lines (cli_output.c; part of the program, not of the library).
 */
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "job.h"
#include "migrate.h"
#include "warnings.h"

/* The time now, in Unix seconds. */
double cli_wall_seconds(void);

/* The one error line; in JSON with the run's ledger id (0: none), the
 * server's SQLSTATE (NULL or "": not from the server) and the exit status. */
void cli_print_error(const struct cli *cli, const char *text, int64_t run_id, const char *sqlstate,
                     int exit_status);

/* Each reason, its count and its first ids (all of them with -v). */
void cli_print_warnings(const struct cli *cli, const struct warnings *w);

/* The report of a run that succeeded (on stdout). */
void cli_print_report(const struct cli *cli, const struct job_report *r);

void cli_print_migrate_report(const struct cli *cli, const struct migrate_report *r);

/* A run's progress on stderr: job_options.progress is cli_on_progress, its
 * progress_arg a struct cli_progress. */
struct cli_progress {
    const struct cli *cli;      /* stderr a terminal (!cli->stamp): a bar redrawn on one line */
    bool bar_drawn;
    double last_line;           /* elapsed at the last plain log line */
    double last_draw;           /* elapsed at the last redraw of the bar */
};

void cli_progress_init(struct cli_progress *v, const struct cli *cli);
job_progress_fn cli_on_progress;
/* Ends the bar's line, when one is drawn, before anything else prints. */
void cli_progress_end(struct cli_progress *v);

/* --metrics-file: the run's figures (a file that cannot be written is a
 * warning; the run's exit status stands). */
void cli_write_metrics(const struct cli *cli, const struct job_report *report, int exit_status,
                       double start, double end);

#endif
