/*
 * scope.h: subjects, their timezones, and what each one covers (SPEC.md
 * sections 1 and 3).
 *
 * Subjects are every profile (personal) then every workspace, in id order.
 * A subject covers whole connections (monitor types all, user, channel) and
 * single repositories (type repository); each resource once.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "etl_error.h"
#include "model.h"
#include "warnings.h"

enum subject_kind { SUBJECT_PERSONAL, SUBJECT_WORKSPACE };

struct subject {
    enum subject_kind kind;
    int32_t entity;           /* profile or workspace number */
    int32_t owner;            /* profile: user_id of its rows, source of its zone */
    int32_t zone;             /* index into scope.zone_names */
    int32_t cutoff;           /* set by the job once the zone table is loaded */
    unsigned live_platforms;  /* bit p: a live monitor on platform p in scope */
    int32_t *conns;           /* whole connections covered, sorted */
    int32_t n_conns;
    int32_t *repos;           /* single repository rows, not in a covered connection */
    int32_t n_repos;
    /* repository monitors, resolved to rows by scope_resolve_repositories */
    int32_t *repo_monitors;
    int32_t n_repo_monitors;
};

struct scope {
    struct subject *subjects;
    int32_t n_subjects;
    char **zone_names;        /* the valid zones in use; "UTC" first */
    int32_t n_zones;
    bool *wanted;             /* per connection: covered by some subject */
};

/* Builds subjects, zones and coverage from the small tables; warns about
 * invalid timezones, monitors that are not live and unknown platforms. */
int scope_build(const struct source *src, struct scope *scope, struct warnings *warn,
                struct etl_error *err);

/* After the bulk read: turns the repository monitors of subjects
 * [first, end) into rows of src->repositories. */
int scope_resolve_repositories(const struct source *src, struct scope *scope, int32_t first,
                               int32_t end, struct etl_error *err);

void scope_term(struct scope *scope);

/* The subject of a goal (personal or its workspace). */
int32_t scope_goal_subject(const struct source *src, const struct goal *g);

/* The id of a subject: its profile's, or its workspace's. */
const struct uuid *scope_subject_uuid(const struct source *src, const struct subject *s);

#endif
