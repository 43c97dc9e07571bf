/*
 * source.c: the small tables -> struct source, and its end.
 *
 * Entry points: source_read (in the caller's snapshot transaction),
 * source_min_day, source_max_day, source_clear_rows, source_term.
 *
 * Invariant: entities are numbered in id order as read, and every reference
 * between them (a workspace's owner, a monitor's connection, ...) is turned
 * into such a number here, through one uuid map per referenced table; a
 * reference to an id that was not read is an error, never a silent -1.
 * Strings live once each in src->strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "source.h"

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
source_read(PGconn *conn, struct source *src, struct etl_error *err)
{
    struct maps maps;
    int rc = -1;

    memset(&maps, 0, sizeof maps);
    if (read_server_now(conn, src, err) < 0 ||
        read_profiles(conn, src, &maps, err) < 0 ||
        read_workspaces(conn, src, &maps, err) < 0 ||
        read_members(conn, src, &maps, err) < 0 ||
        read_connections(conn, src, &maps, err) < 0 ||
        read_monitors(conn, src, &maps, err) < 0 ||
        read_goals(conn, src, &maps, err) < 0 ||
        read_zone_names(conn, src, err) < 0)
        goto out_maps;
    src->connection_index = maps.connections;    /* extract_bulk needs it, then frees it */
    memset(&maps.connections, 0, sizeof maps.connections);
    rc = 0;
out_maps:
    maps_term(&maps);
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

#define FREE_TABLE(t) do { free((t).rows); free((t).off); (t).rows = NULL; (t).off = NULL; \
                            (t).n = 0; } while (0)

void
source_clear_rows(struct source *src)
{
    FREE_TABLE(src->contributions);
    FREE_TABLE(src->channel_stats);
    FREE_TABLE(src->repositories);
    FREE_TABLE(src->videos);
    FREE_TABLE(src->articles);
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
    source_clear_rows(src);
    uuid_map_term(&src->connection_index);
    strpool_term(&src->strings);
    memset(src, 0, sizeof *src);
}
