/*
 * bench/kernel.c: the aggregation kernel alone, on rows already in memory.
 *
 *   kernel --as-of TS --from DATE --to DATE [--reps R] [--batch N] [--dsn DSN]
 *
 * Reads the database once the way the engine does (extract_begin,
 * scope_build, extract_bulk, scope_resolve_repositories, tz_load), plans a
 * backfill of [from, to] per subject exactly as plan.c does (cutoff, first
 * bucket day), then times agg_subjects -- the engine's OpenMP kernel, rows ->
 * per-day cumulative cells -- over every subject, in batches of --batch
 * subjects (default 2048, so the cells of one batch stay under 100 MiB, as the
 * engine's --batch-memory does), with 1, 2 and all threads
 * (omp_set_num_threads).  Nothing is formatted or written: metrics.c and
 * load.c are not part of the kernel.
 *
 * Why read the database instead of building rows in memory: the generator's
 * data is what the rest of the benchmark measures (its skew, its zones, its
 * workspaces sharing connections), and the rows arrive in memory exactly as
 * the engine holds them.  The read is not timed.
 *
 * Output, one line per thread count (all = nproc is left out when it is 1
 * or 2), for bench/run:
 *   threads T median_s M min_s A max_s B rows_in_scope N rows_visited V subjects S
 *           minflt_per_pass F sys_share X
 * rows_in_scope counts each in-scope source row once (the rows extract kept);
 * rows_visited counts a row once per subject that aggregates it (a member's
 * connection is aggregated for the member and for each workspace).
 * minflt_per_pass and sys_share (system CPU time / all CPU time) are the
 * process's getrusage over the timed passes: what the kernel spends in the
 * operating system, i.e. page faults on freshly allocated cells.  A last line
 *   memory source_rows_mib R batch_cells_mib C
 * gives the bytes of the decoded platform rows (with their per-connection
 * offsets and the connection map) and of the largest batch's cells.
 * Exit status: 0 done, 1 failure, 2 usage error.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "aggregate.h"
#include "calendar.h"
#include "db.h"
#include "extract.h"
#include "metrics.h"
#include "scope.h"
#include "tz.h"

#define MAX_REPS 100

struct options {
    const char *dsn;
    int64_t as_of;
    int32_t from, to;
    int reps;
    int32_t batch;
};

struct world {
    PGconn *conn;
    struct source src;
    struct scope scope;
    struct tz_table zones;
    struct warnings warn;
    struct extract_stats stats;
    int64_t *need_from;
    int32_t min_data_day;
};

static void
usage(FILE *out)
{
    fputs("usage: kernel --as-of TS --from DATE --to DATE [--reps R] [--batch N] [--dsn DSN]\n"
          "\n"
          "Times the engine's aggregation kernel (agg_subjects) on the database's rows,\n"
          "held in memory, for a backfill of DATE..DATE as of TS, with 1, 2 and all threads.\n"
          "  --reps R    timed repetitions per thread count (default 5; the median is printed)\n"
          "  --batch N   subjects per agg_subjects call (default 2048)\n"
          "  --dsn DSN   libpq connection string (else DATABASE_URL, else PG* variables)\n", out);
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int) v;
    return 0;
}

/* 0 to run, else the exit status. */
static int
parse_options(int argc, char **argv, struct options *o)
{
    bool have_as_of = false, have_from = false, have_to = false;

    memset(o, 0, sizeof *o);
    o->reps = 5;
    o->batch = 2048;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 0;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return -1;
        }
        if (value == NULL) {
            fprintf(stderr, "kernel: %s needs a value (or is unknown)\n", arg);
            return 2;
        }
        i++;
        if (strcmp(arg, "--dsn") == 0)
            o->dsn = value;
        else if (strcmp(arg, "--as-of") == 0)
            ok = cal_parse_timestamp(value, &o->as_of), have_as_of = true;
        else if (strcmp(arg, "--from") == 0)
            ok = cal_parse_date(value, &o->from), have_from = true;
        else if (strcmp(arg, "--to") == 0)
            ok = cal_parse_date(value, &o->to), have_to = true;
        else if (strcmp(arg, "--reps") == 0)
            ok = parse_int(value, 1, MAX_REPS, &o->reps);
        else if (strcmp(arg, "--batch") == 0)
            ok = parse_int(value, 1, 1 << 20, &o->batch);
        else {
            fprintf(stderr, "kernel: unknown option %s\n", arg);
            return 2;
        }
        if (ok < 0) {
            fprintf(stderr, "kernel: invalid value \"%s\" for %s\n", value, arg);
            return 2;
        }
    }
    if (!have_as_of || !have_from || !have_to || o->from > o->to) {
        fprintf(stderr, "kernel: --as-of, --from and --to are required, from <= to\n");
        return 2;
    }
    return 0;
}

/* Reads everything in one snapshot, as job.c's extract_all does. */
static int
load_world(const struct options *o, struct world *w, struct etl_error *err)
{
    char snapshot[64];

    if ((w->conn = db_connect(o->dsn, err)) == NULL ||
        extract_begin(w->conn, &w->src, snapshot, err) < 0)
        return -1;
    if (scope_build(&w->src, &w->scope, &w->warn, err) < 0) {
        db_rollback_quietly(w->conn);
        return -1;
    }
    if (extract_bulk(w->conn, o->dsn, snapshot, omp_get_num_procs(), w->scope.wanted, NULL,
                     &w->src, &w->stats, err) < 0 ||
        scope_resolve_repositories(&w->src, &w->scope, 0, w->scope.n_subjects, err) < 0)
        return -1;
    w->min_data_day = source_min_day(&w->src);
    return tz_load(w->conn, w->scope.zone_names, w->scope.n_zones, w->src.min_instant,
                   w->src.max_instant, o->as_of, &w->zones, err);
}

/* Cutoffs and the first day each subject needs, as plan.c's plan_subjects. */
static int
plan(const struct options *o, struct world *w, struct etl_error *err)
{
    w->need_from = malloc(sizeof *w->need_from * ((size_t) w->scope.n_subjects + 1));
    if (w->need_from == NULL)
        return etl_fail(err, "planning: out of memory");
    for (int32_t i = 0; i < w->scope.n_subjects; i++) {
        struct subject *s = &w->scope.subjects[i];
        int32_t hi;
        struct bucket *b;

        s->cutoff = tz_local_day(&w->zones.zones[s->zone], o->as_of) - 1;
        hi = o->to < s->cutoff ? o->to : s->cutoff;
        w->need_from[i] = INT64_MAX;
        if (o->from > hi)
            continue;
        if (metrics_plan_buckets(o->from, hi, &b) < 0)
            return etl_fail(err, "planning: out of memory");
        w->need_from[i] = (int64_t) b[0].start - 1;
        free(b);
    }
    return 0;
}

/* Rows agg_one_subject walks for subject s. */
static size_t
rows_visited(const struct source *src, const struct subject *s)
{
    size_t n = (size_t) s->n_repos;

    for (int32_t k = 0; k < s->n_conns; k++) {
        int32_t c = s->conns[k];

        n += src->contributions.off[c + 1] - src->contributions.off[c];
        n += src->channel_stats.off[c + 1] - src->channel_stats.off[c];
        n += src->repositories.off[c + 1] - src->repositories.off[c];
        n += src->videos.off[c + 1] - src->videos.off[c];
        n += src->articles.off[c + 1] - src->articles.off[c];
    }
    return n;
}

#define TABLE_BYTES(t, n_conns) ((t).n * sizeof *(t).rows + ((size_t) (n_conns) + 2) * sizeof(size_t))

/* What the decoded platform rows take in memory. */
static size_t
source_rows_bytes(const struct source *src)
{
    int32_t nc = src->n_connections;

    return TABLE_BYTES(src->contributions, nc) + TABLE_BYTES(src->channel_stats, nc) +
           TABLE_BYTES(src->repositories, nc) + TABLE_BYTES(src->videos, nc) +
           TABLE_BYTES(src->articles, nc);
}

/* One pass over every subject; returns the seconds spent in agg_subjects
 * and raises *max_cells to the largest batch's cell bytes. */
static double
one_pass(const struct world *w, const struct options *o, struct cells *cells,
         size_t *max_cells, struct etl_error *err)
{
    const struct agg_input in = {&w->src, &w->scope, &w->zones, w->min_data_day};
    double spent = 0;

    for (int32_t first = 0; first < w->scope.n_subjects; first += o->batch) {
        int32_t count = w->scope.n_subjects - first < o->batch ? w->scope.n_subjects - first
                                                                : o->batch;
        double t0 = now_seconds();
        int rc = agg_subjects(&in, first, count, w->need_from + first, cells, err);
        size_t bytes = 0;

        spent += now_seconds() - t0;
        for (int32_t i = 0; i < count; i++) {
            bytes += cells_bytes(&cells[i]);
            cells_term(&cells[i]);
        }
        if (bytes > *max_cells)
            *max_cells = bytes;
        if (rc < 0)
            return -1;
    }
    return spent;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

static double
cpu_seconds(const struct timeval *tv)
{
    return (double) tv->tv_sec + (double) tv->tv_usec / 1e6;
}

static int
measure(const struct world *w, const struct options *o, struct etl_error *err)
{
    int counts[3] = {1, 2, omp_get_num_procs()};
    struct cells *cells = calloc((size_t) o->batch, sizeof *cells);
    size_t in_scope = 0, visited = 0, max_cells = 0;
    double t[MAX_REPS], sys, user;
    struct rusage before, after;

    if (cells == NULL)
        return etl_fail(err, "kernel: out of memory");
    for (int k = 0; k < 5; k++)
        in_scope += w->stats.rows_kept[k];
    for (int32_t i = 0; i < w->scope.n_subjects; i++)
        if (w->need_from[i] != INT64_MAX)
            visited += rows_visited(&w->src, &w->scope.subjects[i]);
    for (int c = 0; c < 3; c++) {
        if (c == 2 && (counts[2] == 1 || counts[2] == 2))
            break;              /* "all" is one of the counts already measured */
        omp_set_num_threads(counts[c]);
        if (one_pass(w, o, cells, &max_cells, err) < 0)      /* warm-up: page faults, caches */
            goto out_fail;
        getrusage(RUSAGE_SELF, &before);
        for (int r = 0; r < o->reps; r++)
            if ((t[r] = one_pass(w, o, cells, &max_cells, err)) < 0)
                goto out_fail;
        getrusage(RUSAGE_SELF, &after);
        qsort(t, (size_t) o->reps, sizeof t[0], compare_doubles);
        sys = cpu_seconds(&after.ru_stime) - cpu_seconds(&before.ru_stime);
        user = cpu_seconds(&after.ru_utime) - cpu_seconds(&before.ru_utime);
        printf("threads %d median_s %.6f min_s %.6f max_s %.6f rows_in_scope %zu"
               " rows_visited %zu subjects %d minflt_per_pass %ld sys_share %.3f\n",
               counts[c], t[o->reps / 2], t[0], t[o->reps - 1], in_scope, visited,
               w->scope.n_subjects, (after.ru_minflt - before.ru_minflt) / o->reps,
               sys + user > 0 ? sys / (sys + user) : 0.0);
        fflush(stdout);
    }
    printf("memory source_rows_mib %.1f batch_cells_mib %.1f\n",
           (double) source_rows_bytes(&w->src) / 1048576, (double) max_cells / 1048576);
    free(cells);
    return 0;

out_fail:
    free(cells);
    return -1;
}

int
main(int argc, char **argv)
{
    struct options o;
    struct world w;
    struct etl_error err = {0};
    int rc = parse_options(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? 0 : rc;
    memset(&w, 0, sizeof w);
    rc = load_world(&o, &w, &err) < 0 || plan(&o, &w, &err) < 0 || measure(&w, &o, &err) < 0;
    if (rc)
        fprintf(stderr, "kernel: %s\n", err.text);
    free(w.need_from);
    tz_table_term(&w.zones);
    scope_term(&w.scope);
    source_term(&w.src);
    warnings_term(&w.warn);
    PQfinish(w.conn);
    return rc;
}
