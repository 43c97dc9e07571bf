/*
 * tz.c: the timezone table.
 *
 * Entry points: tz_load (one query), tz_local_day (pure).
 *
 * Why not TZ + localtime_r: not thread-safe to switch, and the client's tzdata
 * may differ from the server's.  Why not one local midnight per day: around
 * ambiguous midnights PostgreSQL maps 00:00 to the later instant, and a few
 * zones step backwards across midnight, so "last midnight <= t" is not always
 * the local date.  Offsets are exact: the server samples each zone's UTC
 * offset once a day over the range and bisects, in the same query, every day
 * whose offset changed down to the second of the change (tzdata changes
 * happen on whole seconds).  local date = floor((t + offset(t)) / 1 day).
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "pgarray.h"
#include "tz.h"

#define PG_EPOCH_UNIX_SECS INT64_C(946684800)
#define YEAR_1900_UNIX_SECS INT64_C(-2208988800)

/*
 * $1 zone names, $2 and $3 the range in Unix seconds (none when $2 > $3), $4
 * the as-of instant, sampled on the days around it.  Before 1900 (local mean
 * time, one change per zone) a sample every 30 days is enough.  Between the
 * range and the days around $4 there are no samples: a change there is
 * found (by bisection) but not every one, and no instant there is asked
 * about.  Returns one row per segment: zone, start (Unix seconds; the first
 * is the first sample), offset in seconds.
 */
static const char offsets_sql[] =
    "WITH RECURSIVE zones AS ("
    "  SELECT DISTINCT unnest($1::text[]) AS z),"
    " times AS ("
    "  SELECT s FROM generate_series(greatest($2::bigint, " "-2208988800), $3::bigint, 86400) s"
    "  UNION SELECT s FROM generate_series($2::bigint, least($3::bigint, -2208988800), 2592000) s"
    "  UNION SELECT $3::bigint WHERE $2::bigint <= $3::bigint"
    "  UNION SELECT s FROM generate_series($4::bigint - 172800, $4::bigint + 172800, 86400) s),"
    " samples AS ("
    "  SELECT z, s, extract(epoch FROM (to_timestamp(s) AT TIME ZONE z)"
    "                                  - (to_timestamp(s) AT TIME ZONE 'UTC'))::int AS o"
    "  FROM zones, times),"
    " steps AS ("
    "  SELECT z, lag(s) OVER w AS lo, s AS hi, lag(o) OVER w AS o_lo, o AS o_hi,"
    "         row_number() OVER w AS k"
    "  FROM samples WINDOW w AS (PARTITION BY z ORDER BY s)),"
    " bisect AS ("
    "  SELECT z, lo, hi, o_lo FROM steps WHERE k > 1 AND o_lo <> o_hi"
    "  UNION ALL"
    "  SELECT z, CASE WHEN o_mid = o_lo THEN mid ELSE lo END,"
    "            CASE WHEN o_mid = o_lo THEN hi ELSE mid END, o_lo"
    "  FROM (SELECT z, lo, hi, o_lo, mid,"
    "          extract(epoch FROM (to_timestamp(mid) AT TIME ZONE z)"
    "                             - (to_timestamp(mid) AT TIME ZONE 'UTC'))::int AS o_mid"
    "        FROM (SELECT z, lo, hi, o_lo, lo + (hi - lo) / 2 AS mid"
    "              FROM bisect WHERE hi - lo > 1) m) b)"
    " SELECT z, hi, o_hi FROM steps WHERE k = 1"
    " UNION ALL"
    " SELECT z, hi, extract(epoch FROM (to_timestamp(hi) AT TIME ZONE z)"
    "                                   - (to_timestamp(hi) AT TIME ZONE 'UTC'))::int"
    " FROM bisect WHERE hi - lo <= 1"
    " ORDER BY 1, 2";

/* PostgreSQL's earliest timestamp, 4714-11-24 00:00 BC, in Unix seconds. */
#define PG_MIN_UNIX_SECS INT64_C(-210866803200)

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int
find_zone(char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Fills the zones from the rows, which come sorted by zone and start. */
static int
fill_zones(const PGresult *res, char *const *names, struct tz_table *table,
           struct etl_error *err)
{
    int rows = PQntuples(res);

    for (int r = 0; r < rows;) {
        int zi = find_zone(names, table->n, PQgetvalue(res, r, 0));
        int end = r;
        struct tz_zone *z;

        while (end < rows && strcmp(PQgetvalue(res, end, 0), PQgetvalue(res, r, 0)) == 0)
            end++;
        if (zi < 0)
            return etl_fail(err, "timezone table: unexpected zone %s", PQgetvalue(res, r, 0));
        z = &table->zones[zi];
        free(z->from);
        free(z->offset);
        z->n = end - r;
        z->from = malloc(sizeof *z->from * (size_t) z->n);
        z->offset = malloc(sizeof *z->offset * (size_t) z->n);
        if (z->from == NULL || z->offset == NULL)
            return etl_fail(err, "timezone table: out of memory");
        for (int i = 0; i < z->n; i++) {
            int64_t unix_secs = strtoll(PQgetvalue(res, r + i, 1), NULL, 10);

            z->from[i] = i == 0 ? TS_NEG_INF : (unix_secs - PG_EPOCH_UNIX_SECS) * 1000000;
            z->offset[i] = (int32_t) strtol(PQgetvalue(res, r + i, 2), NULL, 10);
        }
        r = end;
    }
    return 0;
}

int
tz_load(PGconn *conn, char *const *names, int n, int64_t lo, int64_t hi, int64_t at,
        struct tz_table *table, struct etl_error *err)
{
    char lo_s[32], hi_s[32], at_s[32];
    int64_t lo_unix;
    const char *params[4];
    char *array;
    PGresult *res;
    int rc;

    memset(table, 0, sizeof *table);
    table->zones = calloc((size_t) (n > 0 ? n : 1), sizeof *table->zones);
    if (table->zones == NULL)
        return etl_fail(err, "timezone table: out of memory");
    table->n = n;
    for (int i = 0; i < n; i++)
        if ((table->zones[i].name = strdup(names[i])) == NULL ||
            tz_zone_fixed(&table->zones[i], names[i], 0) < 0) {
            tz_table_term(table);
            return etl_fail(err, "timezone table: out of memory");
        }
    if (n == 0)
        return 0;
    /* Past at + 2 days every local date is past every cutoff: those instants
     * need no exact offset, so the days from there to the latest row (the
     * year 9999, say) are not sampled. */
    if (hi > at + 2 * USECS_PER_DAY)
        hi = at + 2 * USECS_PER_DAY;
    /* A day before the earliest row, but not before the earliest instant
     * to_timestamp() and AT TIME ZONE take (4714-11-24 BC, two days in). */
    lo_unix = floor_div(lo, 1000000) + PG_EPOCH_UNIX_SECS - 86400;
    if (lo_unix < PG_MIN_UNIX_SECS + 2 * 86400)
        lo_unix = PG_MIN_UNIX_SECS + 2 * 86400;
    snprintf(lo_s, sizeof lo_s, "%lld", (long long) (lo <= hi ? lo_unix : 1));
    snprintf(hi_s, sizeof hi_s, "%lld", (long long) (lo <= hi ? floor_div(hi, 1000000) +
                                                     PG_EPOCH_UNIX_SECS + 86400 : 0));
    snprintf(at_s, sizeof at_s, "%lld", (long long) (floor_div(at, 1000000) + PG_EPOCH_UNIX_SECS));
    array = pgarray_text(names, n);
    if (array == NULL) {
        tz_table_term(table);
        return etl_fail(err, "timezone table: out of memory");
    }
    params[0] = array;
    params[1] = lo_s;
    params[2] = hi_s;
    params[3] = at_s;
    res = db_query(conn, "reading timezone offsets", offsets_sql, 4, params,
                   PGRES_TUPLES_OK, err);
    free(array);
    if (res == NULL) {
        tz_table_term(table);
        return -1;
    }
    rc = fill_zones(res, names, table, err);
    PQclear(res);
    if (rc < 0)
        tz_table_term(table);
    return rc;
}

int
tz_zone_fixed(struct tz_zone *z, const char *name, int32_t offset)
{
    if (z->name == NULL && (z->name = strdup(name)) == NULL)
        return -1;
    free(z->from);
    free(z->offset);
    z->n = 1;
    z->from = malloc(sizeof *z->from);
    z->offset = malloc(sizeof *z->offset);
    if (z->from == NULL || z->offset == NULL)
        return -1;
    z->from[0] = TS_NEG_INF;
    z->offset[0] = offset;
    return 0;
}

void
tz_table_term(struct tz_table *table)
{
    for (int i = 0; i < table->n; i++) {
        free(table->zones[i].name);
        free(table->zones[i].from);
        free(table->zones[i].offset);
    }
    free(table->zones);
    table->zones = NULL;
    table->n = 0;
}

int32_t
tz_local_day(const struct tz_zone *z, int64_t ts)
{
    int lo = 0, hi = z->n - 1;

    if (ts == TS_NEG_INF)
        return DAY_NEG_INF;
    if (ts == TS_POS_INF)
        return DAY_POS_INF;
    /* Last segment starting at or before ts; from[0] is -infinity. */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;

        if (z->from[mid] <= ts)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (int32_t) floor_div(ts + (int64_t) z->offset[lo] * 1000000, USECS_PER_DAY);
}
