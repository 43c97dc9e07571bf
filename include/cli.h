/*
 * cli.h: what the program's files share (cli.c, cli_options.c, cli_output.c;
 * none of them is in the library): the exit statuses, the commands, and
 * struct cli, which the options fill and the output reads.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

#include "db.h"
#include "job.h"

/* The exit statuses (README "Exit status", the man page, usage()). */
enum cli_exit {
    EXIT_OK = 0,            /* every write committed */
    EXIT_FAILED = 1,        /* the run failed; nothing of it left half written */
    EXIT_USAGE = 2,         /* usage error or bad job file; nothing touched */
    EXIT_BUSY = 3,          /* another run holds the lock */
    EXIT_PENDING = 4,       /* migrate --check: migrate has changes to make */
    EXIT_SIGNALLED = 128,   /* + the signal that stopped the run (SIGINT 130, SIGTERM 143) */
};

enum cli_command { CMD_NONE, CMD_MIGRATE, CMD_NIGHTLY, CMD_BACKFILL, CMD_GOALS, CMD_RUN, CMD_STATUS,
                   N_COMMANDS };

extern const char *const cli_command_names[N_COMMANDS];     /* NULL, "migrate", ... */

struct cli {
    enum cli_command command;
    const char *job_path;       /* run FILE */
    struct db_target target;    /* --dsn, -d, -h, -p, -U */
    char *conninfo;             /* what they make with $DATABASE_URL: job.dsn */
    struct job_options job;
    bool have_from, have_to, quiet, verbose, json;
    bool check;                 /* migrate --check */
    bool status_json;           /* status --format json */
    bool stamp;                 /* stderr is not a terminal: log lines start with the time
                                 * (on a terminal, progress is a bar instead) */
    const char *metrics_path;   /* --metrics-file */
    char message[1200];         /* a usage error, without the "devpulse-etl: " */
};

#endif
