/*
 * cli_options.h: reading the command line and job files into struct cli
 * (cli_options.c; part of the program, not of the library).
 */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include "cli.h"
#include "jobfile.h"

/* What cli_parse_args returns for -?/--help and -V/--version: the option
 * was met before any usage error, and nothing after it was read. */
enum { CLI_SHOW_HELP = -1, CLI_SHOW_VERSION = -2 };

/*
 * Fills cli from argv and, for `run FILE`, from the job file, which it reads
 * into jf (the caller frees it with jobfile_term).  Returns EXIT_OK;
 * EXIT_USAGE with cli->message saying why (nothing touched); EXIT_SIGNALLED
 * + the signal that stopped the read of a job file; or CLI_SHOW_HELP /
 * CLI_SHOW_VERSION.  Prints nothing.
 */
int cli_parse_args(int argc, char **argv, struct cli *cli, struct jobfile *jf);

#endif
