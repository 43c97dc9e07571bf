/*
 * model.h: the typed rows the engine works on, as extract.c decodes them.
 *
 * Entities are numbered densely in the order they were read; rows refer to
 * each other by those numbers (int32), never by uuid, once decoded.  Bulk rows
 * are grouped by connection: rows of connection c are [off[c], off[c + 1]).
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strpool.h"
#include "uuid.h"

enum platform { PLATFORM_GITHUB, PLATFORM_YOUTUBE, PLATFORM_DEVTO, N_PLATFORMS };
#define PLATFORM_NONE (-1)          /* a platform name SPEC.md does not know */
#define PLATFORM_ALL  N_PLATFORMS   /* the 'all' rows and goals */

struct profile {
    struct uuid id;
    const char *timezone;    /* NULL for SQL NULL */
};

struct workspace {
    struct uuid id;
    int32_t owner;           /* profile */
};

struct member {
    int32_t workspace, profile;
};

struct connection {
    struct uuid id;
    int32_t user;            /* profile */
    int platform;            /* enum platform or PLATFORM_NONE */
    const char *platform_name;
    bool active;
};

struct monitor {
    struct uuid id;
    int32_t user;            /* profile */
    int32_t workspace;       /* -1 when NULL */
    int32_t connection;
    const char *platform;
    const char *type;
    const char *resource_id; /* NULL for SQL NULL */
    bool active;
};

struct goal {
    struct uuid id;
    int32_t user;            /* profile */
    int32_t workspace;       /* -1 when NULL */
    const char *platform;
    const char *goal_type;
    const char *unit;
    const char *target_value; /* numeric as text */
    bool target_negative;
    int32_t start_date, end_date;   /* end_date DAY_POS_INF when NULL */
};

/* Bulk rows.  Days are local or date-typed; instants are PostgreSQL's. */
struct contribution_row {
    int32_t conn, day;
    int32_t commits, pull_requests, issues, repositories;
};

struct channel_stat_row {
    int32_t conn, day;
    int64_t subscribers, views;
};

struct repository_row {
    int32_t conn;
    int32_t stars, forks, watchers, open_issues;
    int64_t github_repo_id;
    int64_t created_at;
};

struct video_row {
    int32_t conn;
    int32_t likes, comments;
    int64_t published_at;
};

struct article_row {
    int32_t conn;
    int32_t views, reactions, comments;
    int64_t published_at;
};

/* A bulk table: rows sorted by connection, and an index by connection. */
#define ROW_TABLE(type) struct { type *rows; size_t n, cap; size_t *off; }

struct source {
    struct profile *profiles;      int32_t n_profiles;
    struct workspace *workspaces;  int32_t n_workspaces;
    struct member *members;        int32_t n_members;
    struct connection *connections; int32_t n_connections;
    struct monitor *monitors;      int32_t n_monitors;
    struct goal *goals;            int32_t n_goals;
    char **zone_names;             int32_t n_zone_names;  /* pg_timezone_names, sorted */

    ROW_TABLE(struct contribution_row) contributions;
    ROW_TABLE(struct channel_stat_row) channel_stats;
    ROW_TABLE(struct repository_row) repositories;
    ROW_TABLE(struct video_row) videos;
    ROW_TABLE(struct article_row) articles;

    struct uuid_map connection_index;   /* connection id -> number (until extract_bulk ends) */
    struct strpool strings;             /* every string of the rows above */

    /* Finite instants seen in the bulk rows, for the timezone table. */
    int64_t min_instant, max_instant;
    int32_t min_day, max_day;           /* of the date-typed rows (finite) */
    int64_t server_now;
};

const char *platform_name(int platform);   /* "github" .. "all" */
int platform_from_name(const char *name);  /* PLATFORM_NONE when unknown */

#endif
