/*
 * scope.c: who the subjects are and what they cover (SPEC.md sections 1, 3).
 *
 * Entry points: scope_build (small tables only), scope_resolve_repositories
 * (after extract_bulk).
 *
 * Invariant: a subject's conns are sorted and unique, and its repos never
 * belong to one of its conns, so every resource is counted once per subject
 * however many monitors cover it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "scope.h"

static const char *const platform_names[] = {"github", "youtube", "devto", "all"};

const char *
platform_name(int platform)
{
    return platform >= 0 && platform <= PLATFORM_ALL ? platform_names[platform] : "unknown";
}

int
platform_from_name(const char *name)
{
    for (int p = 0; p < N_PLATFORMS; p++)
        if (strcmp(name, platform_names[p]) == 0)
            return p;
    return PLATFORM_NONE;
}

static int
compare_string_ptrs(const void *key, const void *item)
{
    return strcmp((const char *) key, *(char *const *) item);
}

/* Byte-exact membership in pg_timezone_names (SPEC.md section 1). */
static bool
zone_is_valid(const struct source *src, const char *name)
{
    return name != NULL && name[0] != '\0' &&
           bsearch(name, src->zone_names, (size_t) src->n_zone_names,
                   sizeof *src->zone_names, compare_string_ptrs) != NULL;
}

static int32_t
zone_index(struct scope *scope, const char *name)
{
    char **names;

    for (int32_t i = 0; i < scope->n_zones; i++)
        if (strcmp(scope->zone_names[i], name) == 0)
            return i;
    names = realloc(scope->zone_names, sizeof *names * ((size_t) scope->n_zones + 1));
    if (names == NULL)
        return -1;
    scope->zone_names = names;
    if ((names[scope->n_zones] = strdup(name)) == NULL)
        return -1;
    return scope->n_zones++;
}

/* The zone of each profile; invalid ones become UTC with a warning. */
static int
profile_zones(const struct source *src, struct scope *scope, int32_t *zone_of,
              struct warnings *warn)
{
    char id[37];

    if (zone_index(scope, "UTC") < 0)
        return -1;
    for (int32_t p = 0; p < src->n_profiles; p++) {
        const char *tz = src->profiles[p].timezone;

        if (zone_is_valid(src, tz)) {
            if ((zone_of[p] = zone_index(scope, tz)) < 0)
                return -1;
            continue;
        }
        zone_of[p] = 0;
        uuid_format(&src->profiles[p].id, id);
        if (warnings_add(warn, tz == NULL ? "profile timezone is NULL; using UTC"
                               : tz[0] == '\0' ? "profile timezone is empty; using UTC"
                               : "profile timezone is not a name in pg_timezone_names; using UTC",
                         id) < 0)
            return -1;
    }
    return 0;
}

/*
 * Why a monitor is not live, or NULL when it is.  "" means not live without a
 * warning (is_active is the user's choice, not an error).
 */
static const char *
not_live_reason(const struct source *src, const struct monitor *m)
{
    const struct connection *c = &src->connections[m->connection];
    int platform = platform_from_name(m->platform);

    if (platform == PLATFORM_NONE)
        return "monitor on a platform other than github, youtube, devto; ignored";
    if (strcmp(m->platform, c->platform_name) != 0)
        return "monitor platform differs from its connection's; not live";
    if (m->user != c->user)
        return "monitor watches another user's connection; not live";
    if (!(strcmp(m->type, "all") == 0 || strcmp(m->type, "user") == 0 ||
          (strcmp(m->type, "repository") == 0 && platform == PLATFORM_GITHUB) ||
          (strcmp(m->type, "channel") == 0 && platform == PLATFORM_YOUTUBE)))
        return "monitor type is not usable on its platform; not live";
    if (!m->active || !c->active)
        return "";
    return NULL;
}

static int
add_unique(int32_t **list, int32_t *n, int32_t value)
{
    int32_t *grown;

    for (int32_t i = 0; i < *n; i++)
        if ((*list)[i] == value)
            return 0;
    grown = realloc(*list, sizeof *grown * ((size_t) *n + 1));
    if (grown == NULL)
        return -1;
    grown[(*n)++] = value;
    *list = grown;
    return 0;
}

/* Adds a live monitor's resources to a subject. */
static int
cover(struct subject *s, const struct source *src, int32_t monitor)
{
    const struct monitor *m = &src->monitors[monitor];

    s->live_platforms |= 1u << src->connections[m->connection].platform;
    if (strcmp(m->type, "repository") == 0)
        return add_unique(&s->repo_monitors, &s->n_repo_monitors, monitor);
    return add_unique(&s->conns, &s->n_conns, m->connection);
}

static int
compare_members(const void *a, const void *b)
{
    const struct member *x = a, *y = b;

    if (x->workspace != y->workspace)
        return x->workspace < y->workspace ? -1 : 1;
    return (x->profile > y->profile) - (x->profile < y->profile);
}

static bool
in_workspace(const struct source *src, const struct member *sorted, int32_t ws, int32_t profile)
{
    struct member key = {ws, profile};

    return src->workspaces[ws].owner == profile ||
           bsearch(&key, sorted, (size_t) src->n_members, sizeof key, compare_members) != NULL;
}

static int
warn_unknown_connections(const struct source *src, struct warnings *warn)
{
    char id[37];

    for (int32_t c = 0; c < src->n_connections; c++) {
        if (src->connections[c].platform != PLATFORM_NONE)
            continue;
        uuid_format(&src->connections[c].id, id);
        if (warnings_add(warn, "connection on a platform other than github, youtube, devto;"
                               " its rows are ignored", id) < 0)
            return -1;
    }
    return 0;
}

static int
compare_int32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;

    return (x > y) - (x < y);
}

static int
assign_monitors(const struct source *src, struct scope *scope, const struct member *sorted,
                struct warnings *warn)
{
    char id[37];

    for (int32_t i = 0; i < src->n_monitors; i++) {
        const struct monitor *m = &src->monitors[i];
        const char *reason = not_live_reason(src, m);

        if (reason != NULL) {
            uuid_format(&m->id, id);
            if (reason[0] != '\0' && warnings_add(warn, reason, id) < 0)
                return -1;
            continue;
        }
        scope->wanted[m->connection] = true;
        if (cover(&scope->subjects[m->user], src, i) < 0)
            return -1;
        if (m->workspace >= 0 && in_workspace(src, sorted, m->workspace, m->user) &&
            cover(&scope->subjects[src->n_profiles + m->workspace], src, i) < 0)
            return -1;
    }
    return 0;
}

int
scope_build(const struct source *src, struct scope *scope, struct warnings *warn,
            struct etl_error *err)
{
    int32_t n = src->n_profiles + src->n_workspaces;
    int32_t *zone_of = calloc((size_t) src->n_profiles + 1, sizeof *zone_of);
    struct member *sorted = malloc(sizeof *sorted * ((size_t) src->n_members + 1));
    int rc = -1;

    memset(scope, 0, sizeof *scope);
    scope->subjects = calloc((size_t) n + 1, sizeof *scope->subjects);
    scope->wanted = calloc((size_t) src->n_connections + 1, sizeof *scope->wanted);
    if (zone_of == NULL || sorted == NULL || scope->subjects == NULL || scope->wanted == NULL)
        goto out_free;
    scope->n_subjects = n;
    if (profile_zones(src, scope, zone_of, warn) < 0)
        goto out_free;
    for (int32_t i = 0; i < n; i++) {
        struct subject *s = &scope->subjects[i];
        bool personal = i < src->n_profiles;

        s->kind = personal ? SUBJECT_PERSONAL : SUBJECT_WORKSPACE;
        s->entity = personal ? i : i - src->n_profiles;
        s->owner = personal ? i : src->workspaces[s->entity].owner;
        s->zone = zone_of[s->owner];
    }
    memcpy(sorted, src->members, sizeof *sorted * (size_t) src->n_members);
    qsort(sorted, (size_t) src->n_members, sizeof *sorted, compare_members);
    if (assign_monitors(src, scope, sorted, warn) < 0 || warn_unknown_connections(src, warn) < 0)
        goto out_free;
    for (int32_t i = 0; i < n; i++)
        if (scope->subjects[i].n_conns > 1)
            qsort(scope->subjects[i].conns, (size_t) scope->subjects[i].n_conns,
                  sizeof(int32_t), compare_int32);
    rc = 0;

out_free:
    free(zone_of);
    free(sorted);
    if (rc < 0) {
        scope_term(scope);
        etl_fail(err, "building subjects: out of memory");
    }
    return rc;
}

static bool
covers_connection(const struct subject *s, int32_t conn)
{
    return s->n_conns > 0 &&
           bsearch(&conn, s->conns, (size_t) s->n_conns, sizeof conn, compare_int32) != NULL;
}

/* github_repo_id::text = platform_resource_id, compared as text. */
static bool
repo_id_matches(int64_t repo_id, const char *resource_id)
{
    char text[24];

    snprintf(text, sizeof text, "%lld", (long long) repo_id);
    return resource_id != NULL && strcmp(text, resource_id) == 0;
}

int
scope_resolve_repositories(const struct source *src, struct scope *scope, int32_t first,
                           int32_t end, struct etl_error *err)
{
    for (int32_t i = first; i < end; i++) {
        struct subject *s = &scope->subjects[i];

        for (int32_t k = 0; k < s->n_repo_monitors; k++) {
            const struct monitor *m = &src->monitors[s->repo_monitors[k]];
            size_t lo = src->repositories.off[m->connection];
            size_t hi = src->repositories.off[m->connection + 1];

            if (covers_connection(s, m->connection))
                continue;
            for (size_t r = lo; r < hi; r++)
                if (repo_id_matches(src->repositories.rows[r].github_repo_id, m->resource_id) &&
                    add_unique(&s->repos, &s->n_repos, (int32_t) r) < 0)
                    return etl_fail(err, "resolving repository monitors: out of memory");
        }
    }
    return 0;
}

void
scope_term(struct scope *scope)
{
    for (int32_t i = 0; scope->subjects != NULL && i < scope->n_subjects; i++) {
        free(scope->subjects[i].conns);
        free(scope->subjects[i].repos);
        free(scope->subjects[i].repo_monitors);
    }
    for (int32_t i = 0; i < scope->n_zones; i++)
        free(scope->zone_names[i]);
    free(scope->zone_names);
    free(scope->subjects);
    free(scope->wanted);
    memset(scope, 0, sizeof *scope);
}

int32_t
scope_goal_subject(const struct source *src, const struct goal *g)
{
    return g->workspace < 0 ? g->user : src->n_profiles + g->workspace;
}

const struct uuid *
scope_subject_uuid(const struct source *src, const struct subject *s)
{
    return s->kind == SUBJECT_PERSONAL ? &src->profiles[s->entity].id
                                       : &src->workspaces[s->entity].id;
}
