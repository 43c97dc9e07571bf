/*
 * cli.c: main, options, exit codes: the only file that calls exit() or
 * prints.
 *
 * Exit status: 0 every write committed; 1 the run failed (nothing of it left
 * half written); 2 usage error; 3 another run holds the lock.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "job.h"
#include "migrate.h"

#define VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_BUSY = 3 };

enum command { CMD_NONE, CMD_MIGRATE, CMD_NIGHTLY, CMD_BACKFILL, CMD_GOALS, N_COMMANDS };

static const char *const command_names[N_COMMANDS] = {
    NULL, "migrate", "nightly", "backfill", "goals",
};

#define ALL_COMMANDS ((1u << CMD_MIGRATE) | (1u << CMD_NIGHTLY) | (1u << CMD_BACKFILL) | \
                      (1u << CMD_GOALS))
#define RUN_COMMANDS ((1u << CMD_NIGHTLY) | (1u << CMD_BACKFILL) | (1u << CMD_GOALS))

enum option_id {
    OPT_DSN, OPT_AS_OF, OPT_LOOKBACK, OPT_FROM, OPT_TO, OPT_OVERWRITE, OPT_DRY_RUN,
    OPT_WORKERS, OPT_BATCH_MEMORY, OPT_QUIET, OPT_VERBOSE, OPT_HELP, OPT_VERSION,
};

struct option_def {
    enum option_id id;
    const char *name;
    char short_name;
    bool has_arg;
    unsigned commands;        /* where it belongs; 0: anywhere, also before the command */
};

static const struct option_def options[] = {
    {OPT_DSN, "dsn", 0, true, 0},
    {OPT_AS_OF, "as-of", 0, true, RUN_COMMANDS},
    {OPT_LOOKBACK, "lookback", 0, true, 1u << CMD_NIGHTLY},
    {OPT_FROM, "from", 0, true, 1u << CMD_BACKFILL},
    {OPT_TO, "to", 0, true, 1u << CMD_BACKFILL},
    {OPT_OVERWRITE, "overwrite", 0, false, 1u << CMD_BACKFILL},
    {OPT_DRY_RUN, "dry-run", 0, false, 1u << CMD_BACKFILL},
    {OPT_WORKERS, "workers", 0, true, RUN_COMMANDS},
    {OPT_BATCH_MEMORY, "batch-memory", 0, true, RUN_COMMANDS},
    {OPT_QUIET, "quiet", 'q', false, 0},
    {OPT_VERBOSE, "verbose", 'v', false, 0},
    {OPT_HELP, "help", 'h', false, 0},
    {OPT_VERSION, "version", 'V', false, 0},
};
#define N_OPTIONS ((int) (sizeof options / sizeof options[0]))

struct cli {
    enum command command;
    struct job_options job;
    bool have_from, have_to, quiet, verbose;
    const char *as_of_text;
};

static void
usage(FILE *out)
{
    fputs("devpulse-etl: DevPulse analytics snapshots and goals, computed from PostgreSQL.\n"
          "\n"
          "Usage:\n"
          "  devpulse-etl migrate                      apply sql/ to the database (idempotent)\n"
          "  devpulse-etl nightly  [--as-of TS] [--lookback N]\n"
          "  devpulse-etl backfill --from DATE --to DATE [--as-of TS] [--overwrite] [--dry-run]\n"
          "  devpulse-etl goals    [--as-of TS]\n"
          "\n"
          "Options:\n"
          "  --dsn DSN            database (default: $DATABASE_URL, else libpq's PG* variables)\n"
          "  --as-of TS           the run's instant, e.g. 2026-11-25T03:00:00Z (default: now);\n"
          "                       without a zone offset TS is UTC\n"
          "  --lookback N         nightly: daily buckets of the N days ending at each\n"
          "                       subject's cutoff day (default 3, at least 1)\n"
          "  --from, --to DATE    backfill: the days YYYY-MM-DD to write, both included\n"
          "  --overwrite          backfill: replace existing rows (default: keep them)\n"
          "  --dry-run            backfill: compute and report, write nothing\n"
          "  --workers N          connections reading the source tables (default: cores)\n"
          "  --batch-memory MB    memory for one batch of subjects (default 256)\n"
          "  -q, --quiet          print errors only\n"
          "  -v, --verbose        print every warning id\n"
          "  -h, --help           this text\n"
          "  -V, --version        the version\n"
          "\n"
          "Exit status: 0 done and committed, 1 failed (nothing half written),\n"
          "2 usage error, 3 another run holds the lock.\n", out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("devpulse-etl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'devpulse-etl --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static const struct option_def *
find_option(const char *arg, const char **value)
{
    *value = NULL;
    if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0' && arg[2] == '\0') {
        for (int i = 0; i < N_OPTIONS; i++)
            if (options[i].short_name == arg[1])
                return &options[i];
        return NULL;
    }
    for (int i = 0; i < N_OPTIONS; i++) {
        size_t len = strlen(options[i].name);

        if (strncmp(arg + 2, options[i].name, len) != 0)
            continue;
        if (arg[2 + len] == '\0')
            return &options[i];
        if (arg[2 + len] == '=' && options[i].has_arg) {
            *value = arg + 3 + len;
            return &options[i];
        }
    }
    return NULL;
}

static bool
parse_positive(const char *s, long max, long *out)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

/* Applies one option with its value; returns EXIT_OK or an exit status. */
static int
apply_option(struct cli *cli, const struct option_def *opt, const char *value)
{
    long n;

    switch (opt->id) {
    case OPT_DSN:
        cli->job.dsn = value;
        break;
    case OPT_AS_OF:
        if (cal_parse_timestamp(value, &cli->job.as_of) < 0)
            return usage_error("invalid --as-of \"%s\": expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]", value);
        cli->job.has_as_of = true;
        break;
    case OPT_LOOKBACK:
        if (!parse_positive(value, 100000, &n))
            return usage_error("invalid --lookback \"%s\": expected a whole number of days, at least 1", value);
        cli->job.lookback = (int) n;
        break;
    case OPT_FROM:
    case OPT_TO:
        if (cal_parse_date(value, opt->id == OPT_FROM ? &cli->job.from : &cli->job.to) < 0)
            return usage_error("invalid --%s \"%s\": expected a date YYYY-MM-DD", opt->name, value);
        *(opt->id == OPT_FROM ? &cli->have_from : &cli->have_to) = true;
        break;
    case OPT_OVERWRITE:
        cli->job.overwrite = true;
        break;
    case OPT_DRY_RUN:
        cli->job.dry_run = true;
        break;
    case OPT_WORKERS:
        if (!parse_positive(value, 64, &n))
            return usage_error("invalid --workers \"%s\": expected 1 to 64", value);
        cli->job.workers = (int) n;
        break;
    case OPT_BATCH_MEMORY:
        if (!parse_positive(value, 1 << 20, &n))
            return usage_error("invalid --batch-memory \"%s\": expected megabytes, at least 1", value);
        cli->job.batch_bytes = (size_t) n << 20;
        break;
    case OPT_QUIET:
        cli->quiet = true;
        break;
    case OPT_VERBOSE:
        cli->verbose = true;
        break;
    case OPT_HELP:
        usage(stdout);
        exit(EXIT_OK);
    case OPT_VERSION:
        puts("devpulse-etl " VERSION);
        exit(EXIT_OK);
    }
    return EXIT_OK;
}

static enum command
find_command(const char *name)
{
    for (int c = 1; c < N_COMMANDS; c++)
        if (strcmp(name, command_names[c]) == 0)
            return (enum command) c;
    return CMD_NONE;
}

/* Options may stand before or after the command, but a command's own options
 * only with it. */
static int
parse_args(int argc, char **argv, struct cli *cli)
{
    int status;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        const struct option_def *opt;

        if (arg[0] != '-' || arg[1] == '\0') {
            if (cli->command != CMD_NONE)
                return usage_error("unexpected argument \"%s\"", arg);
            if ((cli->command = find_command(arg)) == CMD_NONE)
                return usage_error("unknown command \"%s\"", arg);
            continue;
        }
        if ((opt = find_option(arg, &value)) == NULL)
            return usage_error("unknown option \"%s\"", arg);
        if (opt->commands != 0 && (cli->command == CMD_NONE ||
                                   !(opt->commands & (1u << cli->command))))
            return usage_error("option \"%s\" does not belong to this command", arg);
        if (opt->has_arg && value == NULL) {
            if (i + 1 >= argc)
                return usage_error("option \"%s\" needs a value", arg);
            value = argv[++i];
        }
        if ((status = apply_option(cli, opt, value)) != EXIT_OK)
            return status;
    }
    if (cli->command == CMD_NONE)
        return usage_error("%s", "no command given");
    if (cli->command == CMD_BACKFILL && (!cli->have_from || !cli->have_to))
        return usage_error("%s", "backfill needs --from DATE and --to DATE");
    if (cli->command == CMD_BACKFILL && cli->job.from > cli->job.to)
        return usage_error("%s", "--from is after --to");
    return EXIT_OK;
}

static int
run_migrate(const struct cli *cli)
{
    struct etl_error err;
    PGconn *conn = db_connect(cli->job.dsn, &err);
    int applied;

    if (conn == NULL) {
        fprintf(stderr, "devpulse-etl: %s\n", err.text);
        return EXIT_FAILED;
    }
    if (migrate_apply(conn, &applied, &err) < 0) {
        fprintf(stderr, "devpulse-etl: %s\n", err.text);
        PQfinish(conn);
        return EXIT_FAILED;
    }
    if (!cli->quiet)
        printf(applied ? "migrate: applied %d migration(s)\n"
                       : "migrate: the database is up to date%.0d\n", applied);
    PQfinish(conn);
    return EXIT_OK;
}

static const char *const phase_names[N_PHASES] = {"extract", "aggregate", "load", "goals"};

static void
print_warnings(const struct warnings *w, bool verbose)
{
    for (size_t i = 0; i < w->n; i++) {
        size_t shown = verbose ? w->items[i].n_ids : (w->items[i].n_ids < 5 ? w->items[i].n_ids : 5);

        fprintf(stderr, "warning: %s (%zu): ", w->items[i].reason, w->items[i].n_ids);
        for (size_t k = 0; k < shown; k++)
            fprintf(stderr, "%s%s", k ? ", " : "", w->items[i].ids[k]);
        if (shown < w->items[i].n_ids)
            fprintf(stderr, ", ... (-v lists all)");
        fputc('\n', stderr);
    }
}

static void
print_report(const struct cli *cli, const struct job_report *r)
{
    static const char *const platforms[4] = {"all", "devto", "github", "youtube"};
    static const char *const types[3] = {"daily", "weekly", "monthly"};
    char as_of[40];
    size_t read = 0;

    cal_format_timestamp(r->as_of, as_of);
    printf("%s%s as of %s\n", command_names[cli->command], cli->job.dry_run ? " (dry run)" : "", as_of);
    for (int t = 0; t < 5; t++) {
        printf("  read %-22s %10zu rows (%zu in scope)\n", extract_table_names[t],
               r->extract.rows_read[t], r->extract.rows_kept[t]);
        read += r->extract.rows_read[t];
    }
    printf("  subjects %d in %d batch(es)\n", r->subjects, r->batches);
    if (cli->command != CMD_GOALS) {
        for (int p = 0; p < 4; p++)
            for (int t = 0; t < 3; t++)
                if (r->snapshots.by_kind[p][t])
                    printf("  rows %-8s %-8s %10zu\n", platforms[p], types[t], r->snapshots.by_kind[p][t]);
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
        printf(" %s %.3f", phase_names[p], r->seconds[p]);
    printf("; %zu rows read; peak memory %ld MiB\n", read, r->peak_rss_kb / 1024);
}

int
main(int argc, char **argv)
{
    struct cli cli;
    struct job_report report;
    struct etl_error err;
    int status, rc;

    memset(&cli, 0, sizeof cli);
    cli.job.lookback = 3;
    if ((status = parse_args(argc, argv, &cli)) != EXIT_OK)
        return status;
    if (cli.command == CMD_MIGRATE)
        return run_migrate(&cli);
    cli.job.command = cli.command == CMD_NIGHTLY ? JOB_NIGHTLY
                    : cli.command == CMD_BACKFILL ? JOB_BACKFILL : JOB_GOALS;
    rc = job_run(&cli.job, &report, &err);
    if (rc == 0 || report.warnings.n > 0)
        print_warnings(&report.warnings, cli.verbose);
    if (rc == 0 && !cli.quiet)
        print_report(&cli, &report);
    job_report_term(&report);
    if (rc < 0) {
        fprintf(stderr, "devpulse-etl: %s %s\n", command_names[cli.command], err.text);
        return rc == JOB_BUSY ? EXIT_BUSY : EXIT_FAILED;
    }
    return EXIT_OK;
}
