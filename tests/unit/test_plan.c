/*
 * test_plan.c: a run's plan (plan.c) from hand-built subjects, no server:
 * the shard hash, which subjects a run takes (shard, resume), SPEC.md
 * section 6's bucket days, cutoffs by zone, need_from (buckets and goals),
 * the partitions of the source, and batches within the memory budget.
 *
 * Expected values are worked out by hand in the comments; the shard hashes
 * come from an independent FNV-1a (a few lines of Python over the uuids'
 * 16 bytes), not from the engine.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "plan.h"
#include "world.h"

/* ------------------------------------------------------------ the world */

#define MAX_SUBJECTS 12
#define MAX_CONNS 32

/* Subjects are every profile (personal) then every workspace, in id order,
 * as scope.c builds them: add them in that order. */
struct pw {
    struct profile profiles[MAX_SUBJECTS];
    struct workspace workspaces[MAX_SUBJECTS];
    struct connection connections[MAX_CONNS];
    struct monitor monitors[8];
    struct goal goals[8];
    struct subject subjects[MAX_SUBJECTS];
    int32_t conns[MAX_SUBJECTS][8];
    int32_t repo_monitors[MAX_SUBJECTS][4];
    bool wanted[MAX_CONNS];
    struct source src;
    struct scope scope;
    struct tz_table zones;
    struct job_options opts;
    struct plan plan;
};

static struct pw *
pw_new(enum job_command command)
{
    struct pw *w = calloc(1, sizeof *w);

    cr_assert_not_null(w);
    w->src.profiles = w->profiles;
    w->src.workspaces = w->workspaces;
    w->src.connections = w->connections;
    w->src.monitors = w->monitors;
    w->src.goals = w->goals;
    w->scope.subjects = w->subjects;
    w->scope.wanted = w->wanted;
    w->zones.zones = calloc(4, sizeof *w->zones.zones);
    cr_assert_not_null(w->zones.zones);
    w->zones.n = 1;
    cr_assert_eq(tz_zone_fixed(&w->zones.zones[0], "UTC", 0), 0);
    w->opts.command = command;
    w->opts.lookback = 3;
    plan_init(&w->plan, &w->opts, &w->src, &w->scope);
    return w;
}

static void
pw_free(struct pw *w)
{
    plan_term(&w->plan);
    tz_table_term(&w->zones);
    free(w);
}

/* A zone of one offset (seconds east of UTC); returns its number. */
static int32_t
pw_zone(struct pw *w, int32_t offset)
{
    cr_assert_lt(w->zones.n, 4);
    cr_assert_eq(tz_zone_fixed(&w->zones.zones[w->zones.n], "fixed", offset), 0);
    return w->zones.n++;
}

/* A new subject with n_conns connections of its own, live on github. */
static int32_t
pw_subject(struct pw *w, enum subject_kind kind, const char *id, int n_conns)
{
    int32_t i = w->scope.n_subjects++;
    struct subject *s = &w->subjects[i];

    cr_assert_lt(i, MAX_SUBJECTS);
    s->kind = kind;
    if (kind == SUBJECT_PERSONAL) {
        cr_assert_eq(w->src.n_workspaces, 0, "profiles first");
        s->entity = w->src.n_profiles++;
        cr_assert_eq(uuid_parse(id, &w->profiles[s->entity].id), 0);
    } else {
        s->entity = w->src.n_workspaces++;
        cr_assert_eq(uuid_parse(id, &w->workspaces[s->entity].id), 0);
    }
    s->conns = w->conns[i];
    s->repo_monitors = w->repo_monitors[i];
    s->live_platforms = 1u << PLATFORM_GITHUB;
    for (int k = 0; k < n_conns; k++) {
        cr_assert_lt(w->src.n_connections, MAX_CONNS);
        s->conns[s->n_conns++] = w->src.n_connections++;
    }
    return i;
}

static int32_t
pw_person(struct pw *w, const char *id, int n_conns)
{
    return pw_subject(w, SUBJECT_PERSONAL, id, n_conns);
}

/* Subject i also covers one repository of connection conn (a monitor). */
static void
pw_repo_monitor(struct pw *w, int32_t i, int32_t conn)
{
    int32_t m = w->src.n_monitors++;

    w->monitors[m].connection = conn;
    w->subjects[i].repo_monitors[w->subjects[i].n_repo_monitors++] = m;
}

/* A personal goal of subject i's profile, from start (no end). */
static void
pw_goal(struct pw *w, int32_t i, const char *start)
{
    struct goal *g = &w->goals[w->src.n_goals++];

    memset(g, 0, sizeof *g);
    g->user = w->subjects[i].entity;
    g->workspace = -1;
    g->start_date = day_of(start);
    g->end_date = DAY_POS_INF;
}

static struct ledger_position
nothing_done(void)
{
    struct ledger_position done;

    memset(&done, 0, sizeof done);
    return done;
}

static void
pw_plan(struct pw *w, const char *as_of)
{
    struct ledger_position done = nothing_done();

    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    cr_assert_eq(plan_subjects(&w->plan, &w->zones, instant_of(as_of), NULL), 0);
}

/* ------------------------------------------------------------ the shard hash */

/* Five ids in id order and their 64-bit FNV-1a (offset 14695981039346656037,
 * prime 1099511628211, over the 16 bytes in text order), worked out apart
 * from the engine.  A subject is in shard (h mod N) + 1. */
static const char *const ids[5] = {
    "00000000-0000-0000-0000-000000000000",     /* h = 0x88201fb960ff6465 */
    "00000000-0000-0000-0000-0000000000a1",     /* h = 0x881fbeb960febf92 */
    "0190a3b4-7c1e-7d2a-9f00-5e6d7c8b9a01",     /* h = 0x2ea4b9587e0cdd98 */
    "123e4567-e89b-12d3-a456-426614174000",     /* h = 0x7f0c9ad0139933e0 */
    "ffffffff-ffff-ffff-ffff-ffffffffffff",     /* h = 0xd6607508f5a1e855 */
};

struct shard_case {
    int id;                 /* index into ids */
    int n;                  /* shards */
    int k;                  /* the one shard it is in; 0: every one (n <= 1) */
};

static struct shard_case shard_cases[] = {
    {0, 2, 2}, {0, 3, 1}, {0, 7, 1}, {0, 10, 2},
    {1, 2, 1}, {1, 3, 3}, {1, 7, 4}, {1, 10, 5},
    {2, 2, 1}, {2, 3, 2}, {2, 7, 3}, {2, 10, 5},
    {3, 2, 1}, {3, 3, 1}, {3, 7, 6}, {3, 10, 9},
    {4, 2, 2}, {4, 3, 1}, {4, 7, 6}, {4, 10, 4},
    {1, 1, 0}, {3, 0, 0},
};

ParameterizedTestParameters(plan, shard_of_an_id)
{
    return cr_make_param_array(struct shard_case, shard_cases,
                               sizeof shard_cases / sizeof shard_cases[0]);
}

ParameterizedTest(struct shard_case *c, plan, shard_of_an_id)
{
    struct uuid id;

    cr_assert_eq(uuid_parse(ids[c->id], &id), 0);
    for (int k = 1; k <= (c->n > 1 ? c->n : 1); k++)
        cr_expect_eq(plan_subject_in_shard(&id, k, c->n), c->k == 0 || k == c->k,
                     "%s in shard %d/%d", ids[c->id], k, c->n);
}

/* 1,000 ids (byte 14 and 15 counting up): each in exactly one shard, and
 * the shards as full as the independent hash makes them. */
Test(plan, shards_split_every_id_once)
{
    static const int want7[7] = {141, 143, 144, 143, 141, 144, 144};
    static const int want3[3] = {334, 333, 333};
    int got7[7] = {0}, got3[3] = {0};

    for (int i = 0; i < 1000; i++) {
        struct uuid id;
        int in7 = 0, in3 = 0;

        memset(&id, 0, sizeof id);
        id.b[14] = (unsigned char) (i >> 8);
        id.b[15] = (unsigned char) (i & 255);
        for (int k = 1; k <= 7; k++)
            if (plan_subject_in_shard(&id, k, 7)) {
                got7[k - 1]++;
                in7++;
            }
        for (int k = 1; k <= 3; k++)
            if (plan_subject_in_shard(&id, k, 3)) {
                got3[k - 1]++;
                in3++;
            }
        cr_assert_eq(in7, 1, "id %d is in %d shards of 7", i, in7);
        cr_assert_eq(in3, 1, "id %d is in %d shards of 3", i, in3);
    }
    for (int k = 0; k < 7; k++)
        cr_expect_eq(got7[k], want7[k], "shard %d/7: %d ids", k + 1, got7[k]);
    for (int k = 0; k < 3; k++)
        cr_expect_eq(got3[k], want3[k], "shard %d/3: %d ids", k + 1, got3[k]);
}

/* ------------------------------------------------------------ selection */

/* The five ids as personal subjects, one connection each (subject i has
 * connection i).  By the table above, shard 1/2 is subjects 1, 2, 3 and
 * shard 2/2 is subjects 0 and 4. */
static struct pw *
five_people(enum job_command command, int shard, int shards)
{
    struct pw *w = pw_new(command);

    for (int i = 0; i < 5; i++)
        pw_person(w, ids[i], 1);
    w->opts.shard = shard;
    w->opts.shards = shards;
    return w;
}

Test(plan, select_a_shard_and_its_connections)
{
    static const bool want[2][5] = {{false, true, true, true, false},
                                    {true, false, false, false, true}};

    for (int k = 1; k <= 2; k++) {
        struct pw *w = five_people(JOB_NIGHTLY, k, 2);
        struct ledger_position done = nothing_done();

        memset(w->wanted, 1, sizeof w->wanted);     /* stale from a partition plan */
        cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
        for (int i = 0; i < 5; i++) {
            cr_expect_eq(w->plan.in_shard[i], want[k - 1][i], "shard %d/2, subject %d", k, i);
            cr_expect_eq(plan_takes_subject(&w->plan, i), want[k - 1][i]);
            cr_expect_eq(w->wanted[i], want[k - 1][i], "shard %d/2, connection %d read", k, i);
        }
        cr_expect_eq(w->plan.subjects_in_shard, k == 1 ? 3 : 2);
        cr_expect_eq(w->plan.subjects_skipped, 0);
        cr_expect_eq(w->plan.first_subject, 0);
        pw_free(w);
    }
}

struct resume_case {
    char what[64];
    int shard, shards;
    bool workspace;         /* the last subject done is a workspace */
    char last[37];
    int32_t first;          /* the first subject to do */
    int32_t skipped;        /* subjects of the shard done before */
};

/* Subjects: the five ids as people (0..4), then two workspaces (5, 6). */
static struct resume_case resume_cases[] = {
    {"after subject 2", 0, 0, false, "0190a3b4-7c1e-7d2a-9f00-5e6d7c8b9a01", 3, 3},
    {"after a person since deleted: the next id", 0, 0, false,
     "00000000-0000-0000-0000-0000000000a2", 2, 2},
    {"after the last person: the workspaces", 0, 0, false,
     "ffffffff-ffff-ffff-ffff-ffffffffffff", 5, 5},
    {"after the first workspace", 0, 0, true, "00000000-0000-0000-0000-0000000000b1", 6, 6},
    {"after every subject", 0, 0, true, "ffffffff-ffff-ffff-ffff-ffffffffffff", 7, 7},
    {"shard 1/2 after subject 2: 1 and 2 of its own done", 1, 2, false,
     "0190a3b4-7c1e-7d2a-9f00-5e6d7c8b9a01", 3, 2},
    {"shard 2/2 after subject 3: only 0 of its own done", 2, 2, false,
     "123e4567-e89b-12d3-a456-426614174000", 4, 1},
};

ParameterizedTestParameters(plan, resume_after_the_last_done)
{
    return cr_make_param_array(struct resume_case, resume_cases,
                               sizeof resume_cases / sizeof resume_cases[0]);
}

ParameterizedTest(struct resume_case *c, plan, resume_after_the_last_done)
{
    struct pw *w = five_people(JOB_BACKFILL, c->shard, c->shards);
    struct ledger_position done = nothing_done();
    int32_t taken = 0;

    pw_subject(w, SUBJECT_WORKSPACE, "00000000-0000-0000-0000-0000000000b1", 1);
    pw_subject(w, SUBJECT_WORKSPACE, "00000000-0000-0000-0000-0000000000b2", 1);
    done.has_last = true;
    done.last_is_workspace = c->workspace;
    cr_assert_eq(uuid_parse(c->last, &done.last_id), 0);
    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    cr_expect_eq(w->plan.first_subject, c->first, "%s: first %d", c->what, w->plan.first_subject);
    cr_expect_eq(w->plan.subjects_skipped, c->skipped, "%s", c->what);
    for (int32_t i = 0; i < 7; i++) {
        /* Connections of subjects done are not read again. */
        cr_expect_eq(w->wanted[i], plan_takes_subject(&w->plan, i), "%s: connection %d", c->what, i);
        cr_expect(!plan_takes_subject(&w->plan, i) || i >= c->first, "%s: %d taken", c->what, i);
        taken += plan_takes_subject(&w->plan, i);
    }
    cr_expect_eq(taken, w->plan.subjects_in_shard - c->skipped, "%s", c->what);
    pw_free(w);
}

/* The position after a batch counts only the shard's subjects. */
Test(plan, advance_counts_the_shard_only)
{
    struct pw *w = five_people(JOB_BACKFILL, 2, 2);
    struct ledger_position done = nothing_done(), pos;
    struct uuid last;

    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    pos = done;
    plan_advance(&w->plan, &pos, 0, 3);     /* subjects 0..3: only 0 is shard 2/2's */
    cr_expect_eq(pos.subjects_done, 1);
    cr_expect(pos.has_last && !pos.last_is_workspace);
    cr_assert_eq(uuid_parse(ids[3], &last), 0);
    cr_expect_eq(uuid_compare(&pos.last_id, &last), 0);
    plan_advance(&w->plan, &pos, 4, 4);
    cr_expect_eq(pos.subjects_done, 2);
    pw_free(w);
}

/* ------------------------------------------------------------ bucket days */

struct days_case {
    char what[64];
    enum job_command command;
    int lookback;
    char from[11], to[11];          /* backfill */
    char cutoff[11];
    char lo[11], hi[11];            /* "" "": none */
};

/* SPEC.md section 6. */
static struct days_case days_cases[] = {
    {"nightly: the lookback's days up to the cutoff", JOB_NIGHTLY, 3, "", "", "2024-03-03",
     "2024-03-01", "2024-03-03"},
    {"nightly of one day", JOB_NIGHTLY, 1, "", "", "2024-03-03", "2024-03-03", "2024-03-03"},
    {"nightly across a year end", JOB_NIGHTLY, 7, "", "", "2025-01-02", "2024-12-27",
     "2025-01-02"},
    {"backfill wholly before the cutoff", JOB_BACKFILL, 0, "2024-01-01", "2024-01-31",
     "2024-03-03", "2024-01-01", "2024-01-31"},
    {"backfill cut to the cutoff", JOB_BACKFILL, 0, "2024-02-01", "2024-12-31", "2024-03-03",
     "2024-02-01", "2024-03-03"},
    {"backfill ending on the cutoff", JOB_BACKFILL, 0, "2024-03-03", "2024-03-03", "2024-03-03",
     "2024-03-03", "2024-03-03"},
    {"backfill wholly after the cutoff writes nothing", JOB_BACKFILL, 0, "2024-03-04",
     "2024-03-31", "2024-03-03", "", ""},
    {"goals write no bucket", JOB_GOALS, 0, "", "", "2024-03-03", "", ""},
};

ParameterizedTestParameters(plan, bucket_days)
{
    return cr_make_param_array(struct days_case, days_cases,
                               sizeof days_cases / sizeof days_cases[0]);
}

ParameterizedTest(struct days_case *c, plan, bucket_days)
{
    struct job_options opts;
    int32_t lo, hi;

    memset(&opts, 0, sizeof opts);
    opts.command = c->command;
    opts.lookback = c->lookback;
    if (c->command == JOB_BACKFILL) {
        opts.from = day_of(c->from);
        opts.to = day_of(c->to);
    }
    plan_bucket_days(&opts, day_of(c->cutoff), &lo, &hi);
    if (c->lo[0] == '\0') {
        cr_expect_gt(lo, hi, "%s: [%d, %d]", c->what, lo, hi);
    } else {
        cr_expect_eq(lo, day_of(c->lo), "%s: lo", c->what);
        cr_expect_eq(hi, day_of(c->hi), "%s: hi", c->what);
    }
}

/* ------------------------------------------------------------ cutoffs by zone */

struct cutoff_case {
    char what[64];
    int n;                          /* segments: 1 fixed, 2 a switch */
    char switch_at[21];             /* n == 2: the instant of the switch */
    int32_t offset[2];              /* seconds east of UTC */
    char as_of[32];
    char cutoff[11];                /* the day before the as-of's local date */
};

static struct cutoff_case cutoff_cases[] = {
    {"UTC", 1, "", {0}, "2024-03-10T03:00:00Z", "2024-03-09"},
    {"UTC at midnight", 1, "", {0}, "2024-03-10T00:00:00Z", "2024-03-09"},
    {"UTC a microsecond before", 1, "", {0}, "2024-03-09T23:59:59.999999Z", "2024-03-08"},
    {"-05:00: still the 9th there", 1, "", {-18000}, "2024-03-10T03:00:00Z", "2024-03-08"},
    {"+14:00: the 10th there", 1, "", {50400}, "2024-03-10T03:00:00Z", "2024-03-09"},
    {"+14:00: already the 11th there", 1, "", {50400}, "2024-03-10T10:00:00Z", "2024-03-10"},
    {"+05:45 at 18:14 UTC: 23:59 there", 1, "", {20700}, "2024-03-10T18:14:00Z", "2024-03-09"},
    {"+05:45 at 18:15 UTC: midnight there", 1, "", {20700}, "2024-03-10T18:15:00Z", "2024-03-10"},
    {"-09:30", 1, "", {-34200}, "2024-03-10T09:29:00Z", "2024-03-08"},
    /* New York's 2024 switch to summer time, 2024-03-10 07:00 UTC. */
    {"DST zone before its switch", 2, "2024-03-10T07:00:00Z", {-18000, -14400},
     "2024-03-10T04:30:00Z", "2024-03-08"},
    {"DST zone after its switch", 2, "2024-03-10T07:00:00Z", {-18000, -14400},
     "2024-03-10T07:30:00Z", "2024-03-09"},
    {"DST zone: midnight at -04:00", 2, "2024-03-10T07:00:00Z", {-18000, -14400},
     "2024-03-11T04:00:00Z", "2024-03-10"},
    {"DST zone: 23:00 at -04:00", 2, "2024-03-10T07:00:00Z", {-18000, -14400},
     "2024-03-11T03:00:00Z", "2024-03-09"},
    {"DST zone: 00:30 at -04:00 (23:30 at -05:00)", 2, "2024-03-10T07:00:00Z",
     {-18000, -14400}, "2024-03-11T04:30:00Z", "2024-03-10"},
};

ParameterizedTestParameters(plan, cutoff_by_zone)
{
    return cr_make_param_array(struct cutoff_case, cutoff_cases,
                               sizeof cutoff_cases / sizeof cutoff_cases[0]);
}

ParameterizedTest(struct cutoff_case *c, plan, cutoff_by_zone)
{
    struct pw *w = pw_new(JOB_NIGHTLY);
    int32_t i = pw_person(w, ids[0], 1);
    struct tz_zone *z = &w->zones.zones[pw_zone(w, c->offset[0])];

    if (c->n == 2) {
        int64_t *from = realloc(z->from, 2 * sizeof *from);
        int32_t *offset = realloc(z->offset, 2 * sizeof *offset);

        cr_assert(from != NULL && offset != NULL);
        from[1] = instant_of(c->switch_at);
        offset[1] = c->offset[1];
        z->from = from;
        z->offset = offset;
        z->n = 2;
    }
    w->subjects[i].zone = 1;
    pw_plan(w, c->as_of);
    cr_expect_eq(w->subjects[i].cutoff, day_of(c->cutoff), "%s", c->what);
    pw_free(w);
}

/* ------------------------------------------------------------ plans and need_from */

/* Nightly as of 2024-03-04 00:30 UTC, cutoff 2024-03-03 (a Sunday) in UTC:
 * days 03-01..03-03 are 3 daily buckets, the week of Monday 02-26 and March:
 * 5 buckets, the earliest starting 02-26, so cells from 02-26 on (need_from
 * 02-25).  At -01:00 the cutoff is 03-02 and the plan another one. */
Test(plan, nightly_buckets_and_need_from)
{
    struct pw *w = pw_new(JOB_NIGHTLY);
    int32_t utc = pw_person(w, ids[0], 1), also_utc = pw_person(w, ids[1], 1);
    int32_t west = pw_person(w, ids[2], 1);
    const struct bucket_plan *p;

    w->subjects[west].zone = pw_zone(w, -3600);
    pw_plan(w, "2024-03-04T00:30:00Z");
    cr_expect_eq(w->subjects[utc].cutoff, day_of("2024-03-03"));
    cr_expect_eq(w->subjects[west].cutoff, day_of("2024-03-02"));
    cr_assert_eq(w->plan.n_plans, 2, "one plan per cutoff day");
    cr_expect_eq(w->plan.plan_of[utc], w->plan.plan_of[also_utc], "the same cutoff, one plan");
    cr_expect_neq(w->plan.plan_of[utc], w->plan.plan_of[west]);
    p = &w->plan.plans[w->plan.plan_of[utc]];
    cr_expect_eq(p->lo, day_of("2024-03-01"));
    cr_expect_eq(p->hi, day_of("2024-03-03"));
    cr_expect_eq(p->n, 5);
    cr_expect_eq(w->plan.need_from[utc], day_of("2024-02-25"));
    /* At -01:00: 02-29..03-02, the same week; February (from 02-01) the earliest. */
    p = &w->plan.plans[w->plan.plan_of[west]];
    cr_expect_eq(p->lo, day_of("2024-02-29"));
    cr_expect_eq(p->n, 3 + 1 + 2);
    cr_expect_eq(w->plan.need_from[west], day_of("2024-01-31"));
    pw_free(w);
}

/* A goal reaches back to its start date (nightly and goals), never for a
 * subject of another shard, and not in a backfill (which computes none). */
Test(plan, goals_widen_need_from)
{
    static const enum job_command commands[3] = {JOB_NIGHTLY, JOB_GOALS, JOB_BACKFILL};

    for (int c = 0; c < 3; c++) {
        struct pw *w = five_people(commands[c], 1, 2);     /* takes 1, 2, 3 */

        w->opts.from = day_of("2024-03-01");
        w->opts.to = day_of("2024-03-31");
        pw_goal(w, 1, "2024-01-10");
        pw_goal(w, 0, "2023-06-01");        /* subject 0 is shard 2/2's */
        pw_goal(w, 2, "2024-03-20");        /* starts after the cutoff: needs nothing */
        pw_plan(w, "2024-03-04T00:30:00Z");
        if (commands[c] == JOB_BACKFILL) {
            /* The range cut to 03-03: from 02-26 (the week), need_from 02-25. */
            cr_expect_eq(w->plan.need_from[1], day_of("2024-02-25"));
            cr_expect_eq(w->plan.need_from[2], day_of("2024-02-25"));
        } else {
            cr_expect_eq(w->plan.need_from[1], day_of("2024-01-09"), "command %d", c);
            cr_expect_eq(w->plan.need_from[2], commands[c] == JOB_GOALS ? INT64_MAX
                         : day_of("2024-02-25"), "command %d", c);
        }
        cr_expect_eq(w->plan.need_from[0], INT64_MAX, "another shard's subject, command %d", c);
        cr_expect_eq(w->plan.plan_of[0], -1);
        /* Goals sorted by subject: 0's, then 1's, then 2's. */
        cr_expect_eq(w->plan.goals_by_subject[0], 1);
        cr_expect_eq(w->plan.goals_by_subject[1], 0);
        cr_expect_eq(w->plan.goals_by_subject[2], 2);
        pw_free(w);
    }
}

/* A backfill whose range is wholly after a subject's cutoff plans nothing
 * for it, and one cut there plans up to it. */
Test(plan, backfill_after_the_cutoff_plans_nothing)
{
    struct pw *w = pw_new(JOB_BACKFILL);
    int32_t east = pw_person(w, ids[0], 1), west = pw_person(w, ids[1], 1);

    w->subjects[east].zone = pw_zone(w, 3600);      /* 03-04 00:30 there: cutoff 03-03 */
    w->subjects[west].zone = pw_zone(w, -3600);     /* 03-03 22:30 there: cutoff 03-02 */
    w->opts.from = day_of("2024-03-03");
    w->opts.to = day_of("2024-03-10");
    pw_plan(w, "2024-03-03T23:30:00Z");
    cr_expect_eq(w->plan.plan_of[west], -1);
    cr_expect_eq(w->plan.need_from[west], INT64_MAX);
    cr_assert_geq(w->plan.plan_of[east], 0);
    cr_expect_eq(w->plan.plans[w->plan.plan_of[east]].lo, day_of("2024-03-03"));
    cr_expect_eq(w->plan.plans[w->plan.plan_of[east]].hi, day_of("2024-03-03"));
    pw_free(w);
}

/* ------------------------------------------------------------ batches */

/* Bytes of a subject planned as in nightly_buckets_and_need_from: cells
 * over [need_from, last day] (need_from's cell holds the sum of the days
 * before), N_SERIES int64 a day; 5 buckets, 'all' and github: 10 rows. */
#define CELL_BYTES(days) ((size_t) (days) * N_SERIES * sizeof(int64_t))
#define TEN_ROWS (10 * (size_t) PLAN_ROW_BYTES)

Test(plan, subject_bytes)
{
    struct pw *w = pw_new(JOB_NIGHTLY);
    int32_t i = pw_person(w, ids[0], 1);

    pw_plan(w, "2024-03-04T00:30:00Z");
    /* Data from long before to after the cutoff: 02-25..03-03, 8 days (2024
     * is a leap year). */
    w->plan.min_data_day = day_of("2020-01-01");
    w->plan.max_data_day = day_of("2024-12-31");
    cr_expect_eq(plan_subject_bytes(&w->plan, i), CELL_BYTES(8) + TEN_ROWS);
    /* The first data on 03-02: from the day before it, 03-01..03-03. */
    w->plan.min_data_day = day_of("2024-03-02");
    cr_expect_eq(plan_subject_bytes(&w->plan, i), CELL_BYTES(3) + TEN_ROWS);
    /* The last data on 02-28: cells only up to it, 02-25..02-28. */
    w->plan.min_data_day = day_of("2020-01-01");
    w->plan.max_data_day = day_of("2024-02-28");
    cr_expect_eq(plan_subject_bytes(&w->plan, i), CELL_BYTES(4) + TEN_ROWS);
    /* Every data day before the cells begin: still one day. */
    w->plan.max_data_day = day_of("2024-01-01");
    cr_expect_eq(plan_subject_bytes(&w->plan, i), CELL_BYTES(1) + TEN_ROWS);
    /* A live youtube monitor too: 15 rows. */
    w->subjects[i].live_platforms |= 1u << PLATFORM_YOUTUBE;
    cr_expect_eq(plan_subject_bytes(&w->plan, i), CELL_BYTES(1) + 15 * (size_t) PLAN_ROW_BYTES);
    pw_free(w);
}

/* Four subjects of B bytes each: batches hold as many as fit, at least one. */
Test(plan, batch_sizes_within_the_budget)
{
    struct pw *w = pw_new(JOB_NIGHTLY);
    struct ledger_position done = nothing_done();
    size_t b;

    for (int i = 0; i < 4; i++)
        pw_person(w, ids[i], 1);
    pw_plan(w, "2024-03-04T00:30:00Z");
    w->plan.min_data_day = day_of("2020-01-01");
    w->plan.max_data_day = day_of("2024-12-31");
    cr_assert_eq(plan_partitions(&w->plan, 0, 1, NULL), 0);
    b = CELL_BYTES(8) + TEN_ROWS;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(plan_subject_bytes(&w->plan, i), b);
    cr_expect_eq(plan_batch_size(&w->plan, 0, 4, 2 * b), 2);
    cr_expect_eq(plan_batch_size(&w->plan, 0, 4, 2 * b - 1), 1);
    cr_expect_eq(plan_batch_size(&w->plan, 0, 4, 4 * b), 4);
    cr_expect_eq(plan_batch_size(&w->plan, 0, 4, 100 * b), 4, "not past the end");
    cr_expect_eq(plan_batch_size(&w->plan, 3, 4, 100 * b), 1);
    cr_expect_eq(plan_batch_size(&w->plan, 0, 4, 1), 1, "one subject even over budget");
    cr_expect_eq(plan_part_batches(&w->plan, 0, 2 * b), 2);
    cr_expect_eq(plan_part_batches(&w->plan, 0, 3 * b), 2, "3 + 1");
    cr_expect_eq(plan_part_batches(&w->plan, 0, b), 4);
    /* Resumed after subject 0: three left. */
    plan_term(&w->plan);
    plan_init(&w->plan, &w->opts, &w->src, &w->scope);
    done.has_last = true;
    cr_assert_eq(uuid_parse(ids[0], &done.last_id), 0);
    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    cr_assert_eq(plan_subjects(&w->plan, &w->zones, instant_of("2024-03-04T00:30:00Z"), NULL), 0);
    cr_assert_eq(plan_partitions(&w->plan, 0, 1, NULL), 0);
    w->plan.min_data_day = day_of("2020-01-01");
    w->plan.max_data_day = day_of("2024-12-31");
    cr_expect_eq(plan_part_first(&w->plan, 0), 1);
    cr_expect_eq(plan_part_batches(&w->plan, 0, 2 * b), 2, "2 + 1");
    cr_expect_eq(plan_part_batches(&w->plan, 0, 3 * b), 1);
    pw_free(w);
}

/* ------------------------------------------------------------ partitions */

#define MIB ((size_t) 1 << 20)

/* Eight people of one connection each (subject i has connection i); the
 * batch memory 4 MiB, so the source's share is 1 MiB. */
static struct pw *
eight_people(const struct ledger_position *done)
{
    static const char *const eight[8] = {
        "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
        "00000000-0000-0000-0000-000000000003", "00000000-0000-0000-0000-000000000004",
        "00000000-0000-0000-0000-000000000005", "00000000-0000-0000-0000-000000000006",
        "00000000-0000-0000-0000-000000000007", "00000000-0000-0000-0000-000000000008",
    };
    struct pw *w = pw_new(JOB_BACKFILL);

    for (int i = 0; i < 8; i++)
        pw_person(w, eight[i], 1);
    w->opts.batch_bytes = 4 * MIB;
    cr_assert_eq(plan_select(&w->plan, done, NULL), 0);
    return w;
}

static void
expect_starts(const struct plan *p, int n, const int32_t *want)
{
    cr_assert_eq(p->n_parts, n, "%d partitions, not %d", p->n_parts, n);
    for (int k = 0; k <= n; k++)
        cr_expect_eq(p->part_start[k], want[k], "part_start[%d] = %d, not %d", k,
                     p->part_start[k], want[k]);
}

Test(plan, partitions_fit_the_share)
{
    struct ledger_position done = nothing_done();
    struct pw *w = eight_people(&done);

    /* 1 MiB fits the share: held whole. */
    cr_assert_eq(plan_partitions(&w->plan, MIB, 100, NULL), 0);
    expect_starts(&w->plan, 1, (const int32_t[]) {0, 8});
    plan_term(&w->plan);
    plan_init(&w->plan, &w->opts, &w->src, &w->scope);
    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    /* 3 MiB: 3 partitions; each filled to the share's weight, 8 / 3 = 2.67, at
     * least ceil(8 / 3) = 3 so that three hold all: 3, 3, 2 subjects. */
    cr_assert_eq(plan_partitions(&w->plan, 3 * MIB, 100, NULL), 0);
    expect_starts(&w->plan, 3, (const int32_t[]) {0, 3, 6, 8});
    plan_term(&w->plan);
    plan_init(&w->plan, &w->opts, &w->src, &w->scope);
    cr_assert_eq(plan_select(&w->plan, &done, NULL), 0);
    /* The same, at most 2 partitions (the open-file limit): 4 and 4. */
    cr_assert_eq(plan_partitions(&w->plan, 3 * MIB, 2, NULL), 0);
    expect_starts(&w->plan, 2, (const int32_t[]) {0, 4, 8});
    pw_free(w);
}

/* Resumed after subject 3: the run needs half the source (its 4 connections
 * of 8), 1.5 MiB: 2 partitions of weight 2, counting only subjects 4..7. */
Test(plan, partitions_weigh_only_what_the_run_takes)
{
    struct ledger_position done = nothing_done();
    struct pw *w;

    done.has_last = true;
    cr_assert_eq(uuid_parse("00000000-0000-0000-0000-000000000004", &done.last_id), 0);
    w = eight_people(&done);
    cr_assert_eq(w->plan.first_subject, 4);
    cr_assert_eq(plan_partitions(&w->plan, 3 * MIB, 100, NULL), 0);
    expect_starts(&w->plan, 2, (const int32_t[]) {0, 6, 8});
    cr_expect_eq(plan_part_first(&w->plan, 0), 4);
    cr_expect_eq(plan_part_first(&w->plan, 1), 6);
    pw_free(w);
}

/* Which partitions read which connection: every connection a taken subject
 * covers, a repository monitor's too, each pair once, sorted. */
Test(plan, spill_pairs)
{
    struct ledger_position done = nothing_done();
    struct pw *w = eight_people(&done);
    int32_t *conns, *parts;
    size_t n;
    static const int32_t want_conn[] = {0, 0, 1, 2, 2, 3, 4, 5, 6, 7};
    static const int32_t want_part[] = {0, 2, 0, 0, 1, 1, 1, 2, 2, 2};

    pw_repo_monitor(w, 7, 0);           /* subject 7 (partition 2) watches a repo of 0 */
    pw_repo_monitor(w, 4, 2);           /* subject 4 (partition 1) one of connection 2 */
    pw_repo_monitor(w, 1, 2);           /* subject 1 (partition 0) too: 2 in part 0 once */
    w->subjects[1].conns[w->subjects[1].n_conns++] = 2;
    cr_assert_eq(plan_partitions(&w->plan, 3 * MIB, 100, NULL), 0);
    /* Weights 1, 3, 1, 1, 2, 1, 1, 2 (12); fill ceil(12 / 3) = 4: [0, 2), [2, 5), [5, 8). */
    expect_starts(&w->plan, 3, (const int32_t[]) {0, 2, 5, 8});
    cr_assert_eq(plan_spill_pairs(&w->plan, &conns, &parts, &n, NULL), 0);
    cr_assert_eq(n, sizeof want_conn / sizeof want_conn[0], "%zu pairs", n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(conns[i], want_conn[i], "pair %zu: connection %d", i, conns[i]);
        cr_expect_eq(parts[i], want_part[i], "pair %zu: partition %d", i, parts[i]);
    }
    free(conns);
    free(parts);
    pw_free(w);
}
