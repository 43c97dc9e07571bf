/*
 * world.h: a small hand-built world for the unit tests.
 *
 * One subject (a profile's own, or a workspace that profile owns), the
 * connections it covers and their rows, in a zone of one fixed offset or of
 * hand-written offset segments; then the subject's cells, made by the
 * engine's own agg_prep_rows and agg_one_subject from those rows.  Nothing
 * here reads a database: a struct source is filled as extract.c would fill
 * it, rows in the order given (so agg_prep_rows has something to sort).
 */
#ifndef WORLD_H
#define WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "model.h"
#include "scope.h"
#include "tz.h"

#define WORLD_PROFILE "00000000-0000-0000-0000-0000000000a1"
#define WORLD_WORKSPACE "00000000-0000-0000-0000-0000000000b1"

struct world {
    struct source src;
    struct subject subject;
    int32_t conns[8];
    struct scope scope;
    struct tz_table zones;
    bool prepared;
};

/* The day and the instant of their text (calendar.c's parsers). */
int32_t day_of(const char *yyyy_mm_dd);
int64_t instant_of(const char *timestamp);

/* A world whose subject is the profile's own (or its workspace), in UTC. */
void world_init(struct world *w, bool workspace);
/* The subject's zone: one offset (seconds east of UTC), or segments. */
void world_fixed_zone(struct world *w, int32_t offset);
void world_zone(struct world *w, int n, const int64_t *from, const int32_t *offset);

/* A connection of the profile on platform, covered by the subject (which
 * thereby has a live monitor on platform); returns its number. */
int32_t world_conn(struct world *w, int platform);
/* A live monitor on platform without rows. */
void world_live(struct world *w, int platform);

void world_contribution(struct world *w, int32_t conn, const char *day, int32_t commits,
                        int32_t pull_requests, int32_t issues, int32_t repositories);
void world_stat(struct world *w, int32_t conn, const char *day, int64_t subscribers,
                int64_t views);
void world_repo(struct world *w, int32_t conn, const char *created_at, int32_t stars,
                int32_t forks, int32_t watchers, int32_t open_issues);
void world_video(struct world *w, int32_t conn, const char *published_at, int32_t likes,
                 int32_t comments);
void world_article(struct world *w, int32_t conn, const char *published_at, int32_t views,
                   int32_t reactions, int32_t comments);

/* The subject's cells at cutoff day, holding days from need_from + 1 on
 * (earlier days: their sum).  The first call groups the rows by connection
 * and runs agg_prep_rows; add no rows after it. */
void world_cells(struct world *w, const char *cutoff, int64_t need_from, struct cells *c);

void world_term(struct world *w);

/*
 * The example most tests share: a personal subject in UTC with a github
 * connection (returned in *github) and a youtube one (*youtube), rows given
 * out of order of day, and rows after the cutoff day 2024-03-03 that must
 * never count.  world.c lists the rows; the tests' expected values are
 * worked out by hand from that list.
 */
#define WORLD_CUTOFF "2024-03-03"
void world_example(struct world *w, int32_t *github, int32_t *youtube);

#endif
