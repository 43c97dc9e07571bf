/*
 * tz.h: local dates exactly as PostgreSQL's (t AT TIME ZONE z)::date.
 *
 * The server is asked once per run for every UTC-offset change of each zone
 * in use over the run's time range; after that a local date is a binary
 * search and a floor division, safe to call from any thread.
 */
#ifndef TZ_H
#define TZ_H

#include <libpq-fe.h>
#include <stdint.h>
#include "etl_error.h"

struct tz_zone {
    char *name;
    int n;              /* number of segments */
    int64_t *from;      /* segment i starts at from[i]; from[0] = TS_NEG_INF */
    int32_t *offset;    /* seconds east of UTC during segment i */
};

struct tz_table {
    int n;
    struct tz_zone *zones;
};

/*
 * Loads the offset segments of the n zone names (valid server zone names),
 * exact over [lo, hi] (the instants of the rows; none when lo > hi) up to
 * at + 2 days, and over the days around at (the as-of instant); past
 * at + 2 days every local date is past every cutoff, and is not asked
 * exactly.  What the server samples follows the days of the rows and not
 * the span from them to at.  Elsewhere offsets are those of a neighbour.
 * The zones keep the order of names.
 */
int tz_load(PGconn *conn, char *const *names, int n, int64_t lo, int64_t hi, int64_t at,
            struct tz_table *table, struct etl_error *err);
void tz_table_term(struct tz_table *table);

/* The local date of ts in zone z; the infinities map to the day infinities. */
int32_t tz_local_day(const struct tz_zone *z, int64_t ts);

/* Builds a zone with one fixed offset (for tests and for UTC). */
int tz_zone_fixed(struct tz_zone *z, const char *name, int32_t offset);

#endif
