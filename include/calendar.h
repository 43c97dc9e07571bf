/*
 * calendar.h: days, instants and buckets, in PostgreSQL's own units.
 *
 * A day is an int32 count of days since 2000-01-01 (PostgreSQL's binary
 * `date`); an instant is an int64 count of microseconds since 2000-01-01
 * 00:00 UTC (binary `timestamptz`).  The infinities are kept as PostgreSQL
 * sends them, so that every comparison orders them correctly.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#define DAY_NEG_INF INT32_MIN    /* '-infinity'::date */
#define DAY_POS_INF INT32_MAX    /* 'infinity'::date */
#define TS_NEG_INF  INT64_MIN    /* '-infinity'::timestamptz */
#define TS_POS_INF  INT64_MAX
#define USECS_PER_DAY INT64_C(86400000000)
#define UNIX_EPOCH_DAY (-10957)  /* 1970-01-01 */

enum bucket_type { BUCKET_DAILY, BUCKET_WEEKLY, BUCKET_MONTHLY, N_BUCKET_TYPES };

int32_t cal_day_from_ymd(int y, int m, int d);
void cal_ymd_from_day(int32_t day, int *y, int *m, int *d);
bool cal_valid_ymd(int y, int m, int d);

/* Strict YYYY-MM-DD; 0 or -1. */
int cal_parse_date(const char *s, int32_t *day);
/* YYYY-MM-DD into buf (at least 16 bytes), "infinity" forms for the infinities. */
void cal_format_date(int32_t day, char *buf);

/* YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][Z|(+|-)HH[:MM]]; no zone means UTC. */
int cal_parse_timestamp(const char *s, int64_t *ts);
/* ISO 8601 in UTC, e.g. 2026-11-25 03:00:00.123456+00, into buf (>= 40 bytes). */
void cal_format_timestamp(int64_t ts, char *buf);

/* Floor division of an instant into its UTC day. */
int32_t cal_floor_day(int64_t usecs);

/* First and last day of the bucket of `type` that contains day. */
int32_t cal_bucket_start(enum bucket_type type, int32_t day);
int32_t cal_bucket_last(enum bucket_type type, int32_t day);
/* The start of the bucket after the one starting at start. */
int32_t cal_bucket_next(enum bucket_type type, int32_t start);

const char *cal_bucket_name(enum bucket_type type);

#endif
