/*
 * cli.c: main.  It reads the options (cli_options.c), answers -? with the
 * usage text and -V with the version, runs the command (migrate, status, or
 * a run of nightly, backfill or goals through job.c), has cli_output.c print
 * what came of it, and exits with its status (cli.h).  Only the cli files
 * (cli*.c) print; only this one exits (by returning from main).
 */
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cancel.h"
#include "cli.h"
#include "cli_options.h"
#include "cli_output.h"
#include "cli_status.h"
#include "db.h"
#include "job.h"
#include "jobfile.h"
#include "migrate.h"
#include "status.h"
#include "version.h"    /* DEVPULSE_VERSION: the release and where the build came from (Makefile) */

const char *const cli_command_names[N_COMMANDS] = {
    NULL, "migrate", "nightly", "backfill", "goals", "run", "status",
};

/* The options' defaults are printed from their names in job.h. */
static void
usage(FILE *out)
{
    fputs("devpulse-etl: DevPulse analytics snapshots and goals, computed from PostgreSQL.\n"
          "\n"
          "Usage:\n"
          "  devpulse-etl migrate  [--check]           apply sql/ to the database (idempotent)\n"
          "  devpulse-etl nightly  [--as-of TS] [--lookback N]\n"
          "  devpulse-etl backfill --from DATE --to DATE [--as-of TS] [--overwrite] [--dry-run]\n"
          "  devpulse-etl backfill --resume [--from DATE --to DATE]\n"
          "  devpulse-etl goals    [--as-of TS]\n"
          "  devpulse-etl run JOB.json [OPTION...]     a job file: a command and its options\n"
          "  devpulse-etl status [--format text|json] [--as-of TS]\n"
          "                                            runs now, last runs, failures, freshness\n"
          "\n"
          "Connection options (each parameter from the first that sets it: --dsn, the\n"
          "options below, $DATABASE_URL, libpq's PG* variables):\n"
          "  --dsn DSN            connection string or URI of the database\n"
          "  -d, --dbname DBNAME  database name, or a connection string (as in psql)\n"
          "  -h, --host HOST      server host or socket directory\n"
          "  -p, --port PORT      server port\n"
          "  -U, --username USER  database user name\n"
          "\n"
          "Options:\n"
          "  --source-dsn DSN     read the source tables from this server, e.g. a read\n"
          "                       replica (default: $DEVPULSE_SOURCE_URL, else --dsn's)\n"
          "  --as-of TS           the run's instant, e.g. 2026-11-25T03:00:00Z (default: now);\n"
          "                       without a zone offset TS is UTC\n"
          "  --lookback N         nightly: daily buckets of the N days ending at each\n"
          "                       subject's cutoff day (default " JOB_STR(JOB_DEFAULT_LOOKBACK) ", at least 1)\n"
          "  --from, --to DATE    backfill: the days YYYY-MM-DD to write, both included\n"
          "  --overwrite          backfill: replace existing rows (default: keep them)\n"
          "  --dry-run            backfill: compute and report, write nothing\n"
          "  --check              migrate: change nothing, list what migrate would do\n"
          "                       (exit 4 when there is something)\n"
          "  --resume             backfill: continue the last unfinished backfill (of this\n"
          "                       range, when given) where its committed batches end\n"
          "  --workers N          connections reading the source tables (default: cores)\n"
          "  --loaders N          backfill: connections writing batches at once (default "
          JOB_STR(JOB_DEFAULT_LOADERS) ")\n"
          "  --batch-memory MB    memory for the batches in flight (default "
          JOB_STR(JOB_DEFAULT_BATCH_MB) "); the source\n"
          "                       rows held at once get a quarter, the rest waits in $TMPDIR\n"
          "  --wait SECONDS       wait this long for another run's lock (default: fail at once)\n"
          "  --retries N          new attempts after a lost connection or a serialization\n"
          "                       failure, with backoff (default " JOB_STR(JOB_DEFAULT_RETRIES) ")\n"
          "  --keep-days N        keep N days of the run ledger (default "
          JOB_STR(JOB_DEFAULT_KEEP_DAYS) ")\n"
          "  --shard K/N          only the subjects whose id hashes to shard K of N\n"
          "  --metrics-file PATH  write the run's figures for Prometheus (node_exporter's\n"
          "                       textfile collector) to PATH, replaced whole\n"
          "  --format FMT         status: text (default) or json\n"
          "  --log-format FMT     text (default) or json: one JSON object per line\n"
          "  -q, --quiet          print errors only\n"
          "  -v, --verbose        print every warning id\n"
          "  -?, --help           this text\n"
          "  -V, --version        the version\n"
          "\n"
          "Exit status: 0 done and committed, 1 failed (nothing half written),\n"
          "2 usage error or bad job file, 3 another run holds the lock,\n"
          "4 migrate --check: migrate has changes to make,\n"
          "130/143 stopped by SIGINT/SIGTERM (rolled back; backfill --resume goes on).\n", out);
}

/* ---------------------------------------------------------------- commands */

static int
run_migrate(const struct cli *cli)
{
    struct etl_error err;
    struct migrate_report report;
    PGconn *conn = db_connect(cli->job.dsn, &err);
    int status = EXIT_OK;

    if (conn == NULL || db_require_session(conn, cli->job.dsn, &err) < 0) {
        cli_print_error(cli, err.text, 0, err.sqlstate, EXIT_FAILED);
        db_close(conn);
        return EXIT_FAILED;
    }
    if (migrate_apply(conn, cli->check, &report, &err) < 0) {
        status = cancel_requested() ? EXIT_SIGNALLED + cancel_requested() : EXIT_FAILED;
        cli_print_error(cli, cancel_requested() ? "migrate: cancelled; nothing was applied" : err.text,
                        0, err.sqlstate, status);
    } else {
        cli_print_migrate_report(cli, &report);
        if (cli->check && report.changes.n > 0)
            status = EXIT_PENDING;
    }
    migrate_report_term(&report);
    db_close(conn);
    return status;
}

static int
run_status(const struct cli *cli)
{
    struct etl_error err;
    PGconn *conn = db_connect(cli->job.dsn, &err);
    char as_of[40], text[sizeof err.text + 16];
    json_t *doc;

    if (conn != NULL) {
        if (cli->job.has_as_of)
            cal_format_timestamp(cli->job.as_of, as_of);
        if (status_read(conn, cli->job.has_as_of ? as_of : NULL, &doc, &err) == 0) {
            cli_status_print(stdout, doc, cli->status_json);
            json_decref(doc);
            db_close(conn);
            return EXIT_OK;
        }
        db_close(conn);
    }
    snprintf(text, sizeof text, "status: %s", err.text);
    cli_print_error(cli, text, 0, err.sqlstate, EXIT_FAILED);
    return EXIT_FAILED;
}

static int
run_job(struct cli *cli)
{
    struct job_report report;
    struct etl_error err;
    struct cli_progress view;
    char text[sizeof err.text + 32];
    double start = cli_wall_seconds();
    int rc, status;

    cli_progress_init(&view, cli);
    if (cli->job.source_dsn == NULL && getenv("DEVPULSE_SOURCE_URL") != NULL &&
        getenv("DEVPULSE_SOURCE_URL")[0] != '\0')
        cli->job.source_dsn = getenv("DEVPULSE_SOURCE_URL");
    cli->job.command = cli->command == CMD_NIGHTLY ? JOB_NIGHTLY
                     : cli->command == CMD_BACKFILL ? JOB_BACKFILL : JOB_GOALS;
    cli->job.progress = cli_on_progress;
    cli->job.progress_arg = &view;
    cli->job.version = DEVPULSE_VERSION;
    rc = job_run(&cli->job, &report, &err);
    cli_progress_end(&view);
    if (!cli->quiet && (rc == 0 || report.warnings.n > 0))
        cli_print_warnings(cli, &report.warnings);
    if (rc == 0)
        cli_print_report(cli, &report);
    status = rc == 0 ? EXIT_OK : rc == JOB_CANCELLED ? EXIT_SIGNALLED + report.signal
           : rc == JOB_BUSY ? EXIT_BUSY : EXIT_FAILED;
    if (rc != 0) {
        snprintf(text, sizeof text, "%s: %s", cli_command_names[cli->command], err.text);
        cli_print_error(cli, text, report.run_id, err.sqlstate, status);
    }
    if (cli->metrics_path != NULL)
        cli_write_metrics(cli, &report, status, start, cli_wall_seconds());
    job_report_term(&report);
    return status;
}

/*
 * glibc keeps freed memory for reuse: it raises its mmap threshold each time
 * a large block is freed, so later large blocks come from heaps it rarely
 * gives back, and each thread that allocates gets a heap of its own.  A run
 * frees and reallocates large buffers all the time (source chunks, batches),
 * so its resident memory would follow the largest mix it ever held rather
 * than what it holds.  A fixed threshold and two heaps keep the peak close
 * to what --batch-memory bounds.
 *
 * The threshold is below the size of one subject's formatted rows in a
 * backfill (about 300 KiB on average for a year of bench/run's data), so
 * those buffers are mapped on their own: the room their doubling leaves
 * unused is never touched, and a batch's rows go back to the system when
 * its loader frees them.  From a heap, both stayed resident, and the peak
 * depended on how the loaders' frees interleaved with the next batch's
 * growth (bench/RESULTS.md, "What made the peak lower and steadier").  The
 * price is fresh pages for every batch.
 */
static void
limit_malloc_retention(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    mallopt(M_ARENA_MAX, 2);
}

int
main(int argc, char **argv)
{
    struct cli cli;
    struct jobfile jf;
    int status;

    memset(&cli, 0, sizeof cli);
    memset(&jf, 0, sizeof jf);
    cli.job.lookback = JOB_DEFAULT_LOOKBACK;
    cli.job.retries = JOB_DEFAULT_RETRIES;
    /* Before any thread exists, so that SIGINT and SIGTERM reach only the
     * thread that turns them into a cancel request. */
    if (cancel_init() < 0) {
        fputs("devpulse-etl: cannot set up signal handling\n", stderr);
        return EXIT_FAILED;
    }
    json_object_seed(0);
    limit_malloc_retention();
    if ((status = cli_parse_args(argc, argv, &cli, &jf)) == CLI_SHOW_HELP ||
        status == CLI_SHOW_VERSION) {
        if (status == CLI_SHOW_HELP)
            usage(stdout);
        else
            puts("devpulse-etl " DEVPULSE_VERSION);
        jobfile_term(&jf);
        return EXIT_OK;
    }
    cli.stamp = isatty(STDERR_FILENO) != 1;
    if (status != EXIT_OK) {
        /* A log line like any other: in JSON when the command line asks
         * for it (cli_parse_args reads --log-format first), with the time
         * on a file or pipe. */
        cli_print_error(&cli, cli.message, 0, NULL, status);
        if (status == EXIT_USAGE && !cli.json)
            fputs("Try 'devpulse-etl --help' for more information.\n", stderr);
        jobfile_term(&jf);
        return status;
    }
    if (db_target_conninfo(&cli.target, &cli.conninfo) < 0) {
        fputs("devpulse-etl: out of memory\n", stderr);
        jobfile_term(&jf);
        return EXIT_FAILED;
    }
    cli.job.dsn = cli.conninfo;
    status = cli.command == CMD_MIGRATE ? run_migrate(&cli)
           : cli.command == CMD_STATUS ? run_status(&cli) : run_job(&cli);
    free(cli.conninfo);
    jobfile_term(&jf);
    return status;
}
