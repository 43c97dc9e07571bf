/*
 * test_spec_cases.c: SPEC.md rule by rule, on tiny hand-made datasets.
 *
 * Every test inserts a few profiles, connections, monitors and rows, runs
 * devpulse-etl, and compares single snapshot rows and goal values with values
 * computed by hand from SPEC.md (the arithmetic is in the comment next to each
 * expectation).  No expected value was taken from the engine's output.
 *
 * Expected metrics are written as jsonb with only the non-zero keys:
 * expect_metrics() fills every other key of each named platform with 0, so
 * the comparison is still of the whole document (a missing or extra key, or a
 * missing or extra platform object, fails).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixture.h"

/* Ids: profiles, connections, workspaces, goals, monitors (n: two digits). */
#define PID(n) "00000000-0000-0000-0000-0000000001" #n
#define CID(n) "00000000-0000-0000-0000-0000000002" #n
#define WID(n) "00000000-0000-0000-0000-0000000003" #n
#define GID(n) "00000000-0000-0000-0000-0000000004" #n
#define MID(n) "00000000-0000-0000-0000-0000000005" #n

/* Which snapshot rows: a personal subject or a workspace subject. */
#define PERSONAL(p) "workspace_id IS NULL AND user_id = '" p "'"
#define WORKSPACE(w) "workspace_id = '" w "'"
#define P1 PERSONAL(PID(01))     /* the first profile's own rows, in most tests the only subject */
#define W1 WORKSPACE(WID(01))

/* "%s%s%s" of a nullable SQL literal: 'text' or NULL. */
#define LIT(s) (s) ? "'" : "", (s) ? (s) : "NULL", (s) ? "'" : ""

/* ---------------------------------------------------------------- helpers */

static void __attribute__((format(printf, 2, 3)))
sqlf(struct fx_db *db, const char *fmt, ...)
{
    char sql[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    fx_exec(db, sql);
}

static char * __attribute__((format(printf, 2, 3)))
textf(struct fx_db *db, const char *fmt, ...)
{
    char sql[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return fx_text(db, sql);
}

/* Runs devpulse-etl; asserts exit 0; returns its output (malloc'd). */
static char * __attribute__((format(printf, 2, 3)))
etl_ok(struct fx_db *db, const char *fmt, ...)
{
    char args[2048], *out;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    rc = fx_etl(db, &out, "%s", args);
    cr_assert_eq(rc, 0, "devpulse-etl %s: exit %d\n%s", args, rc, out);
    return out;
}

/* A profile; tz is the timezone text or NULL for SQL NULL. */
static void
add_user(struct fx_db *db, const char *id, const char *tz)
{
    sqlf(db, "INSERT INTO auth.users VALUES ('%s');"
             "INSERT INTO profiles (id, display_name, timezone) VALUES ('%s', 'x', %s%s%s)",
         id, id, LIT(tz));
}

static void
add_conn(struct fx_db *db, const char *id, const char *user, const char *platform, bool active)
{
    sqlf(db, "INSERT INTO platform_connections (id, user_id, platform, platform_user_id,"
             " platform_username, access_token, is_active)"
             " VALUES ('%s', '%s', '%s', 'pu', 'name', 'token', %s)",
         id, user, platform, active ? "true" : "false");
}

/* A monitor; id, ws and resource may be NULL. */
static void
add_monitor(struct fx_db *db, const char *id, const char *user, const char *ws,
            const char *platform, const char *conn, const char *type, const char *resource,
            bool active)
{
    sqlf(db, "INSERT INTO monitors (id, user_id, workspace_id, platform, platform_connection_id,"
             " monitor_type, platform_resource_id, is_active)"
             " VALUES (coalesce(%s%s%s::uuid, gen_random_uuid()), '%s', %s%s%s, '%s', '%s', '%s',"
             " %s%s%s, %s)",
         LIT(id), user, LIT(ws), platform, conn, type, LIT(resource), active ? "true" : "false");
}

/* A profile with one connection on platform and one live 'all' monitor on it. */
static void
add_user_on(struct fx_db *db, const char *user, const char *tz, const char *conn,
            const char *platform)
{
    add_user(db, user, tz);
    add_conn(db, conn, user, platform, true);
    add_monitor(db, NULL, user, NULL, platform, conn, "all", NULL, true);
}

static void
add_contrib(struct fx_db *db, const char *conn, const char *date, int commits, int prs,
            int issues, int repos)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count,"
             " pull_requests_count, issues_count, repositories_contributed_to)"
             " VALUES ('%s', '%s', %d, %d, %d, %d)", conn, date, commits, prs, issues, repos);
}

/* commits_count = day of month for every day of [from, to]. */
static void
add_commits_by_day(struct fx_db *db, const char *conn, const char *from, const char *to)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
             " SELECT '%s', d, extract(day FROM d)::int"
             " FROM generate_series(date '%s', date '%s', '1 day') d", conn, from, to);
}

/* commits_count = 1 for every day of [from, to]. */
static void
add_one_commit_a_day(struct fx_db *db, const char *conn, const char *from, const char *to)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
             " SELECT '%s', d, 1 FROM generate_series(date '%s', date '%s', '1 day') d",
         conn, from, to);
}

static void
add_repo(struct fx_db *db, const char *conn, long long repo_id, const char *created,
         int stars, int forks, int watchers, int open_issues)
{
    sqlf(db, "INSERT INTO github_repositories (platform_connection_id, github_repo_id, name,"
             " full_name, html_url, created_at, updated_at, stars_count, forks_count,"
             " watchers_count, open_issues_count)"
             " VALUES ('%s', %lld, 'r', 'o/r', 'u', '%s', now(), %d, %d, %d, %d)",
         conn, repo_id, created, stars, forks, watchers, open_issues);
}

static void
add_stats(struct fx_db *db, const char *conn, const char *date, long long subs, long long views)
{
    sqlf(db, "INSERT INTO youtube_channel_stats (platform_connection_id, date, subscriber_count,"
             " total_views) VALUES ('%s', '%s', %lld, %lld)", conn, date, subs, views);
}

static void
add_video(struct fx_db *db, const char *conn, const char *published, int likes, int comments)
{
    sqlf(db, "INSERT INTO youtube_videos (platform_connection_id, youtube_video_id, title,"
             " published_at, like_count, comment_count)"
             " VALUES ('%s', gen_random_uuid()::text, 't', '%s', %d, %d)",
         conn, published, likes, comments);
}

/* published NULL: a draft. */
static void
add_article(struct fx_db *db, const char *conn, const char *published, int views,
            int reactions, int comments)
{
    sqlf(db, "INSERT INTO devto_articles (platform_connection_id, devto_article_id, title, url,"
             " published_at, view_count, reaction_count, comment_count)"
             " VALUES ('%s', (SELECT coalesce(max(devto_article_id), 0) + 1 FROM devto_articles),"
             " 't', 'u', %s%s%s, %d, %d, %d)",
         conn, LIT(published), views, reactions, comments);
}

/* Every key of SPEC.md section 4, zero; expectations name only the others. */
#define ZERO_OBJECTS \
    "(VALUES ('github', '{\"commits\": 0, \"pull_requests\": 0, \"issues\": 0," \
    " \"active_days\": 0, \"repositories_contributed_to\": 0, \"total_commits\": 0," \
    " \"repositories_count\": 0, \"new_repositories\": 0, \"total_stars\": 0," \
    " \"total_forks\": 0, \"total_watchers\": 0, \"total_open_issues\": 0}'::jsonb)," \
    " ('youtube', '{\"total_subscribers\": 0, \"total_views\": 0, \"subscribers_gained\": 0," \
    " \"views_gained\": 0, \"total_videos\": 0, \"videos_published\": 0, \"video_likes\": 0," \
    " \"video_comments\": 0}'::jsonb)," \
    " ('devto', '{\"total_articles\": 0, \"articles_published\": 0, \"total_views\": 0," \
    " \"total_reactions\": 0, \"total_comments\": 0}'::jsonb)) zero(p, o)"

/*
 * The row (subject, platform, type, date) exists once and its metrics equal
 * want, where each platform object of want is completed with zeros.
 */
static void
expect_metrics(struct fx_db *db, const char *subject, const char *platform, const char *type,
               const char *date, const char *want)
{
    char *got = textf(db,
        "WITH w AS (SELECT jsonb_object_agg(e.key, zero.o || e.value) AS m"
        "           FROM jsonb_each('%s'::jsonb) e LEFT JOIN " ZERO_OBJECTS " ON zero.p = e.key),"
        " a AS (SELECT metrics FROM analytics_snapshots WHERE %s AND platform = '%s'"
        "       AND snapshot_type = '%s' AND snapshot_date = '%s')"
        " SELECT CASE WHEN (SELECT count(*) FROM a) <> 1"
        "             THEN (SELECT count(*) FROM a) || ' rows'"
        "             WHEN (SELECT metrics FROM a) = (SELECT m FROM w) THEN 'equal'"
        "             ELSE (SELECT metrics::text FROM a) || ' <> ' || (SELECT m::text FROM w) END",
        want, subject, platform, type, date);

    cr_expect_str_eq(got, "equal", "%s %s %s %s: %s", subject, platform, type, date, got);
    free(got);
}

/* One expected row: expect_metrics's arguments. */
struct row_want {
    const char *subject, *platform, *type, *date, *metrics;
};

static void
expect_rows(struct fx_db *db, const struct row_want *rows, int n)
{
    for (int i = 0; i < n; i++)
        expect_metrics(db, rows[i].subject, rows[i].platform, rows[i].type, rows[i].date,
                       rows[i].metrics);
}

/* The snapshot_dates of a subject's rows of one platform and type, "d1 d2 ..." ("" for none). */
static void
expect_dates(struct fx_db *db, const char *subject, const char *platform, const char *type,
             const char *want)
{
    char *got = textf(db, "SELECT coalesce(string_agg(snapshot_date::text, ' ' ORDER BY snapshot_date), '')"
                          " FROM analytics_snapshots WHERE %s AND platform = '%s' AND snapshot_type = '%s'",
                      subject, platform, type);

    cr_expect_str_eq(got, want, "%s %s %s: dates %s, expected %s", subject, platform, type, got, want);
    free(got);
}

static int64_t
count_rows(struct fx_db *db, const char *subject)
{
    char sql[512];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM analytics_snapshots WHERE %s", subject);
    return fx_int(db, sql);
}

#define AS_OF "2025-01-10T12:00:00Z"     /* cutoff 2025-01-09 in UTC and Europe/Berlin */

/* ================================================================ section 1 */

/*
 * Local dates: each profile has two or four articles at the instants below;
 * `want` lists, for the devto daily rows, the local date of each article and
 * how many were published that day ("date:n"), earliest first.  The first
 * daily row is that first date (SPEC.md section 5, first day).
 */
struct zone_case {
    const char *zone;         /* profiles.timezone, NULL for SQL NULL */
    const char *at[4];
    const char *want;
    bool invalid;             /* counts as UTC, with a warning naming the profile */
};

static const struct zone_case zone_cases[] = {
    /* 23:59 and 00:01 UTC */
    {"UTC", {"2025-01-06 23:59Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* CET +1: 22:59Z = 23:59 Jan 6, 23:01Z = 00:01 Jan 7 */
    {"Europe/Berlin", {"2025-01-06 22:59Z", "2025-01-06 23:01Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* +5:30: 18:29Z = 23:59, 18:31Z = 00:01 Jan 7 */
    {"Asia/Kolkata", {"2025-01-06 18:29Z", "2025-01-06 18:31Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* +5:45: 18:14Z = 23:59, 18:16Z = 00:01 Jan 7 */
    {"Asia/Kathmandu", {"2025-01-06 18:14Z", "2025-01-06 18:16Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* January is summer there: +13:45, 10:14Z = 23:59, 10:16Z = 00:01 Jan 7 */
    {"Pacific/Chatham", {"2025-01-06 10:14Z", "2025-01-06 10:16Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* +14: 09:59Z = 23:59, 10:01Z = 00:01 Jan 7 */
    {"Pacific/Kiritimati", {"2025-01-06 09:59Z", "2025-01-06 10:01Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* Etc/GMT+5 is UTC-5 (POSIX sign): Jan 7 04:59Z = 23:59 Jan 6, 05:01Z = 00:01 Jan 7 */
    {"Etc/GMT+5", {"2025-01-07 04:59Z", "2025-01-07 05:01Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* -3:30: 03:29Z = 23:59 Jan 6, 03:31Z = 00:01 Jan 7 */
    {"America/St_Johns", {"2025-01-07 03:29Z", "2025-01-07 03:31Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* posix/ names are in pg_timezone_names: +5:30 as Asia/Kolkata */
    {"posix/Asia/Kolkata", {"2025-01-06 18:29Z", "2025-01-06 18:31Z"}, "2025-01-06:1 2025-01-07:1", false},
    /* New York springs forward on 2025-03-09 (02:00 EST -> 03:00 EDT): Mar 9 04:59Z = 23:59
     * EST Mar 8; 05:01Z = 00:01 Mar 9; Mar 10 03:59Z = 23:59 EDT Mar 9; 04:01Z = 00:01 Mar 10 */
    {"America/New_York", {"2025-03-09 04:59Z", "2025-03-09 05:01Z", "2025-03-10 03:59Z", "2025-03-10 04:01Z"},
     "2025-03-08:1 2025-03-09:2 2025-03-10:1", false},
    /* ... and falls back on 2025-11-02: Nov 2 03:59Z = 23:59 EDT Nov 1; 04:01Z = 00:01 EDT
     * Nov 2; Nov 3 04:59Z = 23:59 EST Nov 2; 05:01Z = 00:01 EST Nov 3 */
    {"America/New_York", {"2025-11-02 03:59Z", "2025-11-02 04:01Z", "2025-11-03 04:59Z", "2025-11-03 05:01Z"},
     "2025-11-01:1 2025-11-02:2 2025-11-03:1", false},
    /* Berlin springs forward on 2025-03-30 at 01:00Z: Mar 29 22:59Z = 23:59 CET; 23:01Z = 00:01
     * Mar 30; Mar 30 21:59Z = 23:59 CEST; 22:01Z = 00:01 Mar 31 */
    {"Europe/Berlin", {"2025-03-29 22:59Z", "2025-03-29 23:01Z", "2025-03-30 21:59Z", "2025-03-30 22:01Z"},
     "2025-03-29:1 2025-03-30:2 2025-03-31:1", false},
    /* ... and falls back on 2025-10-26 at 01:00Z: Oct 25 21:59Z = 23:59 CEST; 22:01Z = 00:01
     * Oct 26; Oct 26 22:59Z = 23:59 CET; 23:01Z = 00:01 Oct 27 */
    {"Europe/Berlin", {"2025-10-25 21:59Z", "2025-10-25 22:01Z", "2025-10-26 22:59Z", "2025-10-26 23:01Z"},
     "2025-10-25:1 2025-10-26:2 2025-10-27:1", false},
    /* Santiago falls back at 24:00 on Apr 5 (-3 -> -4): Apr 6 02:59Z = 23:59 Apr 5;
     * 03:30Z = 23:30 Apr 5 again; 04:01Z = 00:01 Apr 6 */
    {"America/Santiago", {"2025-04-06 02:59Z", "2025-04-06 03:30Z", "2025-04-06 04:01Z"},
     "2025-04-05:2 2025-04-06:1", false},
    /* ... and springs forward at 24:00 on Sep 6 (-4 -> -3): Sep 7 03:59Z = 23:59 Sep 6;
     * 04:01Z = 01:01 Sep 7 */
    {"America/Santiago", {"2025-09-07 03:59Z", "2025-09-07 04:01Z"}, "2025-09-06:1 2025-09-07:1", false},
    /* Cairo falls back at 24:00 on Oct 30 (+3 -> +2): 20:30Z = 23:30, 21:30Z = 23:30 again,
     * 22:01Z = 00:01 Oct 31 */
    {"Africa/Cairo", {"2025-10-30 20:30Z", "2025-10-30 21:30Z", "2025-10-30 22:01Z"},
     "2025-10-30:2 2025-10-31:1", false},
    /* Lord Howe: +11 until Apr 6 02:00 local, then +10:30: Apr 5 12:59Z = 23:59 Apr 5 (+11);
     * Oct 4 13:31Z = 00:01 Oct 5 (+10:30, DST starts at 02:00 that night) */
    {"Australia/Lord_Howe", {"2025-04-05 12:59Z", "2025-10-04 13:31Z"}, "2025-04-05:1 2025-10-05:1", false},
    /* 'CET' is in pg_timezone_names, but AT TIME ZONE reads it as the fixed abbreviation +1
     * (checked: '2025-07-01 22:30Z' AT TIME ZONE 'CET' = 23:30 Jul 1, Europe/Paris 00:30 Jul 2):
     * 22:30Z = 23:30 Jul 1, 23:01Z = 00:01 Jul 2 */
    {"CET", {"2025-07-01 22:30Z", "2025-07-01 23:01Z"}, "2025-07-01:1 2025-07-02:1", false},
    /* 'EST' is fixed -5 also in July: Jul 2 04:59Z = 23:59 Jul 1 (EDT would give 00:59 Jul 2) */
    {"EST", {"2025-07-02 04:59Z", "2025-07-02 05:01Z"}, "2025-07-01:1 2025-07-02:1", false},
    /* EST5EDT has DST: July is -4, Jul 2 03:59Z = 23:59 Jul 1, 04:01Z = 00:01 Jul 2 */
    {"EST5EDT", {"2025-07-02 03:59Z", "2025-07-02 04:01Z"}, "2025-07-01:1 2025-07-02:1", false},
    /* Invalid names count as UTC.  The instants tell UTC from Berlin and from UTC-5:
     * Jan 6 23:30Z is Jan 6 in UTC (Jan 7 in Berlin); Jan 7 00:01Z is Jan 7 in UTC (Jan 6 at -5). */
    {"europe/berlin", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    {"Europe/Berlin ", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    {" UTC", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    {"", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    {NULL, {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    /* PostgreSQL would read 'UTC+5' as a POSIX offset (UTC-5), but it is not in pg_timezone_names */
    {"UTC+5", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
    {"Mars/Olympus", {"2025-01-06 23:30Z", "2025-01-07 00:01Z"}, "2025-01-06:1 2025-01-07:1", true},
};
#define N_ZONE_CASES ((int) (sizeof zone_cases / sizeof zone_cases[0]))

Test(spec, local_dates_by_zone)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    for (int i = 0; i < N_ZONE_CASES; i++) {
        char user[40], conn[40];

        snprintf(user, sizeof user, "00000000-0000-0000-0000-0000000001%02d", i);
        snprintf(conn, sizeof conn, "00000000-0000-0000-0000-0000000002%02d", i);
        add_user_on(&db, user, zone_cases[i].zone, conn, "devto");
        for (int k = 0; k < 4 && zone_cases[i].at[k] != NULL; k++)
            add_article(&db, conn, zone_cases[i].at[k], 1, 0, 0);
    }
    out = etl_ok(&db, "-v backfill --from 2025-01-01 --to 2025-11-30 --as-of 2025-12-15T12:00:00Z");
    for (int i = 0; i < N_ZONE_CASES; i++) {
        const struct zone_case *c = &zone_cases[i];
        char user[40];
        char *got;

        snprintf(user, sizeof user, "00000000-0000-0000-0000-0000000001%02d", i);
        got = textf(&db, "SELECT min(snapshot_date)::text || ' ' || string_agg(snapshot_date || ':'"
                         " || (metrics->'devto'->>'articles_published'), ' ' ORDER BY snapshot_date)"
                         " FILTER (WHERE (metrics->'devto'->>'articles_published')::int > 0)"
                         " FROM analytics_snapshots WHERE user_id = '%s' AND platform = 'devto'"
                         " AND snapshot_type = 'daily'", user);
        /* the first daily row is the first local date */
        cr_expect(strncmp(got, c->want, 10) == 0 && strcmp(got + 11, c->want) == 0,
                  "zone '%s': got %s, expected first day and %s", c->zone ? c->zone : "NULL", got, c->want);
        free(got);
        cr_expect_eq(strstr(out, user) != NULL, c->invalid,
                     "zone '%s': a warning names the profile iff the zone is invalid\n%s",
                     c->zone ? c->zone : "NULL", out);
    }
    free(out);
    fx_db_drop(&db);
}

/*
 * Before 1883 New York kept local mean time, -4:56:02 (checked on the server:
 * '1850-06-02 04:55Z' AT TIME ZONE 'America/New_York' = 1850-06-01 23:58:58).
 * 04:55Z = 23:58:58 Jun 1; 04:58Z = 00:01:58 Jun 2 (at -5:00 both would be Jun 1).
 */
Test(spec, local_mean_time_before_1900)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "America/New_York", CID(01), "github");
    add_repo(&db, CID(01), 1, "1850-06-02 04:55Z", 1, 0, 0, 0);
    add_repo(&db, CID(01), 2, "1850-06-02 04:58Z", 2, 0, 0, 0);
    free(etl_ok(&db, "backfill --from 1850-05-31 --to 1850-06-02 --as-of " AS_OF));
    expect_dates(&db, P1, "github", "daily", "1850-06-01 1850-06-02");
    expect_metrics(&db, P1, "github", "daily", "1850-06-01",
                   "{\"github\": {\"repositories_count\": 1, \"new_repositories\": 1, \"total_stars\": 1}}");
    expect_metrics(&db, P1, "github", "daily", "1850-06-02",
                   "{\"github\": {\"repositories_count\": 2, \"new_repositories\": 1, \"total_stars\": 3}}");
    fx_db_drop(&db);
}

/*
 * The cutoff day is each subject's local date of the as-of instant minus one.
 * As-of 2025-01-10T01:00+09:00 = 2025-01-09 16:00Z.  Commits = day of month,
 * Jan 1 .. Jan 12 for everybody; nightly --lookback 2.
 */
Test(spec, cutoff_follows_each_zone)
{
    struct fx_db db;
    static const struct {
        const char *zone;
        bool late;            /* cutoff Jan 9 rather than Jan 8 */
    } cases[] = {
        {"UTC", false},                   /* Jan 9 16:00 -> cutoff Jan 8 */
        {"America/Los_Angeles", false},   /* Jan 9 08:00 -> Jan 8 */
        {"Asia/Yangon", false},           /* +6:30: Jan 9 22:30 -> Jan 8 */
        {"Asia/Singapore", true},         /* +8: Jan 10 00:00 exactly -> Jan 9 */
        {"Asia/Tokyo", true},             /* Jan 10 01:00 -> Jan 9 */
        {"Pacific/Kiritimati", true},     /* +14: Jan 10 06:00 -> Jan 9 */
    };
    int n = (int) (sizeof cases / sizeof cases[0]);

    fx_db_create(&db);
    for (int i = 0; i < n; i++) {
        char user[40], conn[40];

        snprintf(user, sizeof user, "00000000-0000-0000-0000-0000000001%02d", i);
        snprintf(conn, sizeof conn, "00000000-0000-0000-0000-0000000002%02d", i);
        add_user_on(&db, user, cases[i].zone, conn, "github");
        add_commits_by_day(&db, conn, "2025-01-01", "2025-01-12");
    }
    free(etl_ok(&db, "nightly --lookback 2 --as-of 2025-01-10T01:00+09:00"));
    for (int i = 0; i < n; i++) {
        char subject[128];
        /* the daily buckets: the 2 days ending at the cutoff */
        const char *days = cases[i].late ? "2025-01-08 2025-01-09" : "2025-01-07 2025-01-08";

        snprintf(subject, sizeof subject,
                 "workspace_id IS NULL AND user_id = '00000000-0000-0000-0000-0000000001%02d'", i);
        expect_dates(&db, subject, "github", "daily", days);
        expect_dates(&db, subject, "all", "daily", days);
        expect_dates(&db, subject, "github", "weekly", "2025-01-06");
        expect_dates(&db, subject, "github", "monthly", "2025-01-01");
        if (cases[i].late) {
            /* cutoff Jan 9: daily Jan 9 = 9 commits, total 1+..+9 = 45; week Jan 6..9 =
             * 6+7+8+9 = 30 on 4 days; month Jan 1..9 = 45 on 9 days */
            expect_metrics(&db, subject, "github", "daily", "2025-01-09",
                           "{\"github\": {\"commits\": 9, \"active_days\": 1, \"total_commits\": 45}}");
            expect_metrics(&db, subject, "github", "weekly", "2025-01-06",
                           "{\"github\": {\"commits\": 30, \"active_days\": 4, \"total_commits\": 45}}");
            expect_metrics(&db, subject, "all", "monthly", "2025-01-01",
                           "{\"github\": {\"commits\": 45, \"active_days\": 9, \"total_commits\": 45}}");
        } else {
            /* cutoff Jan 8: daily Jan 8 = 8, total 36; week Jan 6..8 = 21 on 3 days; month 36 on 8 */
            expect_metrics(&db, subject, "github", "daily", "2025-01-08",
                           "{\"github\": {\"commits\": 8, \"active_days\": 1, \"total_commits\": 36}}");
            expect_metrics(&db, subject, "github", "weekly", "2025-01-06",
                           "{\"github\": {\"commits\": 21, \"active_days\": 3, \"total_commits\": 36}}");
            expect_metrics(&db, subject, "all", "monthly", "2025-01-01",
                           "{\"github\": {\"commits\": 36, \"active_days\": 8, \"total_commits\": 36}}");
        }
    }
    fx_db_drop(&db);
}

/* ================================================================ sections 2, 6 */

/* nightly without --lookback: 3 days.  Cutoff 2025-03-02 (Sunday): Feb 28, Mar 1, Mar 2. */
Test(spec, nightly_default_lookback_across_months)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-02-01", "2025-03-05");
    free(etl_ok(&db, "nightly --as-of 2025-03-03T12:00:00Z"));
    expect_dates(&db, P1, "github", "daily", "2025-02-28 2025-03-01 2025-03-02");
    /* Feb 28 (Fri) .. Mar 2 (Sun) are all in the week of Monday Feb 24 */
    expect_dates(&db, P1, "github", "weekly", "2025-02-24");
    expect_dates(&db, P1, "github", "monthly", "2025-02-01 2025-03-01");
    expect_dates(&db, P1, "all", "monthly", "2025-02-01 2025-03-01");
    static const struct row_want rows[] = {
        /* Feb: 28 commits on 28 days, total as of Feb 28 = 28 */
        {P1, "github", "monthly", "2025-02-01",
         "{\"github\": {\"commits\": 28, \"active_days\": 28, \"total_commits\": 28}}"},
        /* Mar to date (1..2): 2 commits, total 28 + 2 = 30 */
        {P1, "github", "monthly", "2025-03-01",
         "{\"github\": {\"commits\": 2, \"active_days\": 2, \"total_commits\": 30}}"},
        /* Feb 24 .. Mar 2: 7 commits, total 30 */
        {P1, "github", "weekly", "2025-02-24",
         "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 30}}"},
        /* Mar 1: total 28 + 1 = 29 */
        {P1, "all", "daily", "2025-03-01",
         "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 29}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * backfill's range is cut at each subject's cutoff.  As-of 2025-01-10 12:00Z:
 * UTC cutoff Jan 9, Kiritimati (+14, Jan 11 02:00) cutoff Jan 10.  One commit
 * a day, Jan 1 .. Jan 15.
 */
Test(spec, backfill_range_cut_at_cutoff)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_user_on(&db, PID(02), "Pacific/Kiritimati", CID(02), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-15");
    add_one_commit_a_day(&db, CID(02), "2025-01-01", "2025-01-15");

    /* Jan 10 .. 20 lies wholly after the UTC cutoff: nothing for it, success. */
    free(etl_ok(&db, "backfill --from 2025-01-10 --to 2025-01-20 --as-of " AS_OF));
    cr_expect_eq(count_rows(&db, P1), 0);
    /* Kiritimati: range cut to Jan 10 .. Jan 10 */
    expect_dates(&db, PERSONAL(PID(02)), "github", "daily", "2025-01-10");
    expect_dates(&db, PERSONAL(PID(02)), "github", "weekly", "2025-01-06");
    expect_dates(&db, PERSONAL(PID(02)), "github", "monthly", "2025-01-01");
    /* week Jan 6 .. 10 (cutoff): 5 commits; total Jan 1..10 = 10 */
    expect_metrics(&db, PERSONAL(PID(02)), "github", "weekly", "2025-01-06",
                   "{\"github\": {\"commits\": 5, \"active_days\": 5, \"total_commits\": 10}}");

    /* Jan 8 .. 20: cut to Jan 8 .. 9 (UTC); the week of Jan 13 holds no day of the cut range */
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-20 --as-of " AS_OF));
    expect_dates(&db, P1, "github", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, P1, "github", "weekly", "2025-01-06");
    expect_dates(&db, P1, "all", "weekly", "2025-01-06");
    expect_dates(&db, P1, "github", "monthly", "2025-01-01");
    expect_dates(&db, PERSONAL(PID(02)), "github", "daily", "2025-01-08 2025-01-09 2025-01-10");
    /* UTC week Jan 6 .. 9: 4 commits, total 9; month Jan 1 .. 9: 9 */
    expect_metrics(&db, P1, "github", "weekly", "2025-01-06",
                   "{\"github\": {\"commits\": 4, \"active_days\": 4, \"total_commits\": 9}}");
    expect_metrics(&db, P1, "github", "monthly", "2025-01-01",
                   "{\"github\": {\"commits\": 9, \"active_days\": 9, \"total_commits\": 9}}");
    fx_db_drop(&db);
}

/* ISO week 53 of 2020 (Mon Dec 28 .. Sun Jan 3) and the leap day of 2024. */
Test(spec, iso_week_53_and_leap_day)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2020-12-20", "2021-01-10");
    add_one_commit_a_day(&db, CID(01), "2024-02-01", "2024-03-10");
    free(etl_ok(&db, "backfill --from 2021-01-01 --to 2021-01-03 --as-of 2021-02-01T00:00:00Z"));
    expect_dates(&db, P1, "github", "daily", "2021-01-01 2021-01-02 2021-01-03");
    expect_dates(&db, P1, "github", "weekly", "2020-12-28");
    /* December 2020 holds no day of the range */
    expect_dates(&db, P1, "github", "monthly", "2021-01-01");
    /* week Dec 28 .. Jan 3: 7 commits; total Dec 20 .. Jan 3 = 12 + 3 = 15 */
    expect_metrics(&db, P1, "github", "weekly", "2020-12-28",
                   "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 15}}");
    /* January computed whole up to the cutoff Jan 31: Jan 1 .. 10 = 10; total 12 + 10 = 22 */
    expect_metrics(&db, P1, "github", "monthly", "2021-01-01",
                   "{\"github\": {\"commits\": 10, \"active_days\": 10, \"total_commits\": 22}}");

    /* 2024: Feb 28 (Wed) .. Mar 1 (Fri), all in the week of Monday Feb 26 */
    free(etl_ok(&db, "backfill --from 2024-02-28 --to 2024-03-01 --as-of 2024-12-01T00:00:00Z"));
    expect_dates(&db, P1, "github", "daily",
                 "2021-01-01 2021-01-02 2021-01-03 2024-02-28 2024-02-29 2024-03-01");
    expect_dates(&db, P1, "github", "weekly", "2020-12-28 2024-02-26");
    expect_dates(&db, P1, "github", "monthly", "2021-01-01 2024-02-01 2024-03-01");
    static const struct row_want rows[] = {
        /* February 2024 has 29 days: 29 commits; total = 22 (2020/21) + 29 = 51 */
        {P1, "github", "monthly", "2024-02-01",
         "{\"github\": {\"commits\": 29, \"active_days\": 29, \"total_commits\": 51}}"},
        /* Feb 29: total 22 + 29 = 51 */
        {P1, "github", "daily", "2024-02-29",
         "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 51}}"},
        /* week Feb 26 .. Mar 3: 7 commits; total 22 + 29 + 3 = 54.  March: 1 .. 10 = 10, total 61 */
        {P1, "github", "weekly", "2024-02-26",
         "{\"github\": {\"commits\": 7, \"active_days\": 7, \"total_commits\": 54}}"},
        {P1, "github", "monthly", "2024-03-01",
         "{\"github\": {\"commits\": 10, \"active_days\": 10, \"total_commits\": 61}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/* ================================================================ sections 4, 5 */

/*
 * First day per platform and for 'all'; 'all' rows carry every platform with
 * a live monitor, also one without rows (devto: only a draft and an article
 * after the cutoff).  UTC, cutoff Jan 9; backfill Jan 1 .. 9.
 */
Test(spec, first_day_per_platform_and_all)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_conn(&db, CID(02), PID(01), "youtube", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(02), "all", NULL, true);
    add_conn(&db, CID(03), PID(01), "devto", true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(03), "all", NULL, true);
    add_contrib(&db, CID(01), "2025-01-05", 2, 1, 0, 3);
    add_contrib(&db, CID(01), "2025-01-06", 0, 0, 0, 1);
    add_contrib(&db, CID(01), "2025-01-08", 0, 0, 4, 2);
    add_stats(&db, CID(02), "2025-01-07", 100, 1000);
    add_stats(&db, CID(02), "2025-01-09", 90, 1500);
    add_stats(&db, CID(02), "2025-01-10", 500, 9999);        /* after the cutoff */
    add_video(&db, CID(02), "2025-01-08 12:00Z", 5, 2);
    add_video(&db, CID(02), "2025-01-10 01:00Z", 50, 50);    /* after the cutoff */
    add_article(&db, CID(03), NULL, 1000, 10, 10);           /* draft */
    add_article(&db, CID(03), "2025-01-10 06:00Z", 7, 1, 1); /* after the cutoff */
    free(etl_ok(&db, "backfill --from 2025-01-01 --to 2025-01-09 --as-of " AS_OF));

    /* first days: github Jan 5, youtube Jan 7, devto none, all Jan 5 */
    expect_dates(&db, P1, "github", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    expect_dates(&db, P1, "youtube", "daily", "2025-01-07 2025-01-08 2025-01-09");
    expect_dates(&db, P1, "all", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    /* the week Dec 30 .. Jan 5 holds Jan 1; its last day is github's first day */
    expect_dates(&db, P1, "github", "weekly", "2024-12-30 2025-01-06");
    expect_dates(&db, P1, "youtube", "weekly", "2025-01-06");
    expect_dates(&db, P1, "all", "weekly", "2024-12-30 2025-01-06");
    expect_dates(&db, P1, "github", "monthly", "2025-01-01");
    expect_dates(&db, P1, "youtube", "monthly", "2025-01-01");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE platform = 'devto'"), 0);

    static const struct row_want rows[] = {
        /* week Dec 30 .. Jan 5: Jan 5 only */
        {P1, "github", "weekly", "2024-12-30",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"active_days\": 1,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2}}"},
        /* week Jan 6 .. 9: issues 4 on Jan 8 (one active day; Jan 6 is all zeros);
         * repositories_contributed_to max(1, 2) = 2 */
        {P1, "github", "weekly", "2025-01-06",
         "{\"github\": {\"issues\": 4, \"active_days\": 1,"
         " \"repositories_contributed_to\": 2, \"total_commits\": 2}}"},
        /* month: max(3, 1, 2) = 3; active Jan 5 and Jan 8 */
        {P1, "github", "monthly", "2025-01-01",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"issues\": 4, \"active_days\": 2,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2}}"},
        {P1, "github", "daily", "2025-01-06",
         "{\"github\": {\"repositories_contributed_to\": 1, \"total_commits\": 2}}"},
        /* youtube Jan 7: first stats, gained against 0 */
        {P1, "youtube", "daily", "2025-01-07",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000,"
         " \"subscribers_gained\": 100, \"views_gained\": 1000}}"},
        /* Jan 8: no stats row that day, the latest is Jan 7's; gained 0 */
        {P1, "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        /* Jan 9: 90 - 100 = -10 subscribers, 1500 - 1000 = 500 views */
        {P1, "youtube", "daily", "2025-01-09",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": -10, \"views_gained\": 500, \"total_videos\": 1,"
         " \"video_likes\": 5, \"video_comments\": 2}}"},
        /* week Jan 6 .. 9: 90 - 0 (nothing as of Jan 5), 1500 - 0 */
        {P1, "youtube", "weekly", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": 90, \"views_gained\": 1500, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        {P1, "youtube", "monthly", "2025-01-01",
         "{\"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": 90, \"views_gained\": 1500, \"total_videos\": 1,"
         " \"videos_published\": 1, \"video_likes\": 5, \"video_comments\": 2}}"},
        /* 'all' rows: youtube and devto present with zeros before they have data */
        {P1, "all", "weekly", "2024-12-30",
         "{\"github\": {\"commits\": 2, \"pull_requests\": 1, \"active_days\": 1,"
         " \"repositories_contributed_to\": 3, \"total_commits\": 2},"
         " \"youtube\": {}, \"devto\": {}}"},
        {P1, "all", "daily", "2025-01-09",
         "{\"github\": {\"total_commits\": 2},"
         " \"youtube\": {\"total_subscribers\": 90, \"total_views\": 1500,"
         " \"subscribers_gained\": -10, \"views_gained\": 500, \"total_videos\": 1,"
         " \"video_likes\": 5, \"video_comments\": 2}, \"devto\": {}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/* A subject with no in-scope row (on or before its cutoff) gets no rows at all. */
Test(spec, subjects_without_in_scope_rows)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");     /* live monitor, no rows */
    add_user_on(&db, PID(02), "UTC", CID(02), "devto");      /* a draft only */
    add_article(&db, CID(02), NULL, 5, 5, 5);
    add_user_on(&db, PID(03), "UTC", CID(03), "github");     /* rows after the cutoff only */
    add_contrib(&db, CID(03), "2025-01-10", 1, 1, 1, 1);
    add_repo(&db, CID(03), 1, "2025-01-10 00:30Z", 1, 0, 0, 0);
    add_user(&db, PID(04), "UTC");                             /* rows, inactive monitor */
    add_conn(&db, CID(04), PID(04), "youtube", true);
    add_monitor(&db, NULL, PID(04), NULL, "youtube", CID(04), "all", NULL, false);
    add_stats(&db, CID(04), "2025-01-05", 10, 10);
    add_user_on(&db, PID(05), "UTC", CID(05), "github");     /* control: first day Jan 8 */
    add_contrib(&db, CID(05), "2025-01-08", 1, 0, 0, 0);
    free(etl_ok(&db, "nightly --as-of " AS_OF));
    for (int i = 1; i <= 4; i++) {
        char subject[128];

        snprintf(subject, sizeof subject,
                 "workspace_id IS NULL AND user_id = '00000000-0000-0000-0000-0000000001%02d'", i);
        cr_expect_eq(count_rows(&db, subject), 0, "profile %d should have no rows", i);
    }
    /* lookback 3 = Jan 7 .. 9, but nothing before the first day Jan 8 */
    expect_dates(&db, PERSONAL(PID(05)), "github", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, PERSONAL(PID(05)), "all", "daily", "2025-01-08 2025-01-09");
    expect_dates(&db, PERSONAL(PID(05)), "github", "weekly", "2025-01-06");
    expect_dates(&db, PERSONAL(PID(05)), "github", "monthly", "2025-01-01");
    cr_expect_eq(count_rows(&db, PERSONAL(PID(05))), 8);   /* (2 daily + week + month) x 2 */
    fx_db_drop(&db);
}

/* ================================================================ section 3 */

/*
 * Which monitors are live.  Each user has one connection with the same rows
 * (github: a commit on Jan 8 and a repository of Jan 2 with 3 stars).  Only
 * the control users get rows.
 */
Test(spec, monitor_live_rules)
{
    struct fx_db db;
    char *out;
    static const struct {
        const char *user, *conn, *monitor, *platform, *monitor_platform, *type;
        bool conn_active, monitor_active, live, warned;
    } cases[] = {
        /* monitor inactive: not live, no warning */
        {PID(01), CID(01), MID(01), "github", "github", "all", true, false, false, false},
        /* connection inactive */
        {PID(02), CID(02), MID(02), "github", "github", "all", false, true, false, false},
        /* platform differs from the connection's */
        {PID(03), CID(03), MID(03), "github", "youtube", "all", true, true, false, true},
        /* types not usable on their platform, unknown types, case matters */
        {PID(05), CID(05), MID(05), "github", "github", "channel", true, true, false, true},
        {PID(06), CID(06), MID(06), "youtube", "youtube", "repository", true, true, false, true},
        {PID(07), CID(07), MID(07), "github", "github", "playlist", true, true, false, true},
        {PID(08), CID(08), MID(08), "github", "github", "All", true, true, false, true},
        {PID(09), CID(09), MID(09), "devto", "devto", "channel", true, true, false, true},
        {PID(10), CID(10), MID(10), "devto", "devto", "repository", true, true, false, true},
        /* not one of the three platforms (names are case-sensitive) */
        {PID(13), CID(13), MID(13), "GitHub", "GitHub", "all", true, true, false, true},
        /* live: 'user' anywhere, 'channel' on youtube */
        {PID(11), CID(11), MID(11), "github", "github", "user", true, true, true, false},
        {PID(12), CID(12), MID(12), "youtube", "youtube", "channel", true, true, true, false},
        {PID(14), CID(14), MID(14), "devto", "devto", "user", true, true, true, false},
        {PID(15), CID(15), MID(15), "youtube", "youtube", "user", true, true, true, false},
    };
    int n = (int) (sizeof cases / sizeof cases[0]);

    fx_db_create(&db);
    for (int i = 0; i < n; i++) {
        add_user(&db, cases[i].user, "UTC");
        add_conn(&db, cases[i].conn, cases[i].user, cases[i].platform, cases[i].conn_active);
        add_monitor(&db, cases[i].monitor, cases[i].user, NULL, cases[i].monitor_platform,
                    cases[i].conn, cases[i].type, NULL, cases[i].monitor_active);
        if (strcasecmp(cases[i].platform, "github") == 0) {
            add_contrib(&db, cases[i].conn, "2025-01-08", 5, 0, 0, 0);
            add_repo(&db, cases[i].conn, 100 + i, "2025-01-02 10:00Z", 3, 0, 0, 0);
        } else if (strcmp(cases[i].platform, "youtube") == 0) {
            add_stats(&db, cases[i].conn, "2025-01-08", 10, 0);
        } else {
            add_article(&db, cases[i].conn, "2025-01-08 10:00Z", 4, 0, 0);
        }
    }
    /* PID(04) monitors PID(16)'s connection (which has rows and no monitor of its own) */
    add_user(&db, PID(04), "UTC");
    add_user(&db, PID(16), "UTC");
    add_conn(&db, CID(16), PID(16), "github", true);
    add_contrib(&db, CID(16), "2025-01-08", 5, 0, 0, 0);
    add_monitor(&db, MID(04), PID(04), NULL, "github", CID(16), "all", NULL, true);

    out = etl_ok(&db, "-v nightly --as-of " AS_OF);
    for (int i = 0; i < n; i++) {
        char subject[128];

        snprintf(subject, sizeof subject, "workspace_id IS NULL AND user_id = '%s'", cases[i].user);
        if (cases[i].live)
            cr_expect_gt(count_rows(&db, subject), 0, "monitor %s should be live", cases[i].monitor);
        else
            cr_expect_eq(count_rows(&db, subject), 0, "monitor %s should not be live", cases[i].monitor);
        if (cases[i].warned)
            cr_expect(strstr(out, cases[i].monitor) != NULL, "no warning names monitor %s\n%s",
                      cases[i].monitor, out);
    }
    /* an inactive monitor alone is not warned about */
    cr_expect(strstr(out, MID(01)) == NULL, "inactive monitor warned about\n%s", out);
    cr_expect(strstr(out, MID(04)) != NULL, "no warning names monitor " MID(04) "\n%s", out);
    cr_expect_eq(count_rows(&db, PERSONAL(PID(04))), 0);
    cr_expect_eq(count_rows(&db, PERSONAL(PID(16))), 0);
    free(out);
    static const struct row_want rows[] = {
        /* the controls: github Jan 8 = 5 commits, repository of Jan 2 with 3 stars */
        {PERSONAL(PID(11)), "github", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 5, \"active_days\": 1, \"total_commits\": 5,"
         " \"repositories_count\": 1, \"total_stars\": 3}}"},
        {PERSONAL(PID(12)), "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 10, \"subscribers_gained\": 10}}"},
        {PERSONAL(PID(14)), "all", "daily", "2025-01-08",
         "{\"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 4}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * 'repository' monitors: the repositories of their own connection whose
 * github_repo_id::text equals platform_resource_id; never contributions.
 * nightly, cutoff Jan 9, days Jan 7 .. 9.
 */
Test(spec, repository_monitors)
{
    struct fx_db db;

    fx_db_create(&db);
    /* U: repository '42' only; its connection also has repo 43 and contributions */
    add_user(&db, PID(01), "UTC");
    add_conn(&db, CID(01), PID(01), "github", true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(01), "repository", "42", true);
    add_repo(&db, CID(01), 42, "2025-01-02 10:00Z", 10, 1, 2, 3);
    add_repo(&db, CID(01), 43, "2025-01-03 10:00Z", 20, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 5, 0, 0, 1);
    /* V: text comparison: '007' and ' 8' match nothing, NULL neither; '7' twice counts once */
    add_user(&db, PID(02), "UTC");
    add_conn(&db, CID(02), PID(02), "github", true);
    add_repo(&db, CID(02), 7, "2025-01-04 10:00Z", 1, 0, 0, 0);
    add_repo(&db, CID(02), 8, "2025-01-04 10:00Z", 2, 0, 0, 0);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "007", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", " 8", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", NULL, true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "7", true);
    add_monitor(&db, NULL, PID(02), NULL, "github", CID(02), "repository", "7", true);
    /* W: repository '100' and 'all' on the same connection: repo 100 once */
    add_user(&db, PID(03), "UTC");
    add_conn(&db, CID(03), PID(03), "github", true);
    add_monitor(&db, NULL, PID(03), NULL, "github", CID(03), "repository", "100", true);
    add_monitor(&db, NULL, PID(03), NULL, "github", CID(03), "all", NULL, true);
    add_repo(&db, CID(03), 100, "2025-01-05 10:00Z", 5, 0, 0, 0);
    add_repo(&db, CID(03), 101, "2025-01-06 10:00Z", 6, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-08", 2, 0, 0, 0);
    /* X: '42' is U's repository, not one of X's connection: nothing in scope */
    add_user(&db, PID(04), "UTC");
    add_conn(&db, CID(04), PID(04), "github", true);
    add_repo(&db, CID(04), 500, "2025-01-02 10:00Z", 9, 0, 0, 0);
    add_monitor(&db, NULL, PID(04), NULL, "github", CID(04), "repository", "42", true);
    /* Y: a live repository monitor matching nothing, and youtube data */
    add_user(&db, PID(05), "UTC");
    add_conn(&db, CID(05), PID(05), "github", true);
    add_repo(&db, CID(05), 600, "2025-01-02 10:00Z", 9, 0, 0, 0);
    add_monitor(&db, NULL, PID(05), NULL, "github", CID(05), "repository", "601", true);
    add_conn(&db, CID(06), PID(05), "youtube", true);
    add_monitor(&db, NULL, PID(05), NULL, "youtube", CID(06), "channel", NULL, true);
    add_stats(&db, CID(06), "2025-01-08", 7, 0);
    free(etl_ok(&db, "nightly --as-of " AS_OF));

    static const struct row_want rows[] = {
        /* U: repo 42 only (10 stars, 1 fork, 2 watchers, 3 open issues), no commits */
        {P1, "github", "daily", "2025-01-08",
         "{\"github\": {\"repositories_count\": 1, \"total_stars\": 10, \"total_forks\": 1,"
         " \"total_watchers\": 2, \"total_open_issues\": 3}}"},
        {P1, "github", "monthly", "2025-01-01",
         "{\"github\": {\"repositories_count\": 1, \"new_repositories\": 1, \"total_stars\": 10,"
         " \"total_forks\": 1, \"total_watchers\": 2, \"total_open_issues\": 3}}"},
        /* V: repo 7 once */
        {PERSONAL(PID(02)), "github", "daily", "2025-01-09",
         "{\"github\": {\"repositories_count\": 1, \"total_stars\": 1}}"},
        {PERSONAL(PID(02)), "github", "monthly", "2025-01-01",
         "{\"github\": {\"repositories_count\": 1, \"new_repositories\": 1, \"total_stars\": 1}}"},
        /* W: repos 100 + 101 = 5 + 6 stars; week Jan 6 .. 9 has 101 (Jan 6) new, 100 (Jan 5) not */
        {PERSONAL(PID(03)), "github", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"total_stars\": 11}}"},
        {PERSONAL(PID(03)), "github", "weekly", "2025-01-06",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"new_repositories\": 1, \"total_stars\": 11}}"},
        {PERSONAL(PID(03)), "github", "monthly", "2025-01-01",
         "{\"github\": {\"commits\": 2, \"active_days\": 1, \"total_commits\": 2,"
         " \"repositories_count\": 2, \"new_repositories\": 2, \"total_stars\": 11}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    cr_expect_eq(count_rows(&db, PERSONAL(PID(04))), 0);
    /* Y: no github rows, but github (zeros) in its 'all' rows */
    expect_dates(&db, PERSONAL(PID(05)), "github", "daily", "");
    expect_dates(&db, PERSONAL(PID(05)), "youtube", "daily", "2025-01-08 2025-01-09");
    expect_metrics(&db, PERSONAL(PID(05)), "all", "daily", "2025-01-08",
                   "{\"github\": {}, \"youtube\": {\"total_subscribers\": 7, \"subscribers_gained\": 7}}");
    fx_db_drop(&db);
}

/*
 * Workspace scope and time: W is owned by O (Asia/Tokyo); M (America/Los_Angeles)
 * is a member; N (UTC) is not, but has a monitor with workspace_id W.
 * As-of 2025-01-09 16:00Z: Tokyo Jan 10 01:00 -> cutoff Jan 9 (W and O);
 * LA Jan 9 08:00 -> Jan 8 (M); UTC -> Jan 8 (N).  nightly --lookback 1.
 */
Test(spec, workspace_scope_and_owner_zone)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user(&db, PID(01), "Asia/Tokyo");
    add_user(&db, PID(02), "America/Los_Angeles");
    add_user(&db, PID(03), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "');"
                 "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" WID(01) "', '" PID(02) "')");
    add_conn(&db, CID(01), PID(01), "github", true);
    add_conn(&db, CID(02), PID(02), "github", true);
    add_conn(&db, CID(03), PID(03), "github", true);
    add_conn(&db, CID(04), PID(02), "devto", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(01), "all", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "github", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(03), WID(01), "github", CID(03), "all", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "devto", CID(04), "all", NULL, true);
    add_contrib(&db, CID(01), "2025-01-08", 1, 0, 0, 1);
    add_contrib(&db, CID(01), "2025-01-09", 1, 0, 0, 2);
    add_contrib(&db, CID(02), "2025-01-08", 0, 0, 0, 5);
    add_contrib(&db, CID(02), "2025-01-09", 10, 0, 0, 3);
    add_contrib(&db, CID(03), "2025-01-01", 1000, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-09", 100, 0, 0, 0);
    /* 20:00Z = Jan 9 05:00 in Tokyo, Jan 8 12:00 in Los Angeles */
    add_article(&db, CID(04), "2025-01-08 20:00Z", 9, 0, 0);
    /* A stale workspace row whose user_id is not the owner: replaced, and takes the owner. */
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 " snapshot_date, metrics) VALUES ('" PID(02) "', '" WID(01) "', 'github', 'daily',"
                 " '2025-01-09', '{}')");
    free(etl_ok(&db, "nightly --lookback 1 --as-of 2025-01-09T16:00:00Z"));

    /* W: O + M, not N; 9 rows = (github, devto, all) x (Jan 9, week Jan 6, month) */
    cr_expect_eq(count_rows(&db, W1), 9);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE workspace_id = '" WID(01) "'"
                             " AND user_id <> '" PID(01) "'"), 0, "workspace rows carry the owner's user_id");
    expect_dates(&db, W1, "github", "daily", "2025-01-09");
    static const struct row_want rows[] = {
        /* Jan 9: 1 + 10 commits; repositories_contributed_to 2 (O) + 3 (M); total (1 + 1) + 10 */
        {W1, "github", "daily", "2025-01-09",
         "{\"github\": {\"commits\": 11, \"active_days\": 1, \"repositories_contributed_to\": 5,"
         " \"total_commits\": 12}}"},
        /* week Jan 6 .. 9: active Jan 8 (1 + 0 > 0) and Jan 9; contributed max(1, 2) + max(5, 3) = 7 */
        {W1, "github", "weekly", "2025-01-06",
         "{\"github\": {\"commits\": 12, \"active_days\": 2, \"repositories_contributed_to\": 7,"
         " \"total_commits\": 12}}"},
        /* the article is on Jan 9 in the owner's zone */
        {W1, "all", "daily", "2025-01-09",
         "{\"github\": {\"commits\": 11, \"active_days\": 1, \"repositories_contributed_to\": 5,"
         " \"total_commits\": 12},"
         " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 9}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    expect_dates(&db, W1, "devto", "daily", "2025-01-09");
    /* O personal (the workspace monitor counts for O too): Jan 9 */
    expect_metrics(&db, P1, "all", "daily", "2025-01-09",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"repositories_contributed_to\": 2,"
                   " \"total_commits\": 2}}");
    /* M personal, cutoff Jan 8: the article is on Jan 8 in Los Angeles */
    expect_dates(&db, PERSONAL(PID(02)), "all", "daily", "2025-01-08");
    expect_metrics(&db, PERSONAL(PID(02)), "all", "daily", "2025-01-08",
                   "{\"github\": {\"repositories_contributed_to\": 5},"
                   " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 9}}");
    /* N personal, cutoff Jan 8: Jan 9's 100 commits are after it */
    expect_metrics(&db, PERSONAL(PID(03)), "github", "daily", "2025-01-08",
                   "{\"github\": {\"total_commits\": 1000}}");
    fx_db_drop(&db);
}

/* Resources covered by several monitors count once (personal and workspace). */
Test(spec, overlapping_monitors_count_once)
{
    struct fx_db db;
    const char *want =
        "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 2,"
        " \"total_commits\": 3, \"repositories_count\": 1, \"total_stars\": 4},"
        " \"youtube\": {\"total_subscribers\": 100, \"total_views\": 50, \"subscribers_gained\": 100,"
        " \"views_gained\": 50, \"total_videos\": 1, \"videos_published\": 1, \"video_likes\": 4},"
        " \"devto\": {\"total_articles\": 1, \"articles_published\": 1, \"total_views\": 7}}";

    fx_db_create(&db);
    add_user(&db, PID(01), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "')");
    add_conn(&db, CID(01), PID(01), "youtube", true);
    add_conn(&db, CID(02), PID(01), "devto", true);
    add_conn(&db, CID(03), PID(01), "github", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(01), "user", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(02), "user", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), WID(01), "devto", CID(02), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(03), "all", NULL, true);
    add_monitor(&db, NULL, PID(01), NULL, "github", CID(03), "repository", "9", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(03), "repository", "9", true);
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(03), "all", NULL, true);
    add_repo(&db, CID(03), 9, "2025-01-02 10:00Z", 4, 0, 0, 0);
    add_contrib(&db, CID(03), "2025-01-08", 3, 0, 0, 2);
    add_stats(&db, CID(01), "2025-01-08", 100, 50);
    add_video(&db, CID(01), "2025-01-08 10:00Z", 4, 0);
    add_article(&db, CID(02), "2025-01-08 10:00Z", 7, 0, 0);
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    /* each resource once: the values of the rows themselves */
    expect_metrics(&db, P1, "all", "daily", "2025-01-08", want);
    expect_metrics(&db, W1, "all", "daily", "2025-01-08", want);
    fx_db_drop(&db);
}

/* total_commits is all history; -infinity counts everywhere, infinity never. */
Test(spec, history_and_infinities)
{
    struct fx_db db;
    /* commits 3 on Jan 8; total -inf (7) + 2019 (1000) + 3 = 1010; repos -inf (2 stars) and
     * 2015 (1 star); the 'infinity' rows are after every cutoff */
    const char *github = "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 1,"
                         " \"total_commits\": 1010, \"repositories_count\": 2, \"total_stars\": 3}}";

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_contrib(&db, CID(01), "-infinity", 7, 0, 0, 9);
    add_contrib(&db, CID(01), "2019-06-01", 1000, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 3, 0, 0, 1);
    add_contrib(&db, CID(01), "infinity", 100000, 0, 0, 0);
    add_repo(&db, CID(01), 1, "-infinity", 2, 0, 0, 0);
    add_repo(&db, CID(01), 2, "infinity", 50, 0, 0, 0);
    add_repo(&db, CID(01), 3, "2015-03-01 10:00Z", 1, 0, 0, 0);
    add_conn(&db, CID(02), PID(01), "youtube", true);
    add_monitor(&db, NULL, PID(01), NULL, "youtube", CID(02), "channel", NULL, true);
    add_stats(&db, CID(02), "-infinity", 5, 6);
    add_stats(&db, CID(02), "infinity", 999, 999);
    add_video(&db, CID(02), "-infinity", 1, 0);
    add_conn(&db, CID(03), PID(01), "devto", true);
    add_monitor(&db, NULL, PID(01), NULL, "devto", CID(03), "user", NULL, true);
    add_article(&db, CID(03), "infinity", 8, 0, 0);
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    expect_dates(&db, P1, "github", "daily", "2025-01-08");
    expect_dates(&db, P1, "youtube", "daily", "2025-01-08");
    expect_dates(&db, P1, "devto", "daily", "");
    const struct row_want rows[] = {
        {P1, "github", "daily", "2025-01-08", github},
        {P1, "github", "weekly", "2025-01-06", github},
        {P1, "github", "monthly", "2025-01-01", github},
        /* youtube: latest stats on or before Jan 8 is the -infinity row (5, 6); gained 5 - 5 = 0 */
        {P1, "all", "daily", "2025-01-08",
         "{\"github\": {\"commits\": 3, \"active_days\": 1, \"repositories_contributed_to\": 1,"
         " \"total_commits\": 1010, \"repositories_count\": 2, \"total_stars\": 3},"
         " \"youtube\": {\"total_subscribers\": 5, \"total_views\": 6, \"total_videos\": 1,"
         " \"video_likes\": 1}, \"devto\": {}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * Channel stats per connection: the latest row on or before a day, 0 before
 * the first one; gains against the day before the bucket.  Workspace W of O,
 * member M, both UTC, cutoff Jan 9; backfill Jan 5 .. 9.
 *   O: Jan 2 (100 subs, 1000 views), Jan 6 (120, 1100), Jan 9 (90, 1500); a video Jan 6, 3 likes
 *   M: Jan 8 (50, 10); a video Jan 3, 2 likes, 1 comment
 */
Test(spec, youtube_latest_stats_per_connection)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user(&db, PID(01), "UTC");
    add_user(&db, PID(02), "UTC");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "');"
                 "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" WID(01) "', '" PID(02) "')");
    add_conn(&db, CID(01), PID(01), "youtube", true);
    add_conn(&db, CID(02), PID(02), "youtube", true);
    add_monitor(&db, NULL, PID(01), WID(01), "youtube", CID(01), "channel", NULL, true);
    add_monitor(&db, NULL, PID(02), WID(01), "youtube", CID(02), "user", NULL, true);
    /* out of order of day, so that the engine has to sort them */
    add_stats(&db, CID(01), "2025-01-09", 90, 1500);
    add_stats(&db, CID(01), "2025-01-02", 100, 1000);
    add_stats(&db, CID(01), "2025-01-06", 120, 1100);
    add_stats(&db, CID(02), "2025-01-08", 50, 10);
    add_video(&db, CID(01), "2025-01-06 10:00Z", 3, 0);
    add_video(&db, CID(02), "2025-01-03 10:00Z", 2, 1);
    free(etl_ok(&db, "backfill --from 2025-01-05 --to 2025-01-09 --as-of " AS_OF));
    expect_dates(&db, W1, "youtube", "daily", "2025-01-05 2025-01-06 2025-01-07 2025-01-08 2025-01-09");
    /* the week Dec 30 .. Jan 5 ends after the first day Jan 2 */
    expect_dates(&db, W1, "youtube", "weekly", "2024-12-30 2025-01-06");
    static const struct row_want rows[] = {
        /* Jan 5: O's Jan 2 row, M none; gains against Jan 4 (the same): 0 */
        {W1, "youtube", "daily", "2025-01-05",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"total_videos\": 1,"
         " \"video_likes\": 2, \"video_comments\": 1}}"},
        /* Jan 6: 120 / 1100, + 20 / + 100 */
        {W1, "youtube", "daily", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 120, \"total_views\": 1100, \"subscribers_gained\": 20,"
         " \"views_gained\": 100, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* Jan 8: 120 + 50 / 1100 + 10, + 50 / + 10 against Jan 7 */
        {W1, "youtube", "daily", "2025-01-08",
         "{\"youtube\": {\"total_subscribers\": 170, \"total_views\": 1110, \"subscribers_gained\": 50,"
         " \"views_gained\": 10, \"total_videos\": 2, \"video_likes\": 5, \"video_comments\": 1}}"},
        /* Jan 9: 90 + 50 / 1500 + 10; 140 - 170 = -30, 1510 - 1110 = 400 */
        {W1, "youtube", "daily", "2025-01-09",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": -30,"
         " \"views_gained\": 400, \"total_videos\": 2, \"video_likes\": 5, \"video_comments\": 1}}"},
        /* week Jan 6 .. 9 against Jan 5 (100 / 1000): + 40 / + 510 */
        {W1, "youtube", "weekly", "2025-01-06",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": 40,"
         " \"views_gained\": 510, \"total_videos\": 2, \"videos_published\": 1, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* week Dec 30 .. Jan 5 against Dec 29 (nothing): + 100 / + 1000; M's video of Jan 3 */
        {W1, "youtube", "weekly", "2024-12-30",
         "{\"youtube\": {\"total_subscribers\": 100, \"total_views\": 1000, \"subscribers_gained\": 100,"
         " \"views_gained\": 1000, \"total_videos\": 1, \"videos_published\": 1, \"video_likes\": 2,"
         " \"video_comments\": 1}}"},
        /* month Jan 1 .. 9 against Dec 31 (nothing) */
        {W1, "all", "monthly", "2025-01-01",
         "{\"youtube\": {\"total_subscribers\": 140, \"total_views\": 1510, \"subscribers_gained\": 140,"
         " \"views_gained\": 1510, \"total_videos\": 2, \"videos_published\": 2, \"video_likes\": 5,"
         " \"video_comments\": 1}}"},
        /* M personal: first day Jan 3 (video); Jan 5 has no stats yet */
        {PERSONAL(PID(02)), "youtube", "daily", "2025-01-05",
         "{\"youtube\": {\"total_videos\": 1, \"video_likes\": 2, \"video_comments\": 1}}"},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    fx_db_drop(&db);
}

/*
 * The earliest instant PostgreSQL stores, 4714-11-24 00:00:00+00 BC, is a
 * created_at like any other: its local date (UTC) is 4714-11-24 BC, before
 * every bucket, so the repository counts in repositories_count everywhere.
 */
Test(spec, earliest_postgresql_instant)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_repo(&db, CID(01), 1, "4714-11-24 00:00:00+00 BC", 3, 0, 0, 0);
    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    expect_metrics(&db, P1, "github", "daily", "2025-01-08",
                   "{\"github\": {\"repositories_count\": 1, \"total_stars\": 3}}");
    fx_db_drop(&db);
}

/* nightly replaces rows; backfill keeps them unless --overwrite, and leaves goals alone. */
Test(spec, replace_keep_overwrite)
{
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-09");
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, platform, snapshot_type, snapshot_date, metrics)"
                 " VALUES ('" PID(01) "', 'github', 'daily', '2025-01-08', '{\"stale\": 1}');"
                 "INSERT INTO goals (id, user_id, platform, goal_type, target_value, unit, start_date,"
                 " current_value, updated_at) VALUES ('" GID(01) "', '" PID(01) "', 'github', 'commits',"
                 " 100, 'count', '2025-01-01', 7.5, '2020-01-01Z')");

    free(etl_ok(&db, "backfill --from 2025-01-08 --to 2025-01-09 --as-of " AS_OF));
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE snapshot_date = '2025-01-08'"
                             " AND platform = 'github' AND snapshot_type = 'daily' AND metrics = '{\"stale\": 1}'"), 1,
                 "backfill without --overwrite keeps the existing row");
    /* Jan 9 is new: total 1 + .. = 9 */
    expect_metrics(&db, P1, "github", "daily", "2025-01-09",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 9}}");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 7.5 AND updated_at = '2020-01-01Z'"), 1,
                 "backfill does not touch goals");

    free(etl_ok(&db, "backfill --overwrite --from 2025-01-08 --to 2025-01-08 --as-of " AS_OF));
    expect_metrics(&db, P1, "github", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");

    fx_exec(&db, "UPDATE analytics_snapshots SET metrics = '{\"stale\": 2}' WHERE snapshot_date = '2025-01-08'");
    free(etl_ok(&db, "nightly --lookback 2 --as-of " AS_OF));
    expect_metrics(&db, P1, "github", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");
    expect_metrics(&db, P1, "all", "daily", "2025-01-08",
                   "{\"github\": {\"commits\": 1, \"active_days\": 1, \"total_commits\": 8}}");
    /* nightly recomputes goals: commits Jan 1 .. 9 = 9 */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 9 AND updated_at = '" AS_OF "'"), 1,
                 "nightly recomputes goals");
    fx_db_drop(&db);
}

/* ================================================================ section 7 */

/*
 * Goal data.  As-of 2025-01-10 12:00Z.  GU (Europe/Berlin, cutoff Jan 9) owns
 * workspace GW; GM (Pacific/Kiritimati: Jan 11 02:00, cutoff Jan 10) is a
 * member; GR (UTC, cutoff Jan 9) has channel stats for rounding; GQ (UTC) has a
 * youtube connection without a monitor and a devto article.
 *
 *   GU github   commits = day of month, Jan 1 .. 10; 2 pull requests Jan 3; 1 issue Jan 4
 *               repos: 5 stars + 1 fork (2024-06-01), 7 stars (Jan 5 23:30Z = Jan 6
 *               00:30 Berlin), 11 stars (Jan 10 01:00Z = Jan 10 in Berlin: after the cutoff)
 *   GU youtube  stats Jan 1 (100 subs, 1000 views), Jan 5 (150, 1500), Jan 7 (140, 1600),
 *               Jan 10 (999, 9999: after the cutoff); a video of Jan 3: 4 likes, 3 comments
 *   GU devto    an article of Jan 2: 40 views, 6 reactions, 2 comments; a draft (1000 views)
 *   GM github   100 commits Jan 9, 1000 commits Jan 10
 *   GR youtube  stats Jan 1 (160, 160), Jan 3 (161, 159), Jan 5 (300, 300), Jan 7 (301, 299)
 *   GQ youtube  stats Jan 1 (50, 500), no monitor; devto: an article of Jan 2, 40 views
 */
#define GU PID(01)
#define GM PID(02)
#define GR PID(03)
#define GQ PID(04)
#define GW WID(01)

static void
goal_data(struct fx_db *db)
{
    add_user(db, GU, "Europe/Berlin");
    add_user(db, GM, "Pacific/Kiritimati");
    add_user(db, GR, "UTC");
    add_user(db, GQ, "UTC");
    fx_exec(db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" GW "', 'w', 'w', '" GU "');"
                "INSERT INTO workspace_members (workspace_id, user_id) VALUES ('" GW "', '" GM "')");
    add_conn(db, CID(01), GU, "github", true);
    add_conn(db, CID(02), GU, "youtube", true);
    add_conn(db, CID(03), GU, "devto", true);
    add_conn(db, CID(04), GM, "github", true);
    add_conn(db, CID(05), GR, "youtube", true);
    add_conn(db, CID(06), GQ, "youtube", true);
    add_conn(db, CID(07), GQ, "devto", true);
    add_monitor(db, NULL, GU, GW, "github", CID(01), "all", NULL, true);
    add_monitor(db, NULL, GU, NULL, "youtube", CID(02), "channel", NULL, true);
    add_monitor(db, NULL, GU, NULL, "devto", CID(03), "user", NULL, true);
    add_monitor(db, NULL, GM, GW, "github", CID(04), "all", NULL, true);
    add_monitor(db, NULL, GR, NULL, "youtube", CID(05), "all", NULL, true);
    add_monitor(db, NULL, GQ, NULL, "devto", CID(07), "all", NULL, true);
    add_commits_by_day(db, CID(01), "2025-01-01", "2025-01-10");
    fx_exec(db, "UPDATE github_contributions SET pull_requests_count = 2 WHERE date = '2025-01-03';"
                "UPDATE github_contributions SET issues_count = 1 WHERE date = '2025-01-04'");
    add_repo(db, CID(01), 1, "2024-06-01 00:00Z", 5, 1, 0, 0);
    add_repo(db, CID(01), 2, "2025-01-05 23:30Z", 7, 0, 0, 0);
    add_repo(db, CID(01), 3, "2025-01-10 01:00Z", 11, 0, 0, 0);
    add_stats(db, CID(02), "2025-01-01", 100, 1000);
    add_stats(db, CID(02), "2025-01-05", 150, 1500);
    add_stats(db, CID(02), "2025-01-07", 140, 1600);
    add_stats(db, CID(02), "2025-01-10", 999, 9999);
    add_video(db, CID(02), "2025-01-03 12:00Z", 4, 3);
    add_article(db, CID(03), "2025-01-02 12:00Z", 40, 6, 2);
    add_article(db, CID(03), NULL, 1000, 100, 100);
    add_contrib(db, CID(04), "2025-01-09", 100, 0, 0, 0);
    add_contrib(db, CID(04), "2025-01-10", 1000, 0, 0, 0);
    add_stats(db, CID(05), "2025-01-01", 160, 160);
    add_stats(db, CID(05), "2025-01-03", 161, 159);
    add_stats(db, CID(05), "2025-01-05", 300, 300);
    add_stats(db, CID(05), "2025-01-07", 301, 299);
    add_stats(db, CID(06), "2025-01-01", 50, 500);
    add_article(db, CID(07), "2025-01-02 12:00Z", 40, 0, 0);
}

struct goal_case {
    const char *name;
    /* user_id, workspace_id, platform, goal_type, target_value, unit, start_date, end_date,
     * is_achieved, achieved_at, current_value (updated_at is 2020-01-01) */
    const char *columns;
    /* trim_scale(current_value) | is_achieved | achieved_at (asof, null or its date) |
     * updated_at (asof or stale) */
    const char *want;
};

#define SKIPPED "7.5|false|null|stale"

static const struct goal_case goal_cases[] = {
    /* --- rule 4, count --- */
    /* flow: Jan 2 .. 4 = 2 + 3 + 4 = 9 < 10 */
    {"flow", "'" GU "', NULL, 'github', 'commits', 10, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|false|null|asof"},
    /* open-ended: Jan 8 .. cutoff Jan 9 = 17 (Jan 10 is after the cutoff); 17 >= 17 */
    {"flow_open", "'" GU "', NULL, 'github', 'commits', 17, 'count', '2025-01-08', NULL, false, NULL, 7.5",
     "17|true|asof|asof"},
    /* start_date = evaluation day: Jan 9 = 9 */
    {"flow_one_day", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-09', NULL, false, NULL, 7.5",
     "9|false|null|asof"},
    {"pull_requests", "'" GU "', NULL, 'github', 'pull_requests', 5, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    {"issues", "'" GU "', NULL, 'github', 'issues', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    /* stock as of the cutoff: 5 + 7 (the third repository is after the cutoff) */
    {"stars", "'" GU "', NULL, 'github', 'stars', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    /* stock as of end_date Jan 5: the 7-star repository is Jan 6 in Berlin */
    {"stars_end_date", "'" GU "', NULL, 'github', 'stars', 5, 'count', '2025-01-01', '2025-01-05', false, NULL, 7.5",
     "5|true|asof|asof"},
    {"repositories", "'" GU "', NULL, 'github', 'repositories', 3, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    {"forks", "'" GU "', NULL, 'github', 'forks', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    {"watchers", "'" GU "', NULL, 'github', 'watchers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* end_date before every row: 0 */
    {"stars_long_ago", "'" GU "', NULL, 'github', 'stars', 1, 'count', '2023-01-01', '2024-01-01', false, NULL, 7.5",
     "0|false|null|asof"},
    /* latest stats on or before Jan 9: Jan 7's 140 */
    {"subscribers", "'" GU "', NULL, 'youtube', 'subscribers', 150, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "140|false|null|asof"},
    /* as of Jan 6: Jan 5's 1500 */
    {"youtube_views", "'" GU "', NULL, 'youtube', 'views', 1500, 'count', '2025-01-01', '2025-01-06', false, NULL, 7.5",
     "1500|true|asof|asof"},
    {"videos", "'" GU "', NULL, 'youtube', 'videos', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|false|null|asof"},
    {"likes", "'" GU "', NULL, 'youtube', 'likes', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "4|false|null|asof"},
    {"youtube_comments", "'" GU "', NULL, 'youtube', 'comments', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "3|false|null|asof"},
    /* the draft never counts */
    {"devto_views", "'" GU "', NULL, 'devto', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    {"reactions", "'" GU "', NULL, 'devto', 'reactions', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "6|false|null|asof"},
    {"articles", "'" GU "', NULL, 'devto', 'articles', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1|true|asof|asof"},
    {"devto_comments", "'" GU "', NULL, 'devto', 'comments', 9, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "2|false|null|asof"},
    /* all: youtube total_views 1600 + devto total_views 40 */
    {"all_views", "'" GU "', NULL, 'all', 'views', 2000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1640|false|null|asof"},
    /* all: youtube video_comments 3 + devto total_comments 2 */
    {"all_comments", "'" GU "', NULL, 'all', 'comments', 5, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "5|true|asof|asof"},
    /* all, flow: github commits Jan 1 .. 9 = 45 */
    {"all_commits", "'" GU "', NULL, 'all', 'commits', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "45|false|null|asof"},
    {"all_stars", "'" GU "', NULL, 'all', 'stars', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    {"all_subscribers", "'" GU "', NULL, 'all', 'subscribers', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "140|false|null|asof"},
    {"all_likes", "'" GU "', NULL, 'all', 'likes', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "4|false|null|asof"},
    {"all_reactions", "'" GU "', NULL, 'all', 'reactions', 500, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "6|false|null|asof"},
    /* GQ's youtube is not in its scope: all views = devto 40 only; youtube views 0 */
    {"all_views_scope", "'" GQ "', NULL, 'all', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    {"views_out_of_scope", "'" GQ "', NULL, 'youtube', 'views', 100, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* workspace: the owner's cutoff Jan 9: GU 1 + .. + 9 = 45, GM's Jan 9 100 = 145
     * (GM's own cutoff Jan 10 would add 10 + 1000) */
    {"workspace", "'" GU "', '" GW "', 'github', 'commits', 1000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "145|false|null|asof"},
    {"workspace_goal_of_member", "'" GM "', '" GW "', 'all', 'commits', 145, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "145|true|asof|asof"},
    /* GM personal, cutoff Jan 10: 100 + 1000 (the workspace monitor is GM's own) */
    {"member_personal", "'" GM "', NULL, 'github', 'commits', 2000, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "1100|false|null|asof"},
    {"workspace_stars", "'" GU "', '" GW "', 'all', 'stars', 50, 'count', '2025-01-01', NULL, false, NULL, 7.5",
     "12|false|null|asof"},
    /* end_date infinity: as NULL, Jan 8 .. 9 = 17 */
    {"end_infinity", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-08', 'infinity', false, NULL, 7.5",
     "17|false|null|asof"},
    /* from -infinity: Jan 1 .. 9 = 45 */
    {"start_minus_infinity", "'" GU "', NULL, 'github', 'commits', 100, 'count', '-infinity', NULL, false, NULL, 7.5",
     "45|false|null|asof"},

    /* --- rule 4, percentage: round(100 * (v - b) / b, 2), b as of start_date - 1 --- */
    /* b = Jan 1's 100, v = 140: 40.00 */
    {"pct", "'" GU "', NULL, 'youtube', 'subscribers', 50, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     "40|false|null|asof"},
    /* b = Jan 5's 150, v = 140: -6.666.. -> -6.67 */
    {"pct_negative", "'" GU "', NULL, 'youtube', 'subscribers', 0, 'percentage', '2025-01-06', NULL, false, NULL, 7.5",
     "-6.67|false|null|asof"},
    /* b = 160, v = 161 (Jan 3): 0.625 -> 0.63 (half away from zero) */
    {"pct_half_up", "'" GR "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-02', '2025-01-03', false, NULL, 7.5",
     "0.63|false|null|asof"},
    /* b = 160, v = 159: -0.625 -> -0.63 */
    {"pct_half_down", "'" GR "', NULL, 'youtube', 'views', 1, 'percentage', '2025-01-02', '2025-01-03', false, NULL, 7.5",
     "-0.63|false|null|asof"},
    /* b = 300 (Jan 5), v = 301 (Jan 7): 0.333.. -> 0.33 */
    {"pct_third", "'" GR "', NULL, 'youtube', 'subscribers', 0.33, 'percentage', '2025-01-06', '2025-01-07', false, NULL, 7.5",
     "0.33|true|asof|asof"},
    /* stars: b = 5 (as of Jan 5), v = 12: 140.00 */
    {"pct_stars", "'" GU "', NULL, 'github', 'stars', 100, 'percentage', '2025-01-06', NULL, false, NULL, 7.5",
     "140|true|asof|asof"},
    /* all views: b = 1000 + 0 (the article is Jan 2), v = 1640: 64.00 */
    {"pct_all", "'" GU "', NULL, 'all', 'views', 100, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     "64|false|null|asof"},

    /* --- rule 2: start_date after the evaluation day (Jan 9) -> 0 --- */
    {"future", "'" GU "', NULL, 'github', 'commits', 1, 'count', '2025-01-10', '2025-01-20', false, NULL, 7.5",
     "0|false|null|asof"},
    /* rule 2 before rule 3 */
    {"future_pct", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-10', NULL, false, NULL, 7.5",
     "0|false|null|asof"},
    /* 0 >= 0 */
    {"future_zero_target", "'" GU "', NULL, 'github', 'commits', 0, 'count', '2025-01-10', NULL, false, NULL, 7.5",
     "0|true|asof|asof"},
    /* already 0.00: nothing changes */
    {"future_unchanged", "'" GU "', NULL, 'github', 'commits', 5, 'count', '2025-01-10', NULL, false, NULL, 0.00",
     "0|false|null|stale"},

    /* --- rule 3: percentage with b = 0: skipped --- */
    /* nothing as of Dec 31 */
    {"pct_zero_base", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-01', NULL, false, NULL, 7.5",
     SKIPPED},
    /* GQ's stats are not in scope */
    {"pct_zero_base_scope", "'" GQ "', NULL, 'youtube', 'subscribers', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5",
     SKIPPED},

    /* --- rule 1: skipped, unchanged --- */
    {"unknown_pair", "'" GU "', NULL, 'github', 'subscribers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"unknown_platform", "'" GU "', NULL, 'twitter', 'views', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"platform_case", "'" GU "', NULL, 'GitHub', 'stars', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"all_unknown_type", "'" GU "', NULL, 'all', 'followers', 1, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"unit_case", "'" GU "', NULL, 'github', 'stars', 1, 'Count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"pct_of_flow", "'" GU "', NULL, 'github', 'commits', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5", SKIPPED},
    {"all_pct_of_flow", "'" GU "', NULL, 'all', 'pull_requests', 1, 'percentage', '2025-01-02', NULL, false, NULL, 7.5", SKIPPED},
    {"negative_target", "'" GU "', NULL, 'github', 'stars', -0.5, 'count', '2025-01-01', NULL, false, NULL, 7.5", SKIPPED},
    {"end_before_start", "'" GU "', NULL, 'github', 'stars', 1, 'count', '2025-01-05', '2025-01-04', false, NULL, 7.5", SKIPPED},
    /* skipped means unchanged: an achieved goal without achieved_at keeps NULL */
    {"skipped_achieved", "'" GU "', NULL, 'github', 'stars', 1, 'ratio', '2025-01-01', NULL, true, NULL, 7.5",
     "7.5|true|null|stale"},

    /* --- achievement --- */
    /* target exactly reached: 9 >= 9.0 */
    {"reached", "'" GU "', NULL, 'github', 'commits', 9.0, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|true|asof|asof"},
    /* 9 < 9.5 */
    {"not_reached", "'" GU "', NULL, 'github', 'commits', 9.5, 'count', '2025-01-02', '2025-01-04', false, NULL, 7.5",
     "9|false|null|asof"},
    /* sticky: Jan 1 = 1 < 1000, stays achieved, achieved_at kept, value recomputed */
    {"sticky", "'" GU "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, '2024-12-01Z', 7.5",
     "1|true|2024-12-01|asof"},
    /* achieved without achieved_at, value already right: achieved_at gets the as-of instant */
    {"achieved_no_date", "'" GU "', NULL, 'github', 'commits', 1000, 'count', '2025-01-01', '2025-01-01', true, NULL, 1",
     "1|true|asof|asof"},
    /* nothing changes: 9 = 9.00 */
    {"unchanged", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-02', '2025-01-04', false, NULL, 9.00",
     "9|false|null|stale"},
    {"unchanged_achieved", "'" GU "', NULL, 'github', 'commits', 17, 'count', '2025-01-08', NULL, true, '2024-12-01Z', 17",
     "17|true|2024-12-01|stale"},
};
#define N_GOAL_CASES ((int) (sizeof goal_cases / sizeof goal_cases[0]))

static void
insert_goals(struct fx_db *db, const struct goal_case *cases, int n)
{
    for (int i = 0; i < n; i++)
        sqlf(db, "INSERT INTO goals (id, user_id, workspace_id, platform, goal_type, target_value,"
                 " unit, start_date, end_date, is_achieved, achieved_at, current_value, updated_at)"
                 " VALUES ('00000000-0000-0000-0000-0000000004%02d', %s, '2020-01-01Z')",
             i, cases[i].columns);
}

static void
expect_goals(struct fx_db *db, const struct goal_case *cases, int n, const char *as_of)
{
    for (int i = 0; i < n; i++) {
        char *got = textf(db,
            "SELECT trim_scale(current_value)::text || '|' || is_achieved || '|' ||"
            " CASE WHEN achieved_at IS NULL THEN 'null' WHEN achieved_at = '%s' THEN 'asof'"
            "      ELSE (achieved_at AT TIME ZONE 'UTC')::date::text END || '|' ||"
            " CASE WHEN updated_at = '%s' THEN 'asof' WHEN updated_at = '2020-01-01Z' THEN 'stale'"
            "      ELSE updated_at::text END"
            " FROM goals WHERE id = '00000000-0000-0000-0000-0000000004%02d'", as_of, as_of, i);

        cr_expect_str_eq(got, cases[i].want, "goal %s: got %s, expected %s",
                         cases[i].name, got, cases[i].want);
        free(got);
    }
}

/* A fresh database with goal_data and these goals; runs `args`, checks every
 * goal and returns the run's output. */
static char *
run_goal_cases(struct fx_db *db, const char *args, const struct goal_case *cases, int n)
{
    char *out;

    fx_db_create(db);
    goal_data(db);
    insert_goals(db, cases, n);
    out = etl_ok(db, "%s --as-of " AS_OF, args);
    expect_goals(db, cases, n, AS_OF);
    return out;
}

Test(spec, goal_rules)
{
    struct fx_db db;
    char *out;

    out = run_goal_cases(&db, "-v goals", goal_cases, N_GOAL_CASES);
    /* skipped goals (the only ones left at 7.5) are named in warnings, the others not */
    for (int i = 0; i < N_GOAL_CASES; i++) {
        char id[40];

        snprintf(id, sizeof id, "00000000-0000-0000-0000-0000000004%02d", i);
        cr_expect_eq(strstr(out, id) != NULL, strncmp(goal_cases[i].want, "7.5|", 4) == 0,
                     "goal %s: a warning names it iff it is skipped\n%s", goal_cases[i].name, out);
    }
    free(out);
    /* a second run with the same as-of instant writes nothing */
    out = etl_ok(&db, "goals --as-of " AS_OF);
    cr_expect(strstr(out, " 0 updated") != NULL, "the rerun updated goals\n%s", out);
    free(out);
    fx_db_drop(&db);
}

/* nightly computes the same goal values (after its snapshots). */
Test(spec, goal_rules_nightly)
{
    struct fx_db db;

    free(run_goal_cases(&db, "nightly --lookback 1", goal_cases, N_GOAL_CASES));
    fx_db_drop(&db);
}

/*
 * A nightly's totals and goals over history long before its buckets, with
 * sums past int32.  P1 (UTC) and its workspace W1 cover one github
 * connection; cutoff Jan 9, lookback 3, so the buckets start on Mon Jan 6
 * (weekly) and Jan 1 (monthly).  Rows (commits unless named):
 *   2024-03-01 2100000000, 5 pull requests, 1 issue;  2024-03-02 2100000000;
 *   2024-03-03 2100000000;  2024-06-15 10;  2024-12-20 7;  2025-01-08 3.
 * The goals start and end on days of that history, before the buckets.
 */
Test(spec, history_before_the_buckets)
{
    static const struct goal_case cases[] = {
        /* Mar 2 .. Jan 9: 2 * 2100000000 + 10 + 7 + 3 */
        {"from_mar_2", "'" PID(01) "', NULL, 'github', 'commits', 1, 'count', '2024-03-02', NULL, false, NULL, 0",
         "4200000020|true|asof|asof"},
        /* Mar 1 .. Jun 15: 3 * 2100000000 + 10 */
        {"mar_1_to_jun_15", "'" PID(01) "', NULL, 'github', 'commits', 1, 'count', '2024-03-01', '2024-06-15', false, NULL, 0",
         "6300000010|true|asof|asof"},
        /* Jun 16 .. Dec 20: 7 */
        {"jun_16_to_dec_20", "'" PID(01) "', NULL, 'github', 'commits', 100, 'count', '2024-06-16', '2024-12-20', false, NULL, 0",
         "7|false|null|asof"},
        /* Mar 1 only: 5 pull requests */
        {"prs_mar_1", "'" PID(01) "', NULL, 'github', 'pull_requests', 100, 'count', '2024-03-01', '2024-03-01', false, NULL, 0",
         "5|false|null|asof"},
        /* the workspace's, Dec 15 .. Jan 9: 7 + 3 */
        {"workspace_dec_15", "'" PID(01) "', '" WID(01) "', 'github', 'commits', 100, 'count', '2024-12-15', NULL, false, NULL, 0",
         "10|false|null|asof"},
        /* the one issue is on Mar 1, before the start: 0, unchanged */
        {"issues_from_mar_2", "'" PID(01) "', NULL, 'github', 'issues', 1, 'count', '2024-03-02', NULL, false, NULL, 0",
         "0|false|null|stale"},
    };
    const char *jan_8 = "{\"github\": {\"commits\": 3, \"active_days\": 1, \"total_commits\": 6300000020}}";
    struct fx_db db;

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    fx_exec(&db, "INSERT INTO workspaces (id, name, slug, owner_id) VALUES ('" WID(01) "', 'w', 'w', '" PID(01) "')");
    add_monitor(&db, NULL, PID(01), WID(01), "github", CID(01), "all", NULL, true);
    add_contrib(&db, CID(01), "2024-03-01", 2100000000, 5, 1, 0);
    add_contrib(&db, CID(01), "2024-03-02", 2100000000, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-03-03", 2100000000, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-06-15", 10, 0, 0, 0);
    add_contrib(&db, CID(01), "2024-12-20", 7, 0, 0, 0);
    add_contrib(&db, CID(01), "2025-01-08", 3, 0, 0, 0);
    insert_goals(&db, cases, (int) (sizeof cases / sizeof cases[0]));
    free(etl_ok(&db, "nightly --lookback 3 --as-of " AS_OF));
    expect_goals(&db, cases, (int) (sizeof cases / sizeof cases[0]), AS_OF);
    const struct row_want rows[] = {
        {P1, "github", "daily", "2025-01-07", "{\"github\": {\"total_commits\": 6300000017}}"},
        {P1, "github", "daily", "2025-01-08", jan_8},
        {P1, "github", "daily", "2025-01-09", "{\"github\": {\"total_commits\": 6300000020}}"},
        {P1, "github", "weekly", "2025-01-06", jan_8},
        {P1, "github", "monthly", "2025-01-01", jan_8},
        {W1, "github", "monthly", "2025-01-01", jan_8},
    };

    expect_rows(&db, rows, (int) (sizeof rows / sizeof rows[0]));
    cr_expect_eq(count_rows(&db, P1), 10, "P1: 3 daily, 1 weekly, 1 monthly, github and all");
    fx_db_drop(&db);
}

/*
 * Dates past year 9999 are dates like any other (PostgreSQL prints them with
 * five digits).  GU's commits, cutoff Jan 9.
 */
Test(spec, goal_dates_after_year_9999)
{
    static const struct goal_case cases[] = {
        /* evaluation day = min(10000-01-01, Jan 9) = Jan 9: Jan 8 + Jan 9 = 17 */
        {"end_year_10000", "'" GU "', NULL, 'github', 'commits', 100, 'count', '2025-01-08', '10000-01-01',"
         " false, NULL, 7.5", "17|false|null|asof"},
        /* rule 2: start_date 10000-01-01 is after the evaluation day Jan 9: 0 */
        {"start_year_10000", "'" GU "', NULL, 'github', 'commits', 1, 'count', '10000-01-01', NULL,"
         " false, NULL, 7.5", "0|false|null|asof"},
        /* rule 2 as well, before rule 3 */
        {"start_year_10000_pct", "'" GU "', NULL, 'youtube', 'subscribers', 1, 'percentage', '10000-01-01',"
         " '10000-02-01', false, NULL, 7.5", "0|false|null|asof"},
    };
    struct fx_db db;

    free(run_goal_cases(&db, "goals", cases, (int) (sizeof cases / sizeof cases[0])));
    fx_db_drop(&db);
}

/*
 * achieved_at is set "the first time the goal is seen achieved".  A goal that
 * is not achieved but carries an achieved_at (left over, e.g. from a reset by
 * hand) is seen achieved for the first time by this run.
 */
Test(spec, goal_first_achievement_with_leftover_achieved_at)
{
    static const struct goal_case cases[] = {
        /* commits Jan 2 .. 4 = 9 >= 9: achieved now */
        {"leftover", "'" GU "', NULL, 'github', 'commits', 9, 'count', '2025-01-02', '2025-01-04',"
         " false, '2024-12-01Z', 7.5", "9|true|asof|asof"},
        /* still not achieved (9 < 10): nothing says to clear it, and it is left alone */
        {"leftover_not_achieved", "'" GU "', NULL, 'github', 'commits', 10, 'count', '2025-01-02', '2025-01-04',"
         " false, '2024-12-01Z', 7.5", "9|false|2024-12-01|asof"},
    };
    struct fx_db db;

    free(run_goal_cases(&db, "goals", cases, (int) (sizeof cases / sizeof cases[0])));
    fx_db_drop(&db);
}

/* The as-of instant is a timestamptz: a 7th fractional digit rounds, as PostgreSQL rounds it. */
Test(spec, as_of_rounds_to_microseconds)
{
    struct fx_db db;
    char *got;

    fx_db_create(&db);
    add_user(&db, PID(01), "UTC");
    fx_exec(&db, "INSERT INTO goals (id, user_id, platform, goal_type, target_value, unit, start_date,"
                 " current_value, updated_at) VALUES ('" GID(01) "', '" PID(01) "', 'github', 'commits',"
                 " 0, 'count', '2025-01-01', 7.5, '2020-01-01Z')");
    /* no data: commits 0 >= 0, so current_value, is_achieved and achieved_at all change */
    free(etl_ok(&db, "goals --as-of 2025-01-10T12:00:00.0000006Z"));
    /* '2025-01-10T12:00:00.0000006Z'::timestamptz = 12:00:00.000001 */
    got = fx_text(&db, "SELECT (current_value = 0 AND is_achieved"
                       " AND updated_at = '2025-01-10T12:00:00.0000006Z'"
                       " AND achieved_at = '2025-01-10T12:00:00.0000006Z')::text || ' '"
                       " || extract(microseconds FROM updated_at) || ' ' || extract(microseconds FROM achieved_at)"
                       " FROM goals");
    cr_expect_str_eq(got, "true 1 1", "goal after the run (microseconds of updated_at, achieved_at): %s", got);
    free(got);
    fx_db_drop(&db);
}

/* ================================================================ section 8 */

/* Usage errors exit 2 and write nothing. */
Test(spec, usage_errors)
{
    struct fx_db db;
    static const char *const bad[] = {
        "nightly --lookback 0 --as-of " AS_OF,
        "nightly --lookback -1 --as-of " AS_OF,
        "goals --lookback 3 --as-of " AS_OF,
        "goals --from 2025-01-01 --as-of " AS_OF,
        "nightly --overwrite --as-of " AS_OF,
        "nightly --from 2025-01-01 --to 2025-01-02 --as-of " AS_OF,
        "backfill --from 2025-01-02 --to 2025-01-01 --as-of " AS_OF,
        "migrate --as-of " AS_OF,
        "goals --overwrite --as-of " AS_OF,
        "goals --dry-run --as-of " AS_OF,
        "backfill --from 2025-01-01 --to 2025-01-02 --lookback 3 --as-of " AS_OF,
        "backfill --to 2025-01-02 --as-of " AS_OF,
    };

    fx_db_create(&db);
    add_user_on(&db, PID(01), "UTC", CID(01), "github");
    add_one_commit_a_day(&db, CID(01), "2025-01-01", "2025-01-09");
    fx_exec(&db, "INSERT INTO goals (user_id, platform, goal_type, target_value, unit, start_date,"
                 " current_value, updated_at) VALUES ('" PID(01) "', 'github', 'commits', 1, 'count',"
                 " '2025-01-01', 7.5, '2020-01-01Z')");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out;
        int rc = fx_etl(&db, &out, "%s", bad[i]);

        cr_expect_eq(rc, 2, "`%s`: exit %d, expected 2\n%s", bad[i], rc, out);
        free(out);
    }
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM goals WHERE current_value = 7.5"), 1);
    fx_db_drop(&db);
}
