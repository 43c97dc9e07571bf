/*
 * cli_options.c: the command line and job files -> struct cli.  Entry point:
 * cli_parse_args.
 *
 * One table names every option: its long and short spelling, the kind of its
 * value, the commands it belongs to, and whether a job file may set it.  The
 * command line is read as getopt_long reads it; a job file's keys (`run
 * FILE`) go through the same apply_option, so a job file accepts exactly what
 * the command line does, and the command line overrides the file.
 *
 * Nothing here prints or exits: a usage error is a message in cli->message,
 * with any connection string it would quote hidden, and -?/-V are answered
 * by cli.c.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cancel.h"
#include "cli_options.h"
#include "job.h"

#define BIT(c) (1u << (c))
#define RUN_COMMANDS (BIT(CMD_NIGHTLY) | BIT(CMD_BACKFILL) | BIT(CMD_GOALS))
#define ANYWHERE 0u

enum option_id {
    OPT_DSN, OPT_DBNAME, OPT_HOST, OPT_PORT, OPT_USERNAME, OPT_SOURCE_DSN, OPT_AS_OF, OPT_LOOKBACK, OPT_FROM, OPT_TO, OPT_OVERWRITE, OPT_DRY_RUN,
    OPT_RESUME, OPT_WORKERS, OPT_LOADERS, OPT_BATCH_MEMORY, OPT_WAIT, OPT_RETRIES, OPT_KEEP_DAYS,
    OPT_SHARD, OPT_LOG_FORMAT, OPT_QUIET, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_CHECK,
    OPT_METRICS_FILE, OPT_FORMAT,
};

/* What a value is, in a job file: a flag is a JSON boolean. */
enum arg_kind { ARG_FLAG, ARG_TEXT, ARG_INTEGER, ARG_NUMBER };

struct option_def {
    enum option_id id;
    const char *name;
    char short_name;
    enum arg_kind kind;
    unsigned commands;        /* where it belongs; ANYWHERE: also before the command */
    bool in_job_file;
};

static const struct option_def options[] = {
    {OPT_DSN, "dsn", 0, ARG_TEXT, ANYWHERE, false},
    /* psql's and pg_dump's connection options */
    {OPT_DBNAME, "dbname", 'd', ARG_TEXT, ANYWHERE, false},
    {OPT_HOST, "host", 'h', ARG_TEXT, ANYWHERE, false},
    {OPT_PORT, "port", 'p', ARG_TEXT, ANYWHERE, false},
    {OPT_USERNAME, "username", 'U', ARG_TEXT, ANYWHERE, false},
    {OPT_SOURCE_DSN, "source-dsn", 0, ARG_TEXT, RUN_COMMANDS, false},
    {OPT_AS_OF, "as-of", 0, ARG_TEXT, RUN_COMMANDS | BIT(CMD_STATUS), true},
    {OPT_LOOKBACK, "lookback", 0, ARG_INTEGER, BIT(CMD_NIGHTLY), true},
    {OPT_FROM, "from", 0, ARG_TEXT, BIT(CMD_BACKFILL), true},
    {OPT_TO, "to", 0, ARG_TEXT, BIT(CMD_BACKFILL), true},
    {OPT_OVERWRITE, "overwrite", 0, ARG_FLAG, BIT(CMD_BACKFILL), true},
    {OPT_DRY_RUN, "dry-run", 0, ARG_FLAG, BIT(CMD_BACKFILL), true},
    {OPT_RESUME, "resume", 0, ARG_FLAG, BIT(CMD_BACKFILL), true},
    {OPT_WORKERS, "workers", 0, ARG_INTEGER, RUN_COMMANDS, true},
    {OPT_LOADERS, "loaders", 0, ARG_INTEGER, BIT(CMD_BACKFILL), true},
    {OPT_BATCH_MEMORY, "batch-memory", 0, ARG_INTEGER, RUN_COMMANDS, true},
    {OPT_WAIT, "wait", 0, ARG_NUMBER, RUN_COMMANDS, true},
    {OPT_RETRIES, "retries", 0, ARG_INTEGER, RUN_COMMANDS, true},
    {OPT_KEEP_DAYS, "keep-days", 0, ARG_INTEGER, RUN_COMMANDS, true},
    {OPT_SHARD, "shard", 0, ARG_TEXT, RUN_COMMANDS, true},
    {OPT_LOG_FORMAT, "log-format", 0, ARG_TEXT, ANYWHERE, true},
    {OPT_QUIET, "quiet", 'q', ARG_FLAG, ANYWHERE, true},
    {OPT_VERBOSE, "verbose", 'v', ARG_FLAG, ANYWHERE, true},
    {OPT_HELP, "help", '?', ARG_FLAG, ANYWHERE, false},
    {OPT_VERSION, "version", 'V', ARG_FLAG, ANYWHERE, false},
    {OPT_CHECK, "check", 0, ARG_FLAG, BIT(CMD_MIGRATE), false},
    {OPT_METRICS_FILE, "metrics-file", 0, ARG_TEXT, RUN_COMMANDS, true},
    {OPT_FORMAT, "format", 0, ARG_TEXT, BIT(CMD_STATUS), false},
};
#define N_OPTIONS ((int) (sizeof options / sizeof options[0]))

/* ---------------------------------------------------------------- usage errors */

static int usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Usage errors quote what they refuse ("unknown option \"--dsnn=...\""), and
 * what they refuse may be a connection string with its password: a
 * mistyped --dsn=, a DSN without --dsn, a DSN given to another option.  A
 * quoted part that holds '@', "://" or '=' is not shown; of "--name=value"
 * only "--name=" is.
 */
static void
hide_connection_strings(char *msg, size_t size)
{
    char *out = malloc(size);
    size_t n = 0;
    const char *p = msg, *open, *close;

    if (out == NULL) {
        msg[0] = '\0';     /* nothing rather than a password */
        return;
    }
    while ((open = strchr(p, '"')) != NULL) {
        bool closed = (close = strchr(open + 1, '"')) != NULL;   /* else cut off by the size */
        size_t len = closed ? (size_t) (close - open - 1) : strlen(open + 1);
        const char *eq = memchr(open + 1, '=', len);

        n += (size_t) snprintf(out + n, size - n, "%.*s", (int) (open + 1 - p), p);
        if (n >= size)
            break;
        if (memchr(open + 1, '@', len) == NULL && eq == NULL && !memmem(open + 1, len, "://", 3))
            n += (size_t) snprintf(out + n, size - n, "%.*s", (int) len, open + 1);
        else if (strncmp(open + 1, "--", 2) == 0 && eq != NULL)
            n += (size_t) snprintf(out + n, size - n, "%.*s...", (int) (eq + 1 - open - 1), open + 1);
        else
            n += (size_t) snprintf(out + n, size - n, "...");
        if (n >= size || !closed) {
            p = "";
            break;
        }
        out[n++] = '"';
        p = close + 1;
    }
    if (n < size)
        snprintf(out + n, size - n, "%s", p);
    memcpy(msg, out, size);
    msg[size - 1] = '\0';
    free(out);
}

static int
usage_error(struct cli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cli->message, sizeof cli->message, fmt, ap);
    va_end(ap);
    hide_connection_strings(cli->message, sizeof cli->message);
    return EXIT_USAGE;
}

/* ---------------------------------------------------------------- options */

static const struct option_def *
find_long(const char *name, size_t len)
{
    for (int i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(name, options[i].name, len) == 0)
            return &options[i];
    return NULL;
}

static const struct option_def *
find_short(char c)
{
    for (int i = 0; i < N_OPTIONS; i++)
        if (c != '\0' && options[i].short_name == c)
            return &options[i];
    return NULL;
}

static bool
parse_whole(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if ((s[0] < '0' || s[0] > '9') && !(s[0] == '-' && min < 0))
        return false;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool
parse_seconds(const char *s, double *out)
{
    char *end;
    double v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || v < 0 || v > 86400 * 7)
        return false;
    *out = v;
    return true;
}

static bool
parse_shard(const char *s, int *k, int *n)
{
    long kk, nn;
    char part[16];
    const char *slash = strchr(s, '/');

    if (slash == NULL || slash - s >= (long) sizeof part)
        return false;
    memcpy(part, s, (size_t) (slash - s));
    part[slash - s] = '\0';
    if (!parse_whole(part, 1, 1024, &kk) || !parse_whole(slash + 1, 1, 1024, &nn) || kk > nn)
        return false;
    *k = (int) kk;
    *n = (int) nn;
    return true;
}

/* A port, or libpq's comma-separated list of them (one per host). */
static bool
parse_ports(const char *s)
{
    char part[8];
    long n;

    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");

        if (len == 0 || len >= sizeof part)
            return false;
        memcpy(part, p, len);
        part[len] = '\0';
        if (!parse_whole(part, 1, 65535, &n))
            return false;
        p += len;
        if (*p == '\0')
            return true;
    }
}

/* Applies one option with its value; returns EXIT_OK, EXIT_USAGE or, for
 * -? and -V, CLI_SHOW_HELP or CLI_SHOW_VERSION. */
static int
apply_option(struct cli *cli, const struct option_def *opt, const char *value)
{
    struct job_options *job = &cli->job;
    long n;

    switch (opt->id) {
    case OPT_DSN:
        cli->target.dsn = value;
        break;
    case OPT_DBNAME:
        cli->target.dbname = value;
        break;
    case OPT_HOST:
        cli->target.host = value;
        break;
    case OPT_PORT:
        if (value[0] != '\0' && !parse_ports(value))
            return usage_error(cli, "invalid --port \"%s\": expected a port number, 1 to 65535", value);
        cli->target.port = value;
        break;
    case OPT_USERNAME:
        cli->target.user = value;
        break;
    case OPT_SOURCE_DSN:
        job->source_dsn = value;
        break;
    case OPT_AS_OF:
        if (cal_parse_timestamp(value, &job->as_of) < 0)
            return usage_error(cli, "invalid --as-of \"%s\": expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]", value);
        job->has_as_of = true;
        break;
    case OPT_LOOKBACK:
        if (!parse_whole(value, 1, 100000, &n))
            return usage_error(cli, "invalid --lookback \"%s\": expected a whole number of days, at least 1", value);
        job->lookback = (int) n;
        break;
    case OPT_FROM:
    case OPT_TO:
        if (cal_parse_date(value, opt->id == OPT_FROM ? &job->from : &job->to) < 0)
            return usage_error(cli, "invalid --%s \"%s\": expected a date YYYY-MM-DD", opt->name, value);
        *(opt->id == OPT_FROM ? &cli->have_from : &cli->have_to) = true;
        break;
    case OPT_OVERWRITE:
        job->overwrite = true;
        break;
    case OPT_DRY_RUN:
        job->dry_run = true;
        break;
    case OPT_RESUME:
        job->resume = true;
        break;
    case OPT_WORKERS:
        if (!parse_whole(value, 1, 64, &n))
            return usage_error(cli, "invalid --workers \"%s\": expected 1 to 64", value);
        job->workers = (int) n;
        break;
    case OPT_LOADERS:
        if (!parse_whole(value, 1, 16, &n))
            return usage_error(cli, "invalid --loaders \"%s\": expected 1 to 16", value);
        job->loaders = (int) n;
        break;
    case OPT_BATCH_MEMORY:
        if (!parse_whole(value, 1, 1 << 20, &n))
            return usage_error(cli, "invalid --batch-memory \"%s\": expected megabytes, at least 1", value);
        job->batch_bytes = (size_t) n << 20;
        break;
    case OPT_WAIT:
        if (!parse_seconds(value, &job->wait_seconds))
            return usage_error(cli, "invalid --wait \"%s\": expected seconds, 0 to 604800", value);
        break;
    case OPT_RETRIES:
        if (!parse_whole(value, 0, 100, &n))
            return usage_error(cli, "invalid --retries \"%s\": expected 0 to 100", value);
        job->retries = (int) n;
        break;
    case OPT_KEEP_DAYS:
        if (!parse_whole(value, 1, 100000, &n))
            return usage_error(cli, "invalid --keep-days \"%s\": expected a whole number of days, at least 1", value);
        job->keep_days = (int) n;
        break;
    case OPT_SHARD:
        if (!parse_shard(value, &job->shard, &job->shards))
            return usage_error(cli, "invalid --shard \"%s\": expected K/N with 1 <= K <= N <= 1024", value);
        break;
    case OPT_LOG_FORMAT:
    case OPT_FORMAT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
            return usage_error(cli, "invalid --%s \"%s\": expected text or json", opt->name, value);
        *(opt->id == OPT_FORMAT ? &cli->status_json : &cli->json) = strcmp(value, "json") == 0;
        break;
    case OPT_QUIET:
        cli->quiet = true;
        break;
    case OPT_VERBOSE:
        cli->verbose = true;
        break;
    case OPT_HELP:
        return CLI_SHOW_HELP;
    case OPT_VERSION:
        return CLI_SHOW_VERSION;
    case OPT_CHECK:
        cli->check = true;
        break;
    case OPT_METRICS_FILE:
        if (value[0] == '\0')
            return usage_error(cli, "%s", "invalid --metrics-file \"\": expected a file name");
        cli->metrics_path = value;
        break;
    }
    return EXIT_OK;
}

static enum cli_command
find_command(const char *name)
{
    for (int c = 1; c < N_COMMANDS; c++)
        if (strcmp(name, cli_command_names[c]) == 0)
            return (enum cli_command) c;
    return CMD_NONE;
}

static bool
belongs(const struct option_def *opt, enum cli_command command)
{
    return opt->commands == ANYWHERE ||
           (command != CMD_NONE && (opt->commands & BIT(command)));
}

/* ---------------------------------------------------------------- job files */

/* The option's value as text, when the JSON type is the right one. */
static bool
job_value_text(const struct option_def *opt, json_t *v, char *buf, size_t size, const char **out)
{
    switch (opt->kind) {
    case ARG_FLAG:
        *out = json_is_true(v) ? "true" : NULL;
        return json_is_boolean(v);
    case ARG_TEXT:
        *out = json_string_value(v);
        return json_is_string(v);
    case ARG_INTEGER:
        if (!json_is_integer(v))
            return false;
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = buf;
        return true;
    case ARG_NUMBER:
    default:
        if (!json_is_number(v))
            return false;
        snprintf(buf, size, "%.17g", json_number_value(v));
        *out = buf;
        return true;
    }
}

static const char *const kind_names[] = {"true or false", "a string", "a whole number", "a number"};

static int
apply_job_entry(struct cli *cli, const struct jobfile *jf, const struct jobfile_entry *e)
{
    const struct option_def *opt = find_long(e->key, strlen(e->key));
    char buf[64];
    const char *value;
    int status;

    if (strcmp(e->key, "command") == 0 || strcmp(e->key, "description") == 0)
        return EXIT_OK;
    if (opt == NULL || opt->id == OPT_HELP || opt->id == OPT_VERSION)
        return usage_error(cli, "%s:%d:%d: unknown key \"%s\"", jf->path, e->line, e->column, e->key);
    if (!belongs(opt, cli->command))
        return usage_error(cli, "%s:%d:%d: \"%s\" does not belong to command %s", jf->path,
                           e->line, e->column, e->key, cli_command_names[cli->command]);
    /* What a job may not set is where the database is. */
    if (!opt->in_job_file)
        return usage_error(cli, "%s:%d:%d: \"%s\" does not belong in a job file: pass the"
                           " database by DATABASE_URL (or DEVPULSE_SOURCE_URL), in an"
                           " environment file", jf->path, e->line, e->column, e->key);
    if (!job_value_text(opt, e->value, buf, sizeof buf, &value))
        return usage_error(cli, "%s:%d:%d: \"%s\" must be %s", jf->path, e->line, e->column,
                           e->key, kind_names[opt->kind]);
    if (value == NULL)
        return EXIT_OK;         /* a flag set to false */
    if ((status = apply_option(cli, opt, value)) != EXIT_OK) {
        char detail[sizeof cli->message];

        snprintf(detail, sizeof detail, "%s", cli->message);
        return usage_error(cli, "%s:%d:%d: %s", jf->path, e->line, e->column, detail);
    }
    return EXIT_OK;
}

/* Reads the job file: its command, then its options.  Nothing is touched. */
static int
apply_job_file(struct cli *cli, struct jobfile *jf)
{
    struct etl_error err;
    const struct jobfile_entry *cmd;
    const char *name;
    int status;

    if (jobfile_read(cli->job_path, jf, &err) < 0) {
        usage_error(cli, "%s", err.text);
        return cancel_requested() ? EXIT_SIGNALLED + cancel_requested() : EXIT_USAGE;
    }
    if ((cmd = jobfile_find(jf, "command")) == NULL)
        return usage_error(cli, "%s:1:1: a job file needs \"command\": \"nightly\", \"backfill\""
                           " or \"goals\"", jf->path);
    name = json_string_value(cmd->value);
    cli->command = name != NULL ? find_command(name) : CMD_NONE;
    if (!(RUN_COMMANDS & BIT(cli->command)))
        return usage_error(cli, "%s:%d:%d: \"command\" must be \"nightly\", \"backfill\" or"
                           " \"goals\"", jf->path, cmd->line, cmd->column);
    for (size_t i = 0; i < jf->n; i++)
        if (strcmp(jf->entries[i].key, "description") == 0 && !json_is_string(jf->entries[i].value))
            return usage_error(cli, "%s:%d:%d: \"description\" must be a string", jf->path,
                               jf->entries[i].line, jf->entries[i].column);
        else if ((status = apply_job_entry(cli, jf, &jf->entries[i])) != EXIT_OK)
            return status;
    return EXIT_OK;
}

/* ---------------------------------------------------------------- parsing */

/*
 * The command line, read as getopt_long reads it: options and words in any
 * order, a long option's value after "=" or in the next argument, short
 * options grouped ("-qv") with a value attached ("-p5432") or in the next
 * argument, and "--" ending the options.
 */
struct arg_reader {
    int argc;
    char **argv;
    int next;                   /* the next argument */
    const char *group;          /* the rest of a group of short options, or NULL */
    bool words_only;            /* after "--" */
};

struct arg {
    const struct option_def *opt;   /* NULL: a word (or the end, when value is NULL) */
    const char *value;              /* the word, or the option's value (NULL for a flag) */
    char spelled[64];               /* the option as written, for messages */
};

static int
option_value(struct cli *cli, struct arg_reader *r, struct arg *a)
{
    if (a->opt->kind == ARG_FLAG)
        return EXIT_OK;
    if (r->next >= r->argc)
        return usage_error(cli, "option \"%s\" needs a value", a->spelled);
    a->value = r->argv[r->next++];
    return EXIT_OK;
}

static int
read_long(struct cli *cli, struct arg_reader *r, const char *arg, struct arg *a)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq != NULL ? (size_t) (eq - arg) : strlen(arg);

    snprintf(a->spelled, sizeof a->spelled, "%.*s", (int) len, arg);
    if ((a->opt = find_long(arg + 2, len - 2)) == NULL)
        return usage_error(cli, "unknown option \"%s\"", arg);
    if (eq == NULL)
        return option_value(cli, r, a);
    if (a->opt->kind == ARG_FLAG)
        return usage_error(cli, "option \"%s\" takes no value", a->spelled);
    a->value = eq + 1;
    return EXIT_OK;
}

/* The next word or option; a->opt and a->value NULL at the end. */
static int
read_arg(struct cli *cli, struct arg_reader *r, struct arg *a)
{
    const char *arg;

    memset(a, 0, sizeof *a);
    if (r->group == NULL) {
        for (;;) {
            if (r->next >= r->argc)
                return EXIT_OK;
            arg = r->argv[r->next++];
            if (r->words_only || strcmp(arg, "--") != 0)
                break;
            r->words_only = true;
        }
        if (r->words_only || arg[0] != '-' || arg[1] == '\0') {
            a->value = arg;
            return EXIT_OK;
        }
        if (arg[1] == '-')
            return read_long(cli, r, arg, a);
        r->group = arg + 1;
    }
    snprintf(a->spelled, sizeof a->spelled, "-%c", *r->group);
    a->opt = find_short(*r->group++);
    if (*r->group == '\0')
        r->group = NULL;
    if (a->opt == NULL)
        return usage_error(cli, "unknown option \"%s\"", a->spelled);
    if (a->opt->kind != ARG_FLAG && r->group != NULL) {
        a->value = r->group;        /* -p5432 */
        r->group = NULL;
        return EXIT_OK;
    }
    return option_value(cli, r, a);
}

/* --log-format json anywhere on the command line, read past any mistake in
 * it, so that the usage error itself is logged in the format asked for. */
static void
find_log_format(int argc, char **argv, struct cli *cli)
{
    struct arg_reader r = {argc, argv, 1, NULL, false};
    struct cli scratch;         /* takes the messages of mistakes: cli keeps its own */
    struct arg a;

    while (r.next < argc || r.group != NULL)
        if (read_arg(&scratch, &r, &a) == EXIT_OK && a.opt != NULL &&
            a.opt->id == OPT_LOG_FORMAT && a.value != NULL)
            cli->json = strcmp(a.value, "json") == 0;
}

/* The command and, for `run`, the job file, before any option is applied. */
static int
find_command_word(int argc, char **argv, struct cli *cli)
{
    struct arg_reader r = {argc, argv, 1, NULL, false};
    struct arg a;
    int status;

    while ((status = read_arg(cli, &r, &a)) == EXIT_OK && (a.opt != NULL || a.value != NULL)) {
        if (a.opt == NULL) {
            if (cli->command == CMD_RUN && cli->job_path == NULL) {
                cli->job_path = a.value;
                continue;
            }
            if (cli->command != CMD_NONE)
                return usage_error(cli, "unexpected argument \"%s\"", a.value);
            if ((cli->command = find_command(a.value)) == CMD_NONE)
                return usage_error(cli, "unknown command \"%s\"", a.value);
        } else if (a.opt->id == OPT_HELP || a.opt->id == OPT_VERSION) {
            return apply_option(cli, a.opt, NULL);
        }
    }
    if (status != EXIT_OK)
        return status;
    if (cli->command == CMD_NONE)
        return usage_error(cli, "%s", "no command given");
    if (cli->command == CMD_RUN && cli->job_path == NULL)
        return usage_error(cli, "%s", "run needs a job file, e.g. devpulse-etl run jobs/nightly.json");
    return EXIT_OK;
}

/* Options may stand before or after the command, but a command's own options
 * only after it (after `run FILE`, those of the file's command). */
static int
apply_command_line(int argc, char **argv, struct cli *cli, enum cli_command word)
{
    struct arg_reader r = {argc, argv, 1, NULL, false};
    bool seen_command = false;
    struct arg a;
    int status;

    while ((status = read_arg(cli, &r, &a)) == EXIT_OK && (a.opt != NULL || a.value != NULL)) {
        if (a.opt == NULL) {
            seen_command = true;
            continue;
        }
        if (!belongs(a.opt, seen_command ? cli->command : CMD_NONE))
            return usage_error(cli, "option \"%s\" does not belong to %s", a.spelled,
                               word == CMD_RUN ? "this job's command" : "this command");
        if ((status = apply_option(cli, a.opt, a.value)) != EXIT_OK)
            return status;
    }
    return status;
}

static int
check_combinations(struct cli *cli)
{
    const struct job_options *job = &cli->job;
    struct etl_error err;

    if (job->has_as_of &&
        job_check_as_of(job->as_of, cli->command == CMD_NIGHTLY ? job->lookback : 0, &err) < 0)
        return usage_error(cli, "%s", err.text);
    if (cli->command != CMD_BACKFILL)
        return EXIT_OK;
    if (cli->have_from != cli->have_to || (!cli->have_from && !job->resume))
        return usage_error(cli, "%s", "backfill needs --from DATE and --to DATE (or --resume)");
    if (cli->have_from && job->from > job->to)
        return usage_error(cli, "%s", "--from is after --to");
    if (job->resume && job->has_as_of)
        return usage_error(cli, "%s", "--resume continues with the as-of instant of the run it"
                           " resumes: leave out --as-of");
    if (job->resume && job->dry_run)
        return usage_error(cli, "%s", "--resume and --dry-run do not go together");
    return EXIT_OK;
}

int
cli_parse_args(int argc, char **argv, struct cli *cli, struct jobfile *jf)
{
    enum cli_command word;
    int status;

    find_log_format(argc, argv, cli);
    if ((status = find_command_word(argc, argv, cli)) != EXIT_OK)
        return status;
    word = cli->command;
    if (word == CMD_RUN && (status = apply_job_file(cli, jf)) != EXIT_OK)
        return status;
    if ((status = apply_command_line(argc, argv, cli, word)) != EXIT_OK)
        return status;
    cli->job.has_range = cli->have_from;
    if ((status = check_combinations(cli)) != EXIT_OK && word == CMD_RUN) {
        char detail[sizeof cli->message];

        snprintf(detail, sizeof detail, "%s", cli->message);
        return usage_error(cli, "%s: %s", cli->job_path, detail);
    }
    return status;
}

