/*
 * extract.c: COPY ... TO STDOUT: bytes -> typed rows.
 *
 * Entry points: extract_begin (snapshot + small tables), extract_bulk (the
 * five platform tables), source_term.
 *
 * Invariants:
 * - Every table is read in one snapshot: the main connection exports it and
 *   each worker connection imports it before its COPY.
 * - Large tables are split into ctid ranges (TID range scans), one COPY per
 *   chunk; chunks are decoded by OpenMP threads, each into its own array, and
 *   merged afterwards by a counting sort on the connection number.  No thread
 *   writes what another reads.
 * - A COPY is always drained to its end and its final result checked, even
 *   after a local decoding error (psql's handleCopyOut).
 */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cancel.h"
#include "db.h"
#include "extract.h"

#define CHUNK_PAGES 4096        /* 32 MiB of heap per COPY */
#define MAX_FIELDS 8

const char *const extract_table_names[5] = {
    "github_contributions", "youtube_channel_stats", "github_repositories",
    "youtube_videos", "devto_articles",
};

enum bulk_table { T_CONTRIB, T_STATS, T_REPOS, T_VIDEOS, T_ARTICLES, N_BULK };

/* ---------------------------------------------------------------- decoder */

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
be64(const unsigned char *p)
{
    return (uint64_t) be32(p) << 32 | be32(p + 4);
}

int32_t copy_int2(const struct copy_field *f) { return (int16_t) ((f->p[0] << 8) | f->p[1]); }
int32_t copy_int4(const struct copy_field *f) { return (int32_t) be32(f->p); }
int64_t copy_int8(const struct copy_field *f) { return (int64_t) be64(f->p); }
int32_t copy_date(const struct copy_field *f) { return (int32_t) be32(f->p); }
int64_t copy_timestamptz(const struct copy_field *f) { return (int64_t) be64(f->p); }
bool copy_bool(const struct copy_field *f) { return f->p[0] != 0; }

void
copy_uuid(const struct copy_field *f, struct uuid *out)
{
    memcpy(out->b, f->p, 16);
}

bool
copy_field_has_len(const struct copy_field *f, int32_t len, bool nullable)
{
    return f->len == len || (nullable && f->len == -1);
}

static const unsigned char copy_signature[11] = "PGCOPY\n\377\r\n";

int
copy_split_tuple(struct copy_decoder *d, const char *buf, size_t len,
                 struct copy_field *fields, int max, struct etl_error *err)
{
    const unsigned char *p = (const unsigned char *) buf, *end = p + len;
    int nfields;

    if (!d->header_done) {
        uint32_t ext;

        if (len < 19 || memcmp(p, copy_signature, 11) != 0)
            return etl_fail(err, "COPY data: bad binary header");
        ext = be32(p + 15);
        if (ext > len - 19)
            return etl_fail(err, "COPY data: bad header extension length");
        p += 19 + ext;
        d->header_done = true;
    }
    if (end - p < 2)
        return etl_fail(err, "COPY data: truncated tuple");
    nfields = (int16_t) ((p[0] << 8) | p[1]);
    p += 2;
    if (nfields == -1) {
        d->trailer_seen = true;
        return 0;
    }
    if (nfields < 0 || nfields > max)
        return etl_fail(err, "COPY data: unexpected field count %d", nfields);
    for (int i = 0; i < nfields; i++) {
        int32_t flen;

        if (end - p < 4)
            return etl_fail(err, "COPY data: truncated field header");
        flen = (int32_t) be32(p);
        p += 4;
        if (flen < -1 || (flen > 0 && end - p < flen))
            return etl_fail(err, "COPY data: bad field length %d", flen);
        fields[i].p = p;
        fields[i].len = flen;
        if (flen > 0)
            p += flen;
    }
    if (p != end)
        return etl_fail(err, "COPY data: trailing bytes after tuple");
    return nfields;
}

/* ------------------------------------------------------------ small tables */

static int
parse_uuid_field(const PGresult *res, int row, int col, struct uuid *out, struct etl_error *err)
{
    if (uuid_parse(PQgetvalue(res, row, col), out) < 0)
        return etl_fail(err, "unexpected uuid \"%s\"", PQgetvalue(res, row, col));
    return 0;
}

/* The field's text, interned in src->strings; 0 or -1. */
static int
intern_text(struct source *src, const PGresult *res, int row, int col, const char **out,
            struct etl_error *err)
{
    /* A NULL in a column the schema makes NOT NULL (a source that does not
     * enforce it) reads as the empty string, never as a NULL pointer. */
    if ((*out = strpool_intern(&src->strings, PQgetvalue(res, row, col))) == NULL)
        return etl_fail(err, "reading the small tables: out of memory");
    return 0;
}

/* The same for a nullable column: NULL for SQL NULL. */
static int
intern_nullable(struct source *src, const PGresult *res, int row, int col, const char **out,
                struct etl_error *err)
{
    *out = NULL;
    return PQgetisnull(res, row, col) ? 0 : intern_text(src, res, row, col, out, err);
}

/* A date column as PostgreSQL's day number (days since 2000-01-01), the
 * infinities as DAY_POS_INF / DAY_NEG_INF: no text form to parse, so years
 * past 9999 and BC dates arrive as they are. */
#define DAY_NUMBER(col) \
    "CASE WHEN " col " = 'infinity' THEN 2147483647 WHEN " col " = '-infinity'" \
    " THEN -2147483648 ELSE " col " - date '2000-01-01' END"

static PGresult *
select_rows(PGconn *conn, const char *what, const char *sql, struct etl_error *err)
{
    return db_query(conn, what, sql, 0, NULL, PGRES_TUPLES_OK, err);
}

static int
lookup(const struct uuid_map *map, const PGresult *res, int row, int col,
       int32_t *out, struct etl_error *err)
{
    struct uuid u;

    if (PQgetisnull(res, row, col)) {
        *out = -1;
        return 0;
    }
    if (parse_uuid_field(res, row, col, &u, err) < 0)
        return -1;
    *out = uuid_map_get(map, &u);
    if (*out < 0)
        return etl_fail(err, "row refers to unknown id %s", PQgetvalue(res, row, col));
    return 0;
}

struct maps {
    struct uuid_map profiles, workspaces, connections;
};

static int
read_profiles(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading profiles",
                                "SELECT id, timezone FROM profiles ORDER BY id", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->profiles = calloc((size_t) n + 1, sizeof *src->profiles);
    if (src->profiles == NULL || uuid_map_init(&maps->profiles, (size_t) n) < 0)
        goto out_nomem;
    for (int i = 0; i < n; i++) {
        struct profile *p = &src->profiles[i];

        if (parse_uuid_field(res, i, 0, &p->id, err) < 0 ||
            intern_nullable(src, res, i, 1, &p->timezone, err) < 0)
            goto out_clear;
        src->n_profiles = i + 1;
        if (uuid_map_put(&maps->profiles, &p->id, i) < 0)
            goto out_nomem;
    }
    PQclear(res);
    return 0;

out_nomem:
    etl_fail(err, "reading profiles: out of memory");
out_clear:
    PQclear(res);
    return -1;
}

static int
read_workspaces(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading workspaces",
                                "SELECT id, owner_id FROM workspaces ORDER BY id", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->workspaces = calloc((size_t) n + 1, sizeof *src->workspaces);
    if (src->workspaces == NULL || uuid_map_init(&maps->workspaces, (size_t) n) < 0) {
        PQclear(res);
        return etl_fail(err, "reading workspaces: out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct workspace *w = &src->workspaces[i];

        if (parse_uuid_field(res, i, 0, &w->id, err) < 0 ||
            lookup(&maps->profiles, res, i, 1, &w->owner, err) < 0 ||
            uuid_map_put(&maps->workspaces, &w->id, i) < 0) {
            PQclear(res);
            return -1;
        }
        src->n_workspaces = i + 1;
    }
    PQclear(res);
    return 0;
}

static int
read_members(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading workspace members",
                                "SELECT workspace_id, user_id FROM workspace_members", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->members = calloc((size_t) n + 1, sizeof *src->members);
    if (src->members == NULL) {
        PQclear(res);
        return etl_fail(err, "reading workspace members: out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct member *m = &src->members[i];

        if (lookup(&maps->workspaces, res, i, 0, &m->workspace, err) < 0 ||
            lookup(&maps->profiles, res, i, 1, &m->profile, err) < 0) {
            PQclear(res);
            return -1;
        }
        src->n_members = i + 1;
    }
    PQclear(res);
    return 0;
}

static int
read_connections(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading platform connections",
                                "SELECT id, user_id, platform, is_active"
                                " FROM platform_connections ORDER BY id", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->connections = calloc((size_t) n + 1, sizeof *src->connections);
    if (src->connections == NULL || uuid_map_init(&maps->connections, (size_t) n) < 0) {
        PQclear(res);
        return etl_fail(err, "reading platform connections: out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct connection *c = &src->connections[i];

        if (parse_uuid_field(res, i, 0, &c->id, err) < 0 ||
            lookup(&maps->profiles, res, i, 1, &c->user, err) < 0 ||
            uuid_map_put(&maps->connections, &c->id, i) < 0 ||
            intern_text(src, res, i, 2, &c->platform_name, err) < 0) {
            PQclear(res);
            return -1;
        }
        c->platform = platform_from_name(c->platform_name);
        c->active = PQgetvalue(res, i, 3)[0] == 't';
        src->n_connections = i + 1;
    }
    PQclear(res);
    return 0;
}

static int
read_monitors(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading monitors",
                                "SELECT id, user_id, workspace_id, platform_connection_id,"
                                " platform, monitor_type, platform_resource_id, is_active"
                                " FROM monitors ORDER BY id", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->monitors = calloc((size_t) n + 1, sizeof *src->monitors);
    if (src->monitors == NULL) {
        PQclear(res);
        return etl_fail(err, "reading monitors: out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct monitor *m = &src->monitors[i];

        if (parse_uuid_field(res, i, 0, &m->id, err) < 0 ||
            lookup(&maps->profiles, res, i, 1, &m->user, err) < 0 ||
            lookup(&maps->workspaces, res, i, 2, &m->workspace, err) < 0 ||
            lookup(&maps->connections, res, i, 3, &m->connection, err) < 0 ||
            intern_text(src, res, i, 4, &m->platform, err) < 0 ||
            intern_text(src, res, i, 5, &m->type, err) < 0 ||
            intern_nullable(src, res, i, 6, &m->resource_id, err) < 0) {
            PQclear(res);
            return -1;
        }
        m->active = PQgetvalue(res, i, 7)[0] == 't';
        src->n_monitors = i + 1;
    }
    PQclear(res);
    return 0;
}

static int
read_goals(PGconn *conn, struct source *src, struct maps *maps, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading goals",
                                "SELECT id, user_id, workspace_id, platform, goal_type, unit,"
                                " target_value::text, target_value < 0, " DAY_NUMBER("start_date") ","
                                " " DAY_NUMBER("end_date")
                                " FROM goals ORDER BY id", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->goals = calloc((size_t) n + 1, sizeof *src->goals);
    if (src->goals == NULL) {
        PQclear(res);
        return etl_fail(err, "reading goals: out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct goal *g = &src->goals[i];

        if (parse_uuid_field(res, i, 0, &g->id, err) < 0 ||
            lookup(&maps->profiles, res, i, 1, &g->user, err) < 0 ||
            lookup(&maps->workspaces, res, i, 2, &g->workspace, err) < 0 ||
            intern_text(src, res, i, 3, &g->platform, err) < 0 ||
            intern_text(src, res, i, 4, &g->goal_type, err) < 0 ||
            intern_text(src, res, i, 5, &g->unit, err) < 0 ||
            intern_text(src, res, i, 6, &g->target_value, err) < 0) {
            PQclear(res);
            return -1;
        }
        g->target_negative = PQgetvalue(res, i, 7)[0] == 't';
        g->start_date = (int32_t) strtol(PQgetvalue(res, i, 8), NULL, 10);
        g->end_date = PQgetisnull(res, i, 9) ? DAY_POS_INF
                                             : (int32_t) strtol(PQgetvalue(res, i, 9), NULL, 10);
        src->n_goals = i + 1;
    }
    PQclear(res);
    return 0;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
read_zone_names(PGconn *conn, struct source *src, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading pg_timezone_names",
                                "SELECT name FROM pg_timezone_names", err);
    int n;

    if (res == NULL)
        return -1;
    n = PQntuples(res);
    src->zone_names = calloc((size_t) n + 1, sizeof *src->zone_names);
    if (src->zone_names == NULL) {
        PQclear(res);
        return etl_fail(err, "reading pg_timezone_names: out of memory");
    }
    for (int i = 0; i < n; i++) {
        src->zone_names[i] = strdup(PQgetvalue(res, i, 0));
        src->n_zone_names = i + 1;
    }
    PQclear(res);
    qsort(src->zone_names, (size_t) n, sizeof *src->zone_names, compare_strings);
    return 0;
}

static int
read_server_now(PGconn *conn, struct source *src, struct etl_error *err)
{
    PGresult *res = select_rows(conn, "reading the server clock",
                                "SELECT ((extract(epoch FROM now()) - 946684800) * 1000000)::bigint",
                                err);

    if (res == NULL)
        return -1;
    src->server_now = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static void
maps_term(struct maps *maps)
{
    uuid_map_term(&maps->profiles);
    uuid_map_term(&maps->workspaces);
    uuid_map_term(&maps->connections);
}

int
extract_begin(PGconn *conn, struct source *src, char *snapshot_id, struct etl_error *err)
{
    struct maps maps;
    PGresult *res;
    int rc = -1;

    memset(&maps, 0, sizeof maps);
    memset(src, 0, sizeof *src);
    if (db_exec(conn, "starting the read transaction",
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) < 0)
        return -1;
    res = select_rows(conn, "exporting the snapshot", "SELECT pg_export_snapshot()", err);
    if (res == NULL)
        goto out_rollback;
    snprintf(snapshot_id, 64, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (read_server_now(conn, src, err) < 0 ||
        read_profiles(conn, src, &maps, err) < 0 ||
        read_workspaces(conn, src, &maps, err) < 0 ||
        read_members(conn, src, &maps, err) < 0 ||
        read_connections(conn, src, &maps, err) < 0 ||
        read_monitors(conn, src, &maps, err) < 0 ||
        read_goals(conn, src, &maps, err) < 0 ||
        read_zone_names(conn, src, err) < 0)
        goto out_rollback;
    src->connection_index = maps.connections;    /* extract_bulk needs it, then frees it */
    memset(&maps.connections, 0, sizeof maps.connections);
    rc = 0;
    goto out_maps;

out_rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
out_maps:
    maps_term(&maps);
    return rc;
}

/* ------------------------------------------------------------ bulk tables */

struct bulk_spec {
    const char *select;          /* columns and FROM; the connection id first */
    const char *where;           /* extra condition or NULL */
    int nfields;
    size_t row_size;
    /* Decodes fields into row (conn already set); -1 on a malformed field. */
    int (*decode)(const struct copy_field *f, void *row, int64_t *instant);
};

static int
decode_contribution(const struct copy_field *f, void *out, int64_t *instant)
{
    struct contribution_row *r = out;

    (void) instant;
    if (!copy_field_has_len(&f[1], 4, false) || !copy_field_has_len(&f[2], 4, false) ||
        !copy_field_has_len(&f[3], 4, false) || !copy_field_has_len(&f[4], 4, false) ||
        !copy_field_has_len(&f[5], 4, false))
        return -1;
    r->day = copy_date(&f[1]);
    r->commits = copy_int4(&f[2]);
    r->pull_requests = copy_int4(&f[3]);
    r->issues = copy_int4(&f[4]);
    r->repositories = copy_int4(&f[5]);
    return 0;
}

static int
decode_channel_stat(const struct copy_field *f, void *out, int64_t *instant)
{
    struct channel_stat_row *r = out;

    (void) instant;
    if (!copy_field_has_len(&f[1], 4, false) || !copy_field_has_len(&f[2], 8, false) ||
        !copy_field_has_len(&f[3], 8, false))
        return -1;
    r->day = copy_date(&f[1]);
    r->subscribers = copy_int8(&f[2]);
    r->views = copy_int8(&f[3]);
    return 0;
}

static int
decode_repository(const struct copy_field *f, void *out, int64_t *instant)
{
    struct repository_row *r = out;

    if (!copy_field_has_len(&f[1], 8, false) || !copy_field_has_len(&f[2], 8, false))
        return -1;
    for (int i = 3; i < 7; i++)
        if (!copy_field_has_len(&f[i], 4, false))
            return -1;
    r->github_repo_id = copy_int8(&f[1]);
    r->created_at = *instant = copy_timestamptz(&f[2]);
    r->stars = copy_int4(&f[3]);
    r->forks = copy_int4(&f[4]);
    r->watchers = copy_int4(&f[5]);
    r->open_issues = copy_int4(&f[6]);
    return 0;
}

static int
decode_video(const struct copy_field *f, void *out, int64_t *instant)
{
    struct video_row *r = out;

    if (!copy_field_has_len(&f[1], 8, false) || !copy_field_has_len(&f[2], 4, false) ||
        !copy_field_has_len(&f[3], 4, false))
        return -1;
    r->published_at = *instant = copy_timestamptz(&f[1]);
    r->likes = copy_int4(&f[2]);
    r->comments = copy_int4(&f[3]);
    return 0;
}

static int
decode_article(const struct copy_field *f, void *out, int64_t *instant)
{
    struct article_row *r = out;

    for (int i = 2; i < 5; i++)
        if (!copy_field_has_len(&f[i], 4, false))
            return -1;
    if (!copy_field_has_len(&f[1], 8, false))
        return -1;
    r->published_at = *instant = copy_timestamptz(&f[1]);
    r->views = copy_int4(&f[2]);
    r->reactions = copy_int4(&f[3]);
    r->comments = copy_int4(&f[4]);
    return 0;
}

static const struct bulk_spec bulk_specs[N_BULK] = {
    [T_CONTRIB] = {"platform_connection_id, date, commits_count, pull_requests_count,"
                   " issues_count, repositories_contributed_to FROM github_contributions",
                   NULL, 6, sizeof(struct contribution_row), decode_contribution},
    [T_STATS] = {"platform_connection_id, date, subscriber_count, total_views"
                 " FROM youtube_channel_stats",
                 NULL, 4, sizeof(struct channel_stat_row), decode_channel_stat},
    [T_REPOS] = {"platform_connection_id, github_repo_id, created_at, stars_count,"
                 " forks_count, watchers_count, open_issues_count FROM github_repositories",
                 NULL, 7, sizeof(struct repository_row), decode_repository},
    [T_VIDEOS] = {"platform_connection_id, published_at, like_count, comment_count"
                  " FROM youtube_videos",
                  NULL, 4, sizeof(struct video_row), decode_video},
    /* Drafts never count (SPEC.md section 3): not even read. */
    [T_ARTICLES] = {"platform_connection_id, published_at, view_count, reaction_count,"
                    " comment_count FROM devto_articles",
                    "published_at IS NOT NULL", 5, sizeof(struct article_row), decode_article},
};

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
    snprintf(buf, size, "COPY (SELECT %s%s%s%s) TO STDOUT (FORMAT binary)",
             spec->select, (spec->where || range[0]) ? " WHERE " : "",
             spec->where ? spec->where : "", range);
}

/* Decodes one tuple buffer into the chunk; -1 stops decoding (err set). */
static int
chunk_take(struct chunk *c, struct copy_decoder *dec, const char *buf, int len,
           const struct uuid_map *conns, const bool *wanted)
{
    const struct bulk_spec *spec = &bulk_specs[c->table];
    struct copy_field f[MAX_FIELDS];
    int nf = copy_split_tuple(dec, buf, (size_t) len, f, MAX_FIELDS, &c->err);
    struct uuid id;
    int32_t conn;
    int64_t instant = TS_NEG_INF;     /* stays so for tables without one */
    void *slot;

    c->bytes += (size_t) len;
    if (nf <= 0)
        return nf;
    if (nf != spec->nfields || !copy_field_has_len(&f[0], 16, false))
        return etl_fail(&c->err, "COPY %s: unexpected tuple shape", extract_table_names[c->table]);
    c->read++;
    copy_uuid(&f[0], &id);
    conn = uuid_map_get(conns, &id);
    if (conn < 0 || !wanted[conn])
        return 0;
    if (chunk_append(c, spec->row_size, &slot) < 0)
        return etl_fail(&c->err, "COPY %s: out of memory", extract_table_names[c->table]);
    *(int32_t *) slot = conn;       /* every row type starts with its connection */
    if (spec->decode(f, slot, &instant) < 0)
        return etl_fail(&c->err, "COPY %s: malformed field", extract_table_names[c->table]);
    if (instant != TS_NEG_INF && instant != TS_POS_INF) {
        if (instant < c->min_instant)
            c->min_instant = instant;
        if (instant > c->max_instant)
            c->max_instant = instant;
    }
    if (c->table == T_CONTRIB || c->table == T_STATS) {
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
    struct copy_decoder dec = {false, false};
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
        etl_fail(&c->err, "COPY %s: no trailer", extract_table_names[c->table]);
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
table_pages(PGconn *conn, long pages[N_BULK], struct etl_error *err)
{
    PGresult *res = select_rows(conn, "measuring the source tables",
                                "SELECT pg_relation_size(t::regclass)"
                                "       / current_setting('block_size')::bigint"
                                " FROM unnest(ARRAY['github_contributions',"
                                " 'youtube_channel_stats', 'github_repositories',"
                                " 'youtube_videos', 'devto_articles']) WITH ORDINALITY u(t, k)"
                                " ORDER BY k", err);

    if (res == NULL)
        return -1;
    for (int t = 0; t < N_BULK; t++)
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
    long pages[N_BULK];

    if (table_pages(conn, pages, err) < 0)
        return -1;
    *bytes = 0;
    for (int t = 0; t < N_BULK; t++)
        *bytes += (size_t) pages[t] * 8192 / MIN_TUPLE_BYTES * bulk_specs[t].row_size;
    return 0;
}

static struct chunk *
plan_chunks(const long pages[N_BULK], int *n_chunks)
{
    int n = 0;
    struct chunk *chunks;

    for (int t = 0; t < N_BULK; t++)
        n += (int) (pages[t] / CHUNK_PAGES) + 1;
    chunks = calloc((size_t) n, sizeof *chunks);
    if (chunks == NULL)
        return NULL;
    n = 0;
    for (int t = 0; t < N_BULK; t++) {
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

/* ---------------------------------------------------------------- spilling */

/*
 * A block of a spill file: a header, then n rows of one table.  A chunk's
 * rows are written under one lock, so a block is never interleaved.
 */
struct spill_header {
    int32_t table;
    int32_t pad;
    uint64_t n;
};

static FILE *
spill_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;
    FILE *f;

    snprintf(path, sizeof path, "%s/devpulse-etl-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
    if ((fd = mkstemp(path)) < 0)
        return NULL;
    unlink(path);       /* gone with the process, whatever happens */
    if ((f = fdopen(fd, "w+b")) == NULL)
        close(fd);
    return f;
}

int
extract_router_init(struct extract_router *r, int n_parts, int32_t n_conns,
                    const int32_t *pair_conn, const int32_t *pair_part, size_t n_pairs,
                    struct etl_error *err)
{
    memset(r, 0, sizeof *r);
    r->n_parts = n_parts;
    r->off = calloc((size_t) n_conns + 2, sizeof *r->off);
    r->parts = malloc(sizeof *r->parts * (n_pairs + 1));
    r->files = calloc((size_t) n_parts, sizeof *r->files);
    if (r->off == NULL || r->parts == NULL || r->files == NULL)
        goto out_nomem;
    for (size_t i = 0; i < n_pairs; i++)
        r->off[pair_conn[i] + 1]++;
    for (int32_t c = 0; c < n_conns; c++)
        r->off[c + 1] += r->off[c];
    {
        size_t *pos = malloc(sizeof *pos * ((size_t) n_conns + 1));

        if (pos == NULL)
            goto out_nomem;
        memcpy(pos, r->off, sizeof *pos * ((size_t) n_conns + 1));
        for (size_t i = 0; i < n_pairs; i++)
            r->parts[pos[pair_conn[i]]++] = pair_part[i];
        free(pos);
    }
    for (int p = 0; p < n_parts; p++)
        if ((r->files[p] = spill_file()) == NULL) {
            etl_fail(err, "creating a spill file in %s: %s",
                     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
            extract_router_term(r);
            return -1;
        }
    return 0;

out_nomem:
    extract_router_term(r);
    return etl_fail(err, "extract: out of memory");
}

void
extract_router_term(struct extract_router *r)
{
    for (int p = 0; r->files != NULL && p < r->n_parts; p++)
        if (r->files[p] != NULL)
            fclose(r->files[p]);
    free(r->files);
    free(r->off);
    free(r->parts);
    memset(r, 0, sizeof *r);
}

/* A chunk's rows grouped by partition, a row in the group of every partition
 * that needs it (group p: rows start[p] .. start[p + 1]). */
static int
group_by_partition(const struct extract_router *r, const struct chunk *c, char **rows_out,
                   size_t **start_out)
{
    size_t row_size = bulk_specs[c->table].row_size;
    size_t *start = calloc((size_t) r->n_parts + 1, sizeof *start), *pos;
    char *rows;

    if (start == NULL)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        int32_t conn = *(const int32_t *) (c->rows + i * row_size);

        for (size_t k = r->off[conn]; k < r->off[conn + 1]; k++)
            start[r->parts[k] + 1]++;
    }
    for (int p = 0; p < r->n_parts; p++)
        start[p + 1] += start[p];
    rows = malloc(start[r->n_parts] ? start[r->n_parts] * row_size : 1);
    pos = malloc(sizeof *pos * (size_t) r->n_parts);
    if (rows == NULL || pos == NULL) {
        free(start);
        free(rows);
        free(pos);
        return -1;
    }
    memcpy(pos, start, sizeof *pos * (size_t) r->n_parts);
    for (size_t i = 0; i < c->n; i++) {
        const char *row = c->rows + i * row_size;
        int32_t conn = *(const int32_t *) row;

        for (size_t k = r->off[conn]; k < r->off[conn + 1]; k++)
            memcpy(rows + pos[r->parts[k]]++ * row_size, row, row_size);
    }
    free(pos);
    *rows_out = rows;
    *start_out = start;
    return 0;
}

/* Appends each partition's group as one block to its spill file. */
static bool
write_groups(struct extract_router *r, enum bulk_table t, const char *rows, const size_t *start)
{
    size_t row_size = bulk_specs[t].row_size;
    bool ok = true;

    for (int p = 0; p < r->n_parts && ok; p++) {
        struct spill_header h = {(int32_t) t, 0, start[p + 1] - start[p]};

        if (h.n == 0)
            continue;
        /* A full disk shows at the flush, not at the buffered writes. */
        ok = fwrite(&h, sizeof h, 1, r->files[p]) == 1 &&
             fwrite(rows + start[p] * row_size, row_size, h.n, r->files[p]) == h.n &&
             fflush(r->files[p]) == 0 && !ferror(r->files[p]);
    }
    return ok;
}

/* Writes a chunk's rows to the spill file of every partition that needs
 * them, and frees them.  Only the writing holds the spill lock. */
static void
spill_chunk(struct extract_router *r, struct chunk *c)
{
    char *rows;
    size_t *start;
    bool ok;

    if (group_by_partition(r, c, &rows, &start) < 0) {
        c->failed = true;
        etl_fail(&c->err, "spilling rows: out of memory");
        return;
    }
    free(c->rows);
    c->rows = NULL;
    c->n = c->cap = 0;
#pragma omp critical(extract_spill)
    ok = write_groups(r, c->table, rows, start);
    if (!ok) {
        c->failed = true;
        etl_fail(&c->err, "writing a spill file failed (is %s full?)",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    }
    free(rows);
    free(start);
}

static int
run_chunks(const char *dsn, const char *snapshot_id, int workers, struct chunk *chunks,
           int n_chunks, const struct uuid_map *conns, const bool *wanted,
           struct extract_router *router, struct etl_error *err)
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
    size_t *off[N_BULK];        /* calloc'd, n_conns + 2: counts, then offsets */
    size_t *pos[N_BULK];        /* the next free slot of each connection */
    char *rows[N_BULK];
};

static int
merge_start(struct merge *m, int32_t n_conns)
{
    memset(m, 0, sizeof *m);
    m->n_conns = n_conns;
    for (int t = 0; t < N_BULK; t++)
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
    case T_CONTRIB: TABLE_OF(contributions); break;
    case T_STATS: TABLE_OF(channel_stats); break;
    case T_REPOS: TABLE_OF(repositories); break;
    case T_VIDEOS: TABLE_OF(videos); break;
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
    for (int t = 0; t < N_BULK; t++) {
        free(m->off[t]);
        free(m->pos[t]);
        free(m->rows[t]);
    }
}

static int
compare_contribution_day(const void *a, const void *b)
{
    int32_t x = ((const struct contribution_row *) a)->day;
    int32_t y = ((const struct contribution_row *) b)->day;

    return (x > y) - (x < y);
}

static int
compare_stat_day(const void *a, const void *b)
{
    int32_t x = ((const struct channel_stat_row *) a)->day;
    int32_t y = ((const struct channel_stat_row *) b)->day;

    return (x > y) - (x < y);
}

/* Whether rows of a date-typed table, (conn, day, ...) each, are in order
 * of day. */
static bool
days_in_order(const void *rows, size_t n, size_t row_size)
{
    const char *p = rows;

    for (size_t i = 1; i < n; i++)
        if (((const int32_t *) (p + i * row_size))[1] < ((const int32_t *) (p + (i - 1) * row_size))[1])
            return false;
    return true;
}

/*
 * Sorts each connection's date-typed rows by day (aggregate.c sums a
 * connection's channel stats as the changes from one row to the next).
 */
static void
order_by_day(struct source *src)
{
#pragma omp parallel for schedule(dynamic, 256)
    for (int32_t c = 0; c < src->n_connections; c++) {
        struct channel_stat_row *s = src->channel_stats.rows + src->channel_stats.off[c];
        size_t ns = src->channel_stats.off[c + 1] - src->channel_stats.off[c];

        struct contribution_row *k = src->contributions.rows + src->contributions.off[c];
        size_t nk = src->contributions.off[c + 1] - src->contributions.off[c];

        /* Rows mostly arrive in order of day (tables filled day by day):
         * then there is nothing to sort. */
        if (!days_in_order(k, nk, sizeof *k))
            qsort(k, nk, sizeof *k, compare_contribution_day);
        if (!days_in_order(s, ns, sizeof *s))
            qsort(s, ns, sizeof *s, compare_stat_day);
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

    for (int t = 0; t < N_BULK && rc == 0; t++) {
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
    order_by_day(src);
    return 0;
}

int
extract_bulk(PGconn *conn, const char *dsn, const char *snapshot_id, int workers,
             const bool *wanted, struct extract_router *router, struct source *src,
             struct extract_stats *stats, struct etl_error *err)
{
    long pages[N_BULK];
    struct chunk *chunks;
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
    /* The read-only snapshot transaction has done its work either way. */
    PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

#define FREE_TABLE(t) do { free((t).rows); free((t).off); (t).rows = NULL; (t).off = NULL; \
                            (t).n = 0; } while (0)

static void
free_bulk(struct source *src)
{
    FREE_TABLE(src->contributions);
    FREE_TABLE(src->channel_stats);
    FREE_TABLE(src->repositories);
    FREE_TABLE(src->videos);
    FREE_TABLE(src->articles);
}

/* Rows of a spill file are read back in pieces of this size. */
#define SPILL_PIECE_BYTES ((size_t) 1 << 20)

typedef void spill_visit_fn(struct merge *m, enum bulk_table t, const char *rows, size_t n);

/* Hands every row of spill file f to visit, block by block, piece by piece. */
static int
scan_spill(FILE *f, char *piece, spill_visit_fn *visit, struct merge *m, struct etl_error *err)
{
    struct spill_header h;

    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
        return etl_fail(err, "reading a spill file: %s", strerror(errno));
    while (fread(&h, sizeof h, 1, f) == 1) {
        size_t row_size, per_piece;

        if (h.table < 0 || h.table >= N_BULK)
            return etl_fail(err, "reading a spill file: bad block");
        row_size = bulk_specs[h.table].row_size;
        per_piece = SPILL_PIECE_BYTES / row_size;
        for (uint64_t done = 0; done < h.n;) {
            size_t n = h.n - done < per_piece ? (size_t) (h.n - done) : per_piece;

            if (fread(piece, row_size, n, f) != n)
                return etl_fail(err, "reading a spill file: truncated");
            visit(m, (enum bulk_table) h.table, piece, n);
            done += n;
        }
    }
    if (ferror(f))
        return etl_fail(err, "reading a spill file: %s", strerror(errno));
    return 0;
}

/* Reads partition part's spill file twice (count, place): the partition's
 * rows are in memory once, not twice. */
int
extract_load_part(struct extract_router *r, int part, struct source *src, struct etl_error *err)
{
    struct merge m;
    char *piece = malloc(SPILL_PIECE_BYTES);
    int rc = -1;

    free_bulk(src);
    if (merge_start(&m, src->n_connections) < 0 || piece == NULL) {
        etl_fail(err, "reading a spill file: out of memory");
        goto out;
    }
    if (scan_spill(r->files[part], piece, merge_count, &m, err) < 0)
        goto out;
    for (int t = 0; t < N_BULK; t++)
        if (merge_reserve(&m, t) < 0) {
            etl_fail(err, "reading a spill file: out of memory");
            goto out;
        }
    if (scan_spill(r->files[part], piece, merge_place, &m, err) < 0)
        goto out;
    for (int t = 0; t < N_BULK; t++)
        merge_give(&m, t, src);
    order_by_day(src);
    rc = 0;
out:
    merge_end(&m);
    free(piece);
    /* Each partition is read once: give its disk space back now. */
    fclose(r->files[part]);
    r->files[part] = NULL;
    return rc;
}

int32_t
source_min_day(const struct source *src)
{
    int32_t min = src->min_instant == TS_POS_INF ? DAY_POS_INF
                                                 : cal_floor_day(src->min_instant) - 1;

    return src->min_day < min ? src->min_day : min;
}

int32_t
source_max_day(const struct source *src)
{
    int32_t max = src->max_instant == TS_NEG_INF ? DAY_NEG_INF
                                                 : cal_floor_day(src->max_instant) + 1;

    return src->max_day > max ? src->max_day : max;
}

void
source_term(struct source *src)
{
    for (int32_t i = 0; i < src->n_zone_names; i++)
        free(src->zone_names[i]);
    free(src->profiles);
    free(src->workspaces);
    free(src->members);
    free(src->connections);
    free(src->monitors);
    free(src->goals);
    free(src->zone_names);
    free_bulk(src);
    uuid_map_term(&src->connection_index);
    strpool_term(&src->strings);
    memset(src, 0, sizeof *src);
}
