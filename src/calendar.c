/*
 * calendar.c: proleptic Gregorian day arithmetic, ISO weeks, months, and
 * parsing of the dates and instants the command line takes.
 *
 * Pure functions, no state: safe in parallel regions.  Day numbers follow
 * PostgreSQL (0 = 2000-01-01, a Saturday); the civil conversions are Howard
 * Hinnant's days_from_civil / civil_from_days, shifted by 10957 days.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"

static int64_t
floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int32_t
cal_day_from_ymd(int y, int m, int d)
{
    int64_t yy = y - (m <= 2);
    int64_t era = floor_div64(yy, 400);
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int32_t) (era * 146097 + doe - 719468 + UNIX_EPOCH_DAY);
}

void
cal_ymd_from_day(int32_t day, int *y, int *m, int *d)
{
    int64_t z = (int64_t) day - UNIX_EPOCH_DAY + 719468;
    int64_t era = floor_div64(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return (m == 2 && is_leap(y)) ? 29 : len[m - 1];
}

bool
cal_valid_ymd(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Reads exactly n digits; returns the pointer after them or NULL. */
static const char *
read_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char) s[i]))
            return NULL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return s + n;
}

static const char *
read_date(const char *s, int32_t *day)
{
    int y, m, d;

    if ((s = read_digits(s, 4, &y)) == NULL || *s++ != '-' ||
        (s = read_digits(s, 2, &m)) == NULL || *s++ != '-' ||
        (s = read_digits(s, 2, &d)) == NULL || !cal_valid_ymd(y, m, d))
        return NULL;
    *day = cal_day_from_ymd(y, m, d);
    return s;
}

int
cal_parse_date(const char *s, int32_t *day)
{
    s = read_date(s, day);
    return (s != NULL && *s == '\0') ? 0 : -1;
}

void
cal_format_date(int32_t day, char *buf)
{
    int y, m, d;

    if (day == DAY_NEG_INF || day == DAY_POS_INF) {
        strcpy(buf, day == DAY_NEG_INF ? "-infinity" : "infinity");
        return;
    }
    cal_ymd_from_day(day, &y, &m, &d);
    snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

/* PostgreSQL refuses a timestamp longer than 128 characters or so. */
#define FRACTION_DIGITS_MAX 100

/* HH:MM[:SS[.frac]] -> microseconds into the day. */
static const char *
read_time(const char *s, int64_t *usecs)
{
    int hh, mm, ss = 0;
    int64_t frac = 0;

    if ((s = read_digits(s, 2, &hh)) == NULL || *s++ != ':' ||
        (s = read_digits(s, 2, &mm)) == NULL)
        return NULL;
    if (*s == ':') {
        if ((s = read_digits(s + 1, 2, &ss)) == NULL)
            return NULL;
        if (*s == '.') {
            /* Digits only (strtod alone would also take an exponent:
             * ".1e9" is not a fraction), and no more than PostgreSQL
             * reads in a whole timestamp. */
            size_t n = strspn(s + 1, "0123456789");
            char text[FRACTION_DIGITS_MAX + 2];

            if (n == 0 || n > FRACTION_DIGITS_MAX)
                return NULL;
            memcpy(text, s, n + 1);
            text[n + 1] = '\0';
            /* As PostgreSQL reads a fraction: strtod, then rint() to
             * microseconds (so .0000006 is 1 us, not 0). */
            frac = (int64_t) rint(strtod(text, NULL) * 1000000);
            s += n + 1;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59)
        return NULL;
    *usecs = ((int64_t) hh * 3600 + mm * 60 + ss) * 1000000 + frac;
    return s;
}

/* Z, UTC, +HH, +HH:MM, +HHMM, +HH:MM:SS -> seconds east of UTC. */
static const char *
read_zone(const char *s, int *offset)
{
    int sign, hh, mm = 0, ss = 0;

    if (*s == 'Z' || *s == 'z') {
        *offset = 0;
        return s + 1;
    }
    if (strncmp(s, "UTC", 3) == 0) {
        *offset = 0;
        return s + 3;
    }
    if (*s != '+' && *s != '-')
        return NULL;
    sign = *s++ == '-' ? -1 : 1;
    if ((s = read_digits(s, 2, &hh)) == NULL)
        return NULL;
    if (*s == ':')
        s++;
    if (isdigit((unsigned char) *s) && (s = read_digits(s, 2, &mm)) == NULL)
        return NULL;
    if (*s == ':' && (s = read_digits(s + 1, 2, &ss)) == NULL)
        return NULL;
    if (hh > 15 || mm > 59 || ss > 59)
        return NULL;
    *offset = sign * (hh * 3600 + mm * 60 + ss);
    return s;
}

int
cal_parse_timestamp(const char *s, int64_t *ts)
{
    int32_t day;
    int64_t usecs = 0;
    int offset = 0;

    if ((s = read_date(s, &day)) == NULL)
        return -1;
    if (*s == ' ' || *s == 'T' || *s == 't') {
        if ((s = read_time(s + 1, &usecs)) == NULL)
            return -1;
        if (*s == ' ')
            s++;
        if (*s != '\0' && (s = read_zone(s, &offset)) == NULL)
            return -1;
    }
    if (*s != '\0')
        return -1;
    *ts = (int64_t) day * USECS_PER_DAY + usecs - (int64_t) offset * 1000000;
    return 0;
}

int32_t
cal_floor_day(int64_t usecs)
{
    return (int32_t) floor_div64(usecs, USECS_PER_DAY);
}

void
cal_format_timestamp(int64_t ts, char *buf)
{
    int32_t day = cal_floor_day(ts);
    int64_t rest = ts - (int64_t) day * USECS_PER_DAY;
    int64_t secs = rest / 1000000;
    char date[16];

    cal_format_date(day, date);
    snprintf(buf, 40, "%s %02d:%02d:%02d.%06d+00", date, (int) (secs / 3600),
             (int) (secs / 60 % 60), (int) (secs % 60), (int) (rest % 1000000));
}

/* 0 = Monday .. 6 = Sunday; day 0 (2000-01-01) is a Saturday. */
static int
iso_weekday(int32_t day)
{
    return (int) (((int64_t) day % 7 + 7 + 5) % 7);
}

int32_t
cal_bucket_start(enum bucket_type type, int32_t day)
{
    int y, m, d;

    switch (type) {
    case BUCKET_DAILY:
        return day;
    case BUCKET_WEEKLY:
        return day - iso_weekday(day);
    case BUCKET_MONTHLY:
    default:
        cal_ymd_from_day(day, &y, &m, &d);
        return day - (d - 1);
    }
}

int32_t
cal_bucket_next(enum bucket_type type, int32_t start)
{
    int y, m, d;

    switch (type) {
    case BUCKET_DAILY:
        return start + 1;
    case BUCKET_WEEKLY:
        return start + 7;
    case BUCKET_MONTHLY:
    default:
        cal_ymd_from_day(start, &y, &m, &d);
        return start + days_in_month(y, m);
    }
}

int32_t
cal_bucket_last(enum bucket_type type, int32_t day)
{
    return cal_bucket_next(type, cal_bucket_start(type, day)) - 1;
}

const char *
cal_bucket_name(enum bucket_type type)
{
    static const char *const names[N_BUCKET_TYPES] = {"daily", "weekly", "monthly"};

    return names[type];
}
