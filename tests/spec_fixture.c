/*
 * spec_fixture.c: the helpers of the SPEC.md tests (spec_fixture.h).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

void __attribute__((format(printf, 2, 3)))
sqlf(struct fx_db *db, const char *fmt, ...)
{
    char sql[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    fx_exec(db, sql);
}

char * __attribute__((format(printf, 2, 3)))
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
char * __attribute__((format(printf, 2, 3)))
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
void
add_user(struct fx_db *db, const char *id, const char *tz)
{
    sqlf(db, "INSERT INTO auth.users VALUES ('%s');"
             "INSERT INTO profiles (id, display_name, timezone) VALUES ('%s', 'x', %s%s%s)",
         id, id, LIT(tz));
}

void
add_conn(struct fx_db *db, const char *id, const char *user, const char *platform, bool active)
{
    sqlf(db, "INSERT INTO platform_connections (id, user_id, platform, platform_user_id,"
             " platform_username, access_token, is_active)"
             " VALUES ('%s', '%s', '%s', 'pu', 'name', 'token', %s)",
         id, user, platform, active ? "true" : "false");
}

/* A monitor; id, ws and resource may be NULL. */
void
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
void
add_user_on(struct fx_db *db, const char *user, const char *tz, const char *conn,
            const char *platform)
{
    add_user(db, user, tz);
    add_conn(db, conn, user, platform, true);
    add_monitor(db, NULL, user, NULL, platform, conn, "all", NULL, true);
}

void
add_contrib(struct fx_db *db, const char *conn, const char *date, int commits, int prs,
            int issues, int repos)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count,"
             " pull_requests_count, issues_count, repositories_contributed_to)"
             " VALUES ('%s', '%s', %d, %d, %d, %d)", conn, date, commits, prs, issues, repos);
}

/* commits_count = day of month for every day of [from, to]. */
void
add_commits_by_day(struct fx_db *db, const char *conn, const char *from, const char *to)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
             " SELECT '%s', d, extract(day FROM d)::int"
             " FROM generate_series(date '%s', date '%s', '1 day') d", conn, from, to);
}

/* commits_count = 1 for every day of [from, to]. */
void
add_one_commit_a_day(struct fx_db *db, const char *conn, const char *from, const char *to)
{
    sqlf(db, "INSERT INTO github_contributions (platform_connection_id, date, commits_count)"
             " SELECT '%s', d, 1 FROM generate_series(date '%s', date '%s', '1 day') d",
         conn, from, to);
}

void
add_repo(struct fx_db *db, const char *conn, long long repo_id, const char *created,
         int stars, int forks, int watchers, int open_issues)
{
    sqlf(db, "INSERT INTO github_repositories (platform_connection_id, github_repo_id, name,"
             " full_name, html_url, created_at, updated_at, stars_count, forks_count,"
             " watchers_count, open_issues_count)"
             " VALUES ('%s', %lld, 'r', 'o/r', 'u', '%s', now(), %d, %d, %d, %d)",
         conn, repo_id, created, stars, forks, watchers, open_issues);
}

void
add_stats(struct fx_db *db, const char *conn, const char *date, long long subs, long long views)
{
    sqlf(db, "INSERT INTO youtube_channel_stats (platform_connection_id, date, subscriber_count,"
             " total_views) VALUES ('%s', '%s', %lld, %lld)", conn, date, subs, views);
}

void
add_video(struct fx_db *db, const char *conn, const char *published, int likes, int comments)
{
    sqlf(db, "INSERT INTO youtube_videos (platform_connection_id, youtube_video_id, title,"
             " published_at, like_count, comment_count)"
             " VALUES ('%s', gen_random_uuid()::text, 't', '%s', %d, %d)",
         conn, published, likes, comments);
}

/* published NULL: a draft. */
void
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
void
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

void
expect_rows(struct fx_db *db, const struct row_want *rows, int n)
{
    for (int i = 0; i < n; i++)
        expect_metrics(db, rows[i].subject, rows[i].platform, rows[i].type, rows[i].date,
                       rows[i].metrics);
}

/* The snapshot_dates of a subject's rows of one platform and type, "d1 d2 ..." ("" for none). */
void
expect_dates(struct fx_db *db, const char *subject, const char *platform, const char *type,
             const char *want)
{
    char *got = textf(db, "SELECT coalesce(string_agg(snapshot_date::text, ' ' ORDER BY snapshot_date), '')"
                          " FROM analytics_snapshots WHERE %s AND platform = '%s' AND snapshot_type = '%s'",
                      subject, platform, type);

    cr_expect_str_eq(got, want, "%s %s %s: dates %s, expected %s", subject, platform, type, got, want);
    free(got);
}

int64_t
count_rows(struct fx_db *db, const char *subject)
{
    char sql[512];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM analytics_snapshots WHERE %s", subject);
    return fx_int(db, sql);
}
