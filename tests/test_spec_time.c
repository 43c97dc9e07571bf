/*
 * test_spec_time.c: SPEC.md section 1, subjects and time: local dates by
 * zone (DST, odd offsets, local mean time, invalid names), each subject's
 * cutoff, the as-of instant.  Tiny hand-made datasets, expected values
 * worked out by hand (spec_fixture.h says how).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_fixture.h"

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
        char user[48], conn[48];

        snprintf(user, sizeof user, "00000000-0000-0000-0000-0000000001%02d", i);
        snprintf(conn, sizeof conn, "00000000-0000-0000-0000-0000000002%02d", i);
        add_user_on(&db, user, zone_cases[i].zone, conn, "devto");
        for (int k = 0; k < 4 && zone_cases[i].at[k] != NULL; k++)
            add_article(&db, conn, zone_cases[i].at[k], 1, 0, 0);
    }
    out = etl_ok(&db, "-v backfill --from 2025-01-01 --to 2025-11-30 --as-of 2025-12-15T12:00:00Z");
    for (int i = 0; i < N_ZONE_CASES; i++) {
        const struct zone_case *c = &zone_cases[i];
        char user[48];
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
        char user[48], conn[48];

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
