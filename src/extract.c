/*
 * extract.c: the source tables -> struct source, in one snapshot.
 *
 * Entry points: extract_begin (opens the read snapshot, then the small
 * tables through source.c), extract_bulk (the five platform tables),
 * extract_load_part (one partition's rows back from spill.c),
 * extract_estimate_bytes (to choose the partitions).
 *
 * Invariants:
 * - Every table is read in one snapshot: the main connection exports it and
 *   each worker connection imports it before its COPY.
 * - Large tables are split into ctid ranges (TID range scans), one COPY per
 *   chunk; chunks are decoded (copybin.c) by OpenMP threads, each into its
 *   own array, and merged afterwards by a counting sort on the connection
 *   number.  No thread writes what another reads.
 * - A COPY is always drained to its end and its final result checked, even
 *   after a local decoding error (psql's handleCopyOut).
 * - What leaves here is grouped by connection and put in order of day by
 *   agg_prep.c, whether it was held whole or went through the spill files.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_prep.h"
#include "bulk.h"
#include "calendar.h"
#include "cancel.h"
#include "copybin.h"
#include "db.h"
#include "extract.h"
#include "source.h"
#include "spill.h"

#define CHUNK_PAGES 4096        /* 32 MiB of heap per COPY */

int
extract_begin(PGconn *conn, struct source *src, char *snapshot_id, struct etl_error *err)
{
    PGresult *res;

    memset(src, 0, sizeof *src);
    if (db_exec(conn, "starting the read transaction",
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) < 0)
        return -1;
    res = db_query(conn, "exporting the snapshot", "SELECT pg_export_snapshot()", 0, NULL,
                   PGRES_TUPLES_OK, err);
    if (res == NULL)
        goto out_rollback;
    snprintf(snapshot_id, 64, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (source_read(conn, src, err) < 0)
        goto out_rollback;
    return 0;

out_rollback:
    db_rollback_quietly(conn);
    return -1;
}

/* A chunk: one COPY of one table's ctid range, decoded into rows of its own. */
struct chunk {
    enum bulk_table table;
    long first_page, end_page;      /* end_page < 0: to the end of the table */
    char *rows;
    size_t n, cap, read, kept, bytes;
    int64_t min_instant, max_instant;
    int32_t min_day, max_day;       /* of the date-typed rows */
    struct etl_error err;
    bool failed;
};

static int
chunk_append(struct chunk *c, size_t row_size, void **slot)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        char *rows = realloc(c->rows, cap * row_size);

        if (rows == NULL)
            return -1;
        c->rows = rows;
        c->cap = cap;
    }
    *slot = c->rows + c->n * row_size;
    /* Zeroed, padding included: rows are written whole to spill files. */
    memset(*slot, 0, row_size);
    return 0;
}

/* Gives back the room a chunk's doubling left unused: a chunk is held until
 * the merge, and that room would otherwise be up to half of it. */
static void
chunk_fit(struct chunk *c)
{
    char *rows;

    if (c->n == c->cap)
        return;
    if (c->n == 0) {
        free(c->rows);
        c->rows = NULL;
        c->cap = 0;
        return;
    }
    if ((rows = realloc(c->rows, c->n * bulk_specs[c->table].row_size)) != NULL) {
        c->rows = rows;
        c->cap = c->n;
    }
}

static void
chunk_sql(const struct chunk *c, char *buf, size_t size)
{
    const struct bulk_spec *spec = &bulk_specs[c->table];
    char range[128] = "";
    const char *joiner = spec->where ? " AND " : "";

    if (c->first_page > 0 || c->end_page >= 0) {
        int len = snprintf(range, sizeof range, "%sctid >= '(%ld,0)'::tid", joiner, c->first_page);

        if (c->end_page >= 0)
            snprintf(range + len, sizeof range - (size_t) len,
                     " AND ctid < '(%ld,0)'::tid", c->end_page);
    }
    snprintf(buf, size, "COPY (SELECT %s FROM %s%s%s%s) TO STDOUT (FORMAT binary)",
             spec->columns, bulk_table_names[c->table], (spec->where || range[0]) ? " WHERE " : "",
             spec->where ? spec->where : "", range);
}

/* Decodes one tuple buffer into the chunk; -1 stops decoding (err set). */
static int
chunk_take(struct chunk *c, struct copybin_decoder *dec, const char *buf, int len,
           const struct uuid_map *conns, const bool *wanted)
{
    const struct bulk_spec *spec = &bulk_specs[c->table];
    struct copybin_field f[BULK_MAX_FIELDS];
    int nf = copybin_split_tuple(dec, buf, (size_t) len, f, BULK_MAX_FIELDS, &c->err);
    struct uuid id;
    int32_t conn;
    int64_t instant = TS_NEG_INF;     /* stays so for tables without one */
    void *slot;

    c->bytes += (size_t) len;
    if (nf <= 0)
        return nf;
    if (nf != spec->nfields || !copybin_field_has_len(&f[0], 16, false))
        return etl_fail(&c->err, "COPY %s: unexpected tuple shape", bulk_table_names[c->table]);
    c->read++;
    copybin_uuid(&f[0], &id);
    conn = uuid_map_get(conns, &id);
    if (conn < 0 || !wanted[conn])
        return 0;
    if (chunk_append(c, spec->row_size, &slot) < 0)
        return etl_fail(&c->err, "COPY %s: out of memory", bulk_table_names[c->table]);
    *(int32_t *) slot = conn;       /* every row type starts with its connection */
    if (spec->decode(f, slot, &instant) < 0)
        return etl_fail(&c->err, "COPY %s: malformed field", bulk_table_names[c->table]);
    if (instant != TS_NEG_INF && instant != TS_POS_INF) {
        if (instant < c->min_instant)
            c->min_instant = instant;
        if (instant > c->max_instant)
            c->max_instant = instant;
    }
    if (c->table == BULK_CONTRIBUTIONS || c->table == BULK_CHANNEL_STATS) {
        int32_t day = ((const int32_t *) slot)[1];     /* (conn, day, ...) */

        if (day != DAY_NEG_INF && day < c->min_day)
            c->min_day = day;
        if (day != DAY_POS_INF && day > c->max_day)
            c->max_day = day;
    }
    c->n++;
    c->kept++;
    return 0;
}

/* Runs one COPY and drains it to the end whatever happens locally. */
static void
chunk_copy(PGconn *conn, struct chunk *c, const struct uuid_map *conns, const bool *wanted)
{
    struct copybin_decoder dec = {false, false};
    char sql[1024];
    PGresult *res;
    char *buf;
    int len;
    bool local_failure = false;

    chunk_sql(c, sql, sizeof sql);
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        db_fail(&c->err, "COPY out failed", conn, res);
        PQclear(res);
        c->failed = true;
        return;
    }
    PQclear(res);
    while ((len = PQgetCopyData(conn, &buf, 0)) > 0) {
        if (!local_failure && chunk_take(c, &dec, buf, len, conns, wanted) < 0)
            local_failure = true;
        PQfreemem(buf);
    }
    if (len == -2)
        db_fail(&c->err, "COPY out failed", conn, NULL);
    res = PQgetResult(conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (!local_failure)
            db_fail(&c->err, "COPY out failed", conn, res);
        local_failure = true;
    }
    PQclear(res);
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
    if (!local_failure && len == -2)
        local_failure = true;
    if (!local_failure && !dec.trailer_seen) {
        etl_fail(&c->err, "COPY %s: no trailer", bulk_table_names[c->table]);
        local_failure = true;
    }
    c->failed = local_failure;
}

static PGconn *
worker_connect(const char *dsn, const char *snapshot_id, struct etl_error *err)
{
    PGconn *conn = db_connect(dsn, err);
    char *literal, sql[256];

    if (conn == NULL)
        return NULL;
    literal = PQescapeLiteral(conn, snapshot_id, strlen(snapshot_id));
    if (literal == NULL) {
        db_fail(err, "escaping the snapshot id", conn, NULL);
        db_close(conn);
        return NULL;
    }
    snprintf(sql, sizeof sql,
             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT %s",
             literal);
    PQfreemem(literal);
    if (db_exec(conn, "importing the read snapshot", sql, err) < 0) {
        db_close(conn);
        return NULL;
    }
    return conn;
}

/* Pages per table, read in the run's snapshot. */
static int
table_pages(PGconn *conn, long pages[BULK_N_TABLES], struct etl_error *err)
{
    char names[256] = "{";
    const char *params[1] = {names};
    PGresult *res;

    for (int t = 0; t < BULK_N_TABLES; t++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", t ? "," : "",
                 bulk_table_names[t]);
    strcat(names, "}");
    res = db_query(conn, "measuring the source tables",
                   "SELECT pg_relation_size(t::regclass) / current_setting('block_size')::bigint"
                   " FROM unnest($1::text[]) WITH ORDINALITY u(t, k) ORDER BY k",
                   1, params, PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    for (int t = 0; t < BULK_N_TABLES; t++)
        pages[t] = strtol(PQgetvalue(res, t, 0), NULL, 10);
    PQclear(res);
    return 0;
}

/* A heap tuple of the source tables takes at least this many bytes of a
 * page (header, line pointer, two uuids, a date or instant, counters). */
#define MIN_TUPLE_BYTES 80

int
extract_estimate_bytes(PGconn *conn, size_t *bytes, struct etl_error *err)
{
    long pages[BULK_N_TABLES];

    if (table_pages(conn, pages, err) < 0)
        return -1;
    *bytes = 0;
    for (int t = 0; t < BULK_N_TABLES; t++)
        *bytes += (size_t) pages[t] * 8192 / MIN_TUPLE_BYTES * bulk_specs[t].row_size;
    return 0;
}

static struct chunk *
plan_chunks(const long pages[BULK_N_TABLES], int *n_chunks)
{
    int n = 0;
    struct chunk *chunks;

    for (int t = 0; t < BULK_N_TABLES; t++)
        n += (int) (pages[t] / CHUNK_PAGES) + 1;
    chunks = calloc((size_t) n, sizeof *chunks);
    if (chunks == NULL)
        return NULL;
    n = 0;
    for (int t = 0; t < BULK_N_TABLES; t++) {
        long parts = pages[t] / CHUNK_PAGES + 1;

        for (long k = 0; k < parts; k++) {
            struct chunk *c = &chunks[n++];

            c->table = (enum bulk_table) t;
            c->first_page = k * CHUNK_PAGES;
            c->end_page = k + 1 < parts ? (k + 1) * CHUNK_PAGES : -1;
            c->min_instant = TS_POS_INF;
            c->max_instant = TS_NEG_INF;
            c->min_day = DAY_POS_INF;
            c->max_day = DAY_NEG_INF;
        }
    }
    *n_chunks = n;
    return chunks;
}

/* Writes a chunk's rows to the spill files of the partitions that need
 * them, and frees them. */
static void
spill_chunk(struct spill_router *r, struct chunk *c)
{
    if (spill_write(r, (int) c->table, c->rows, c->n, bulk_specs[c->table].row_size,
                    &c->err) < 0)
        c->failed = true;
    free(c->rows);
    c->rows = NULL;
    c->n = c->cap = 0;
}

static int
run_chunks(const char *dsn, const char *snapshot_id, int workers, struct chunk *chunks,
           int n_chunks, const struct uuid_map *conns, const bool *wanted,
           struct spill_router *router, struct etl_error *err)
{
    int failed = 0;

    if (workers < 1)
        workers = 1;
#pragma omp parallel num_threads(workers) reduction(+:failed)
    {
        struct etl_error local;
        PGconn *conn = worker_connect(dsn, snapshot_id, &local);

        if (conn == NULL) {
            failed++;
#pragma omp critical(extract_error)
            *err = local;
        }
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n_chunks; i++) {
            /* A stop request cancels the COPYs in flight (cancel.c); the
             * chunks not started yet are left alone. */
            if (conn == NULL || cancel_requested() != 0)
                continue;
            chunk_copy(conn, &chunks[i], conns, wanted);
            if (chunks[i].failed)
                continue;
            if (router != NULL)
                spill_chunk(router, &chunks[i]);    /* and freed */
            else
                chunk_fit(&chunks[i]);              /* held until the merge */
        }
        if (conn != NULL) {
            PQclear(PQexec(conn, "COMMIT"));
            db_close(conn);
        }
    }
    if (failed == 0 && cancel_requested() != 0)
        return etl_fail(err, "reading the source tables: cancelled");
    for (int i = 0; i < n_chunks && failed == 0; i++)
        if (chunks[i].failed) {
            *err = chunks[i].err;
            failed++;
        }
    return failed ? -1 : 0;
}

/*
 * Grouping rows by connection: a counting sort, in two passes over the rows
 * (count, then place), so that only the sorted copy is built and never a
 * second one.  A table's arrays go to src when its rows are all placed.
 */
struct merge {
    int32_t n_conns;
    size_t *off[BULK_N_TABLES];        /* calloc'd, n_conns + 2: counts, then offsets */
    size_t *pos[BULK_N_TABLES];        /* the next free slot of each connection */
    char *rows[BULK_N_TABLES];
};

static int
merge_start(struct merge *m, int32_t n_conns)
{
    memset(m, 0, sizeof *m);
    m->n_conns = n_conns;
    for (int t = 0; t < BULK_N_TABLES; t++)
        if ((m->off[t] = calloc((size_t) n_conns + 2, sizeof(size_t))) == NULL)
            return -1;
    return 0;
}

static void
merge_count(struct merge *m, enum bulk_table t, const char *rows, size_t n)
{
    size_t row_size = bulk_specs[t].row_size;

    for (size_t r = 0; r < n; r++)
        m->off[t][*(const int32_t *) (rows + r * row_size) + 1]++;
}

/* From table t's counts to its offsets and room for its rows. */
static int
merge_reserve(struct merge *m, enum bulk_table t)
{
    size_t *off = m->off[t];
    size_t n_pos = (size_t) m->n_conns + 1;

    for (int32_t c = 0; c < m->n_conns; c++)
        off[c + 1] += off[c];
    m->rows[t] = malloc(off[m->n_conns] ? off[m->n_conns] * bulk_specs[t].row_size : 1);
    m->pos[t] = malloc(sizeof(size_t) * n_pos);
    if (m->rows[t] == NULL || m->pos[t] == NULL)
        return -1;
    memcpy(m->pos[t], off, sizeof(size_t) * n_pos);
    return 0;
}

static void
merge_place(struct merge *m, enum bulk_table t, const char *rows, size_t n)
{
    size_t row_size = bulk_specs[t].row_size;

    for (size_t r = 0; r < n; r++) {
        const char *row = rows + r * row_size;

        memcpy(m->rows[t] + m->pos[t][*(const int32_t *) row]++ * row_size, row, row_size);
    }
}

/* Where table t's rows live in src. */
static void
table_of(struct source *src, enum bulk_table t, void ***rows, size_t **n, size_t ***off)
{
#define TABLE_OF(field) \
    do { *rows = (void **) &src->field.rows; *n = &src->field.n; *off = &src->field.off; } while (0)
    switch (t) {
    case BULK_CONTRIBUTIONS: TABLE_OF(contributions); break;
    case BULK_CHANNEL_STATS: TABLE_OF(channel_stats); break;
    case BULK_REPOSITORIES: TABLE_OF(repositories); break;
    case BULK_VIDEOS: TABLE_OF(videos); break;
    default: TABLE_OF(articles); break;
    }
#undef TABLE_OF
}

/* Hands table t's placed rows to src. */
static void
merge_give(struct merge *m, enum bulk_table t, struct source *src)
{
    void **rows;
    size_t *n, **off;

    table_of(src, t, &rows, &n, &off);
    *rows = m->rows[t];
    *n = m->off[t][m->n_conns];
    *off = m->off[t];
    free(m->pos[t]);
    m->rows[t] = NULL;
    m->off[t] = NULL;
    m->pos[t] = NULL;
}

/* Frees what merge_give did not hand over (after a failure). */
static void
merge_end(struct merge *m)
{
    for (int t = 0; t < BULK_N_TABLES; t++) {
        free(m->off[t]);
        free(m->pos[t]);
        free(m->rows[t]);
    }
}

/* The chunks' rows into src's tables, grouped by connection and, within a
 * connection, the date-typed ones by day.  Table by table, each chunk freed
 * once placed: the peak is the chunks plus one sorted table. */
static int
merge_all(struct chunk *chunks, int n_chunks, struct source *src, struct etl_error *err)
{
    struct merge m;
    int rc = merge_start(&m, src->n_connections);

    for (int t = 0; t < BULK_N_TABLES && rc == 0; t++) {
        for (int i = 0; i < n_chunks; i++)
            if (chunks[i].table == (enum bulk_table) t)
                merge_count(&m, t, chunks[i].rows, chunks[i].n);
        if ((rc = merge_reserve(&m, t)) < 0)
            break;
        for (int i = 0; i < n_chunks; i++)
            if (chunks[i].table == (enum bulk_table) t) {
                merge_place(&m, t, chunks[i].rows, chunks[i].n);
                free(chunks[i].rows);
                chunks[i].rows = NULL;
            }
        merge_give(&m, t, src);
    }
    merge_end(&m);
    if (rc < 0)
        return etl_fail(err, "extract: out of memory");
    agg_prep_rows(src);
    return 0;
}

int
extract_bulk(PGconn *conn, const char *dsn, const char *snapshot_id, int workers,
             const bool *wanted, struct spill_router *router, struct source *src,
             struct extract_stats *stats, struct etl_error *err)
{
    long pages[BULK_N_TABLES];
    struct chunk *chunks;
    struct etl_error main_err;
    int n_chunks, rc = -1;

    memset(stats, 0, sizeof *stats);
    if (table_pages(conn, pages, err) < 0)
        goto out_rollback;
    if ((chunks = plan_chunks(pages, &n_chunks)) == NULL) {
        etl_fail(err, "extract: out of memory");
        goto out_rollback;
    }
    src->min_instant = TS_POS_INF;
    src->max_instant = TS_NEG_INF;
    src->min_day = DAY_POS_INF;
    src->max_day = DAY_NEG_INF;
    if (run_chunks(dsn, snapshot_id, workers, chunks, n_chunks,
                   &src->connection_index, wanted, router, err) < 0)
        goto out_free_chunks;
    for (int i = 0; i < n_chunks; i++) {
        stats->rows_read[chunks[i].table] += chunks[i].read;
        stats->rows_kept[chunks[i].table] += chunks[i].kept;
        stats->bytes += chunks[i].bytes;
        if (chunks[i].min_instant < src->min_instant)
            src->min_instant = chunks[i].min_instant;
        if (chunks[i].max_instant > src->max_instant)
            src->max_instant = chunks[i].max_instant;
        if (chunks[i].min_day < src->min_day)
            src->min_day = chunks[i].min_day;
        if (chunks[i].max_day > src->max_day)
            src->max_day = chunks[i].max_day;
    }
    stats->partitions = router != NULL ? router->n_parts : 1;
    if (router != NULL) {
        rc = 0;         /* the rows wait in the spill files */
        goto out_free_chunks;
    }
    rc = merge_all(chunks, n_chunks, src, err);

out_free_chunks:
    for (int i = 0; i < n_chunks; i++)
        free(chunks[i].rows);
    free(chunks);
out_rollback:
    /* Rows name their connections by number from here on. */
    uuid_map_term(&src->connection_index);
    /* The read-only snapshot transaction has done its work either way.  A
     * session lost meanwhile (a replica ends an idle one that stands in the
     * way of replay) fails here, with the server's reason, rather than at
     * its next use, where libpq only knows that it is gone. */
    if (db_exec(conn, "ending the read transaction", "ROLLBACK", &main_err) < 0) {
        /* When the replica ended this session, a worker importing its
         * snapshot fails too ("invalid snapshot identifier"), which is only
         * the consequence: the recovery conflict is the reason, and the one
         * a retry can get past. */
        if (rc == 0 || etl_error_recovery_conflict(&main_err))
            *err = main_err;
        rc = -1;
    }
    return rc;
}

/* One pass over a spill file: merge_count or merge_place for every piece. */
struct spill_pass {
    struct merge *m;
    void (*step)(struct merge *m, enum bulk_table t, const char *rows, size_t n);
};

static int
spill_visit(void *ctx, int t, const char *rows, size_t n, size_t row_size)
{
    const struct spill_pass *pass = ctx;

    if (t < 0 || t >= BULK_N_TABLES || row_size != bulk_specs[t].row_size)
        return -1;
    pass->step(pass->m, (enum bulk_table) t, rows, n);
    return 0;
}

/* Reads partition part's spill file twice (count, place): the partition's
 * rows are in memory once, not twice. */
int
extract_load_part(struct spill_router *r, int part, struct source *src, struct etl_error *err)
{
    struct merge m;
    struct spill_pass count = {&m, merge_count}, place = {&m, merge_place};
    int rc = -1;

    source_clear_rows(src);
    if (merge_start(&m, src->n_connections) < 0) {
        etl_fail(err, "reading a spill file: out of memory");
        goto out;
    }
    if (spill_scan(r, part, spill_visit, &count, err) < 0)
        goto out;
    for (int t = 0; t < BULK_N_TABLES; t++)
        if (merge_reserve(&m, t) < 0) {
            etl_fail(err, "reading a spill file: out of memory");
            goto out;
        }
    if (spill_scan(r, part, spill_visit, &place, err) < 0)
        goto out;
    for (int t = 0; t < BULK_N_TABLES; t++)
        merge_give(&m, t, src);
    agg_prep_rows(src);
    rc = 0;
out:
    merge_end(&m);
    /* Each partition is read once: give its disk space back now. */
    spill_drop(r, part);
    return rc;
}
