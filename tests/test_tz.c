/*
 * test_tz.c: the timezone table against PostgreSQL's own AT TIME ZONE, for
 * zones with DST, half-hour and 45-minute offsets, midnight switches, the
 * date line, historic local mean time and fixed offsets.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "fixture.h"
#include "tz.h"

static char *zones[] = {
    "UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney",
    "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Eucla",
    "Pacific/Chatham", "America/St_Johns", "America/Santiago", "America/Havana",
    "Africa/Cairo", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Tehran", "Etc/GMT+5",
    "EST5EDT", "Pacific/Apia", "America/Asuncion", "Europe/Dublin", "Asia/Gaza",
    "America/Sao_Paulo", "Europe/Moscow",
};
#define N_ZONES ((int) (sizeof zones / sizeof zones[0]))

/* Compares every (zone, instant) of the query's rows: zone, instant as
 * microseconds since 2000, and the server's local date as days since 2000. */
static void
compare(struct fx_db *db, const struct tz_table *t, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    int rows, bad = 0;

    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    rows = PQntuples(res);
    cr_assert_gt(rows, 1000);
    for (int r = 0; r < rows; r++) {
        const char *zone = PQgetvalue(res, r, 0);
        int64_t ts = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        int32_t want = (int32_t) strtol(PQgetvalue(res, r, 2), NULL, 10);
        int z = 0;

        while (z < t->n && strcmp(t->zones[z].name, zone) != 0)
            z++;
        cr_assert_lt(z, t->n);
        if (tz_local_day(&t->zones[z], ts) != want && bad++ < 10)
            cr_expect_fail("%s at %lld us: local day %d, server says %d", zone, (long long) ts,
                           tz_local_day(&t->zones[z], ts), want);
    }
    cr_expect_eq(bad, 0, "%d of %d instants disagree", bad, rows);
    PQclear(res);
}

#define ZONE_LIST \
    "('UTC'), ('Europe/Berlin'), ('America/New_York'), ('America/Los_Angeles')," \
    " ('Australia/Sydney'), ('Australia/Lord_Howe'), ('Asia/Kolkata'), ('Asia/Kathmandu')," \
    " ('Australia/Eucla'), ('Pacific/Chatham'), ('America/St_Johns'), ('America/Santiago')," \
    " ('America/Havana'), ('Africa/Cairo'), ('Pacific/Kiritimati'), ('Pacific/Pago_Pago')," \
    " ('Asia/Tehran'), ('Etc/GMT+5'), ('EST5EDT'), ('Pacific/Apia'), ('America/Asuncion')," \
    " ('Europe/Dublin'), ('Asia/Gaza'), ('America/Sao_Paulo'), ('Europe/Moscow')"

#define US_SINCE_2000(t) "((extract(epoch FROM " t ") - 946684800) * 1000000)::bigint"

/* compare() at every instant of generate_series(from, to, step), in every zone. */
static void
compare_every(struct fx_db *db, const struct tz_table *t, const char *from, const char *to,
              const char *step)
{
    char sql[2048];

    snprintf(sql, sizeof sql,
             "SELECT z, " US_SINCE_2000("t") ", (t AT TIME ZONE z)::date - date '2000-01-01'"
             " FROM (VALUES " ZONE_LIST ") v(z),"
             " generate_series(timestamptz '%s', '%s', interval '%s') t", from, to, step);
    compare(db, t, sql);
}

Test(tz, local_dates_match_the_server)
{
    struct fx_db db;
    struct tz_table table;
    struct etl_error err;
    int64_t lo, hi;

    fx_db_create(&db);
    cr_assert_eq(cal_parse_timestamp("1890-01-01", &lo), 0);
    cr_assert_eq(cal_parse_timestamp("2031-01-01", &hi), 0);
    cr_assert_eq(tz_load(db.conn, zones, N_ZONES, lo, hi, hi, &table, &err), 0, "%s", err.text);
    fx_exec(&db, "SET TimeZone = 'UTC'");

    /* Every hour (+17 min) of 2019..2026: each DST night is crossed. */
    compare_every(&db, &table, "2019-01-01 00:17Z", "2026-12-31", "61 minutes");
    /* Around each local midnight: the exact instant and near it. */
    compare(&db, &table,
            "SELECT z, " US_SINCE_2000("t") ", (t AT TIME ZONE z)::date - date '2000-01-01'"
            " FROM (VALUES " ZONE_LIST ") v(z),"
            " generate_series(date '2022-01-01', date '2026-06-30', interval '1 day') d,"
            " unnest(array[-3600, -1800, -1, 0, 1, 1800, 3600]) s,"
            " LATERAL (SELECT (d::timestamp AT TIME ZONE z) + s * interval '1 second' AS t) x");
    /* Historic: local mean time and wartime rules, once every 5 days. */
    compare_every(&db, &table, "1890-01-01 05:07Z", "1990-01-01", "5 days 1 hour");
    tz_table_term(&table);
    fx_db_drop(&db);
}

Test(tz, infinities_and_fixed_offsets)
{
    struct tz_zone z = {0};

    cr_assert_eq(tz_zone_fixed(&z, "X", 5 * 3600 + 45 * 60), 0);
    cr_expect_eq(tz_local_day(&z, TS_NEG_INF), DAY_NEG_INF);
    cr_expect_eq(tz_local_day(&z, TS_POS_INF), DAY_POS_INF);
    /* 2000-01-01 18:15 UTC is 2000-01-02 00:00 at +05:45 */
    cr_expect_eq(tz_local_day(&z, (18 * 3600 + 15 * 60) * INT64_C(1000000) - 1), 0);
    cr_expect_eq(tz_local_day(&z, (18 * 3600 + 15 * 60) * INT64_C(1000000)), 1);
    cr_expect_eq(tz_local_day(&z, -(5 * 3600 + 45 * 60) * INT64_C(1000000) - 1), -1);
    free(z.name);
    free(z.from);
    free(z.offset);
}

/*
 * A run's table is exact for its rows and its as-of instant, and what the
 * server samples follows the days of the rows, not the span from them to
 * the as-of: rows of 2025 and an as-of in the year 9999 give a table of the
 * 2025 changes and those near the as-of (Berlin: 2 + 0..2), where sampling
 * every day up to 9999 gave one segment per change, about 16,000.
 */
Test(tz, rows_far_from_the_as_of)
{
    struct fx_db db;
    struct tz_table table;
    struct etl_error err;
    int64_t lo, hi, at;

    fx_db_create(&db);
    cr_assert_eq(cal_parse_timestamp("2025-01-01", &lo), 0);
    cr_assert_eq(cal_parse_timestamp("2025-12-31", &hi), 0);
    cr_assert_eq(cal_parse_timestamp("9999-07-01T22:30:00Z", &at), 0);
    cr_assert_eq(tz_load(db.conn, zones, N_ZONES, lo, hi, at, &table, &err), 0, "%s", err.text);
    for (int z = 0; z < table.n; z++)
        cr_expect_leq(table.zones[z].n, 10, "%s: %d segments", table.zones[z].name,
                      table.zones[z].n);
    fx_exec(&db, "SET TimeZone = 'UTC'");
    /* the rows' year, every 61 minutes */
    compare_every(&db, &table, "2025-01-01 00:17Z", "2025-12-31", "61 minutes");
    /* the as-of instant and the day around it (Berlin: 00:30 on July 2) */
    compare_every(&db, &table, "9999-07-01 00:00Z", "9999-07-02 23:59Z", "1 minute");
    tz_table_term(&table);
    fx_db_drop(&db);
}
