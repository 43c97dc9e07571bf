/*
 * world.c: the unit tests' hand-built world (world.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agg_prep.h"
#include "calendar.h"
#include "source.h"
#include "world.h"

int32_t
day_of(const char *s)
{
    int32_t d;

    cr_assert_eq(cal_parse_date(s, &d), 0, "bad date %s", s);
    return d;
}

int64_t
instant_of(const char *s)
{
    int64_t t;

    cr_assert_eq(cal_parse_timestamp(s, &t), 0, "bad instant %s", s);
    return t;
}

void
world_init(struct world *w, bool workspace)
{
    memset(w, 0, sizeof *w);
    w->src.profiles = calloc(1, sizeof *w->src.profiles);
    cr_assert_not_null(w->src.profiles);
    cr_assert_eq(uuid_parse(WORLD_PROFILE, &w->src.profiles[0].id), 0);
    w->src.n_profiles = 1;
    w->subject.kind = SUBJECT_PERSONAL;
    if (workspace) {
        w->src.workspaces = calloc(1, sizeof *w->src.workspaces);
        cr_assert_not_null(w->src.workspaces);
        cr_assert_eq(uuid_parse(WORLD_WORKSPACE, &w->src.workspaces[0].id), 0);
        w->src.workspaces[0].owner = 0;
        w->src.n_workspaces = 1;
        w->subject.kind = SUBJECT_WORKSPACE;
    }
    w->src.min_instant = TS_POS_INF;
    w->src.max_instant = TS_NEG_INF;
    w->src.min_day = DAY_POS_INF;
    w->subject.conns = w->conns;
    w->scope.subjects = &w->subject;
    w->scope.n_subjects = 1;
    w->zones.zones = calloc(1, sizeof *w->zones.zones);
    cr_assert_not_null(w->zones.zones);
    w->zones.n = 1;
    world_fixed_zone(w, 0);
}

void
world_fixed_zone(struct world *w, int32_t offset)
{
    cr_assert_eq(tz_zone_fixed(&w->zones.zones[0], "test zone", offset), 0);
}

void
world_zone(struct world *w, int n, const int64_t *from, const int32_t *offset)
{
    struct tz_zone *z = &w->zones.zones[0];

    free(z->from);
    free(z->offset);
    z->n = n;
    z->from = malloc(sizeof *z->from * (size_t) n);
    z->offset = malloc(sizeof *z->offset * (size_t) n);
    cr_assert(z->from != NULL && z->offset != NULL);
    memcpy(z->from, from, sizeof *z->from * (size_t) n);
    memcpy(z->offset, offset, sizeof *z->offset * (size_t) n);
}

int32_t
world_conn(struct world *w, int platform)
{
    int32_t n = w->src.n_connections;
    struct connection *c;

    cr_assert_lt(n, 8);
    w->src.connections = realloc(w->src.connections, sizeof *c * ((size_t) n + 1));
    cr_assert_not_null(w->src.connections);
    c = &w->src.connections[n];
    memset(c, 0, sizeof *c);
    c->id.b[15] = (unsigned char) (n + 1);
    c->user = 0;
    c->platform = platform;
    c->platform_name = platform_name(platform);
    c->active = true;
    w->src.n_connections = n + 1;
    w->conns[w->subject.n_conns++] = n;
    world_live(w, platform);
    return n;
}

void
world_live(struct world *w, int platform)
{
    w->subject.live_platforms |= 1u << platform;
}

/* Room for one more row of a table; the rows are grouped later. */
#define APPEND(table, out) do { \
        cr_assert(!w->prepared, "rows added after world_cells"); \
        (table).rows = realloc((table).rows, sizeof *(table).rows * ((table).n + 1)); \
        cr_assert_not_null((table).rows); \
        (out) = &(table).rows[(table).n++]; \
        memset((out), 0, sizeof *(out)); \
    } while (0)

static void
saw_instant(struct world *w, int64_t t)
{
    if (t < w->src.min_instant)
        w->src.min_instant = t;
    if (t > w->src.max_instant)
        w->src.max_instant = t;
}

static void
saw_day(struct world *w, int32_t d)
{
    if (d < w->src.min_day)
        w->src.min_day = d;
}

void
world_contribution(struct world *w, int32_t conn, const char *day, int32_t commits,
                   int32_t pull_requests, int32_t issues, int32_t repositories)
{
    struct contribution_row *r;

    APPEND(w->src.contributions, r);
    r->conn = conn;
    r->day = day_of(day);
    r->commits = commits;
    r->pull_requests = pull_requests;
    r->issues = issues;
    r->repositories = repositories;
    saw_day(w, r->day);
}

void
world_stat(struct world *w, int32_t conn, const char *day, int64_t subscribers, int64_t views)
{
    struct channel_stat_row *r;

    APPEND(w->src.channel_stats, r);
    r->conn = conn;
    r->day = day_of(day);
    r->subscribers = subscribers;
    r->views = views;
    saw_day(w, r->day);
}

void
world_repo(struct world *w, int32_t conn, const char *created_at, int32_t stars, int32_t forks,
           int32_t watchers, int32_t open_issues)
{
    struct repository_row *r;

    APPEND(w->src.repositories, r);
    r->conn = conn;
    r->github_repo_id = (int64_t) w->src.repositories.n;
    r->created_at = instant_of(created_at);
    r->stars = stars;
    r->forks = forks;
    r->watchers = watchers;
    r->open_issues = open_issues;
    saw_instant(w, r->created_at);
}

void
world_video(struct world *w, int32_t conn, const char *published_at, int32_t likes,
            int32_t comments)
{
    struct video_row *r;

    APPEND(w->src.videos, r);
    r->conn = conn;
    r->published_at = instant_of(published_at);
    r->likes = likes;
    r->comments = comments;
    saw_instant(w, r->published_at);
}

void
world_article(struct world *w, int32_t conn, const char *published_at, int32_t views,
              int32_t reactions, int32_t comments)
{
    struct article_row *r;

    APPEND(w->src.articles, r);
    r->conn = conn;
    r->published_at = instant_of(published_at);
    r->views = views;
    r->reactions = reactions;
    r->comments = comments;
    saw_instant(w, r->published_at);
}

/* Groups a table's rows by connection, keeping their order within one (a
 * stable counting sort, as extract.c's merge), and builds its index. */
static void
group(void *rows, size_t n, size_t row_size, size_t **off_out, int32_t n_conns)
{
    size_t *off = calloc((size_t) n_conns + 2, sizeof *off), *pos;
    char *sorted = malloc(n * row_size + 1);

    cr_assert(off != NULL && sorted != NULL);
    for (size_t i = 0; i < n; i++)
        off[*(const int32_t *) ((const char *) rows + i * row_size) + 1]++;
    for (int32_t c = 0; c < n_conns; c++)
        off[c + 1] += off[c];
    pos = malloc(sizeof *pos * ((size_t) n_conns + 1));
    cr_assert_not_null(pos);
    memcpy(pos, off, sizeof *pos * ((size_t) n_conns + 1));
    for (size_t i = 0; i < n; i++) {
        const char *row = (const char *) rows + i * row_size;

        memcpy(sorted + pos[*(const int32_t *) row]++ * row_size, row, row_size);
    }
    if (n > 0)
        memcpy(rows, sorted, n * row_size);
    free(sorted);
    free(pos);
    *off_out = off;
}

#define GROUP(table) \
    group((table).rows, (table).n, sizeof *(table).rows, &(table).off, w->src.n_connections)

void
world_cells(struct world *w, const char *cutoff, int64_t need_from, struct cells *c)
{
    struct agg_input in;

    if (!w->prepared) {
        GROUP(w->src.contributions);
        GROUP(w->src.channel_stats);
        GROUP(w->src.repositories);
        GROUP(w->src.videos);
        GROUP(w->src.articles);
        agg_prep_rows(&w->src);
        w->prepared = true;
    }
    w->subject.cutoff = day_of(cutoff);
    in.src = &w->src;
    in.scope = &w->scope;
    in.zones = &w->zones;
    in.min_data_day = source_min_day(&w->src);
    memset(c, 0, sizeof *c);
    cr_assert_eq(agg_one_subject(&in, &w->subject, need_from, c), 0);
}

void
world_example(struct world *w, int32_t *github, int32_t *youtube)
{
    int32_t g, y;

    world_init(w, false);
    g = world_conn(w, PLATFORM_GITHUB);
    y = world_conn(w, PLATFORM_YOUTUBE);
    /*        day            commits  PRs  issues  repositories_contributed_to */
    world_contribution(w, g, "2024-02-29", 3, 1, 1, 5);
    world_contribution(w, g, "2024-01-15", 10, 0, 0, 7);
    world_contribution(w, g, "2024-02-27", 1, 0, 0, 2);
    world_contribution(w, g, "2024-03-04", 2, 0, 0, 9);       /* after the cutoff */
    world_contribution(w, g, "2024-03-01", 0, 0, 0, 1);
    /*                 created_at         stars forks watchers open_issues */
    world_repo(w, g, "2023-06-01T12:00:00Z", 5, 1, 2, 0);
    world_repo(w, g, "2024-02-28T23:30:00Z", 1, 0, 1, 3);
    world_repo(w, g, "2024-03-05T00:00:00Z", 100, 100, 100, 100);   /* after the cutoff */
    /*               day        subscribers views */
    world_stat(w, y, "2024-02-28", 110, 1500);
    world_stat(w, y, "2024-03-02", 105, 1600);
    world_stat(w, y, "2024-02-20", 100, 1000);
    world_stat(w, y, "2024-03-04", 500, 9000);                 /* after the cutoff */
    /*                published_at       likes comments */
    world_video(w, y, "2024-02-10T10:00:00Z", 4, 1);
    world_video(w, y, "2024-03-01T05:00:00Z", 2, 0);
    world_video(w, y, "2024-03-04T00:00:00Z", 50, 50);         /* after the cutoff */
    *github = g;
    *youtube = y;
}

void
world_term(struct world *w)
{
    tz_table_term(&w->zones);
    source_term(&w->src);
    memset(w, 0, sizeof *w);
}
