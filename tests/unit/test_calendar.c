/*
 * test_calendar.c: day numbers, ISO weeks, months, date and instant parsing.
 * Expected values are hand computed (and agree with PostgreSQL's date_trunc
 * and date arithmetic).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"

static int32_t
day(const char *s)
{
    int32_t d;

    cr_assert_eq(cal_parse_date(s, &d), 0, "bad date %s", s);
    return d;
}

Test(calendar, pg_epoch_and_round_trip)
{
    char buf[16];

    cr_expect_eq(day("2000-01-01"), 0);
    cr_expect_eq(day("1999-12-31"), -1);
    cr_expect_eq(day("1970-01-01"), -10957);
    cr_expect_eq(day("2024-03-01") - day("2024-02-28"), 2);    /* leap day between */
    cr_expect_eq(day("2100-03-01") - day("2100-02-28"), 1);    /* 2100 is not leap */
    cr_expect_eq(day("2000-03-01") - day("2000-02-28"), 2);    /* 2000 is */
    for (int32_t d = day("1899-12-25"); d < day("2101-01-07"); d += 7) {
        int32_t back;

        cal_format_date(d, buf);
        cr_assert_eq(cal_parse_date(buf, &back), 0);
        cr_assert_eq(back, d, "%s", buf);
    }
    cal_format_date(DAY_POS_INF, buf);
    cr_expect_str_eq(buf, "infinity");
    cal_format_date(DAY_NEG_INF, buf);
    cr_expect_str_eq(buf, "-infinity");
}

/* Criterion copies parameters into another process: no pointers in them. */
struct bucket_case {
    char day[11];
    enum bucket_type type;
    char start[11], last[11];
};

static struct bucket_case bucket_cases[] = {
    {"2025-11-25", BUCKET_DAILY, "2025-11-25", "2025-11-25"},
    {"2025-11-25", BUCKET_WEEKLY, "2025-11-24", "2025-11-30"},      /* a Tuesday */
    {"2025-11-24", BUCKET_WEEKLY, "2025-11-24", "2025-11-30"},      /* Monday */
    {"2025-11-30", BUCKET_WEEKLY, "2025-11-24", "2025-11-30"},      /* Sunday */
    {"2021-01-03", BUCKET_WEEKLY, "2020-12-28", "2021-01-03"},      /* ISO 2020-W53 */
    {"2020-12-31", BUCKET_WEEKLY, "2020-12-28", "2021-01-03"},
    {"2026-01-01", BUCKET_WEEKLY, "2025-12-29", "2026-01-04"},      /* week across years */
    {"2000-01-01", BUCKET_WEEKLY, "1999-12-27", "2000-01-02"},      /* day 0, a Saturday */
    {"1969-12-31", BUCKET_WEEKLY, "1969-12-29", "1970-01-04"},      /* negative days */
    {"2024-02-29", BUCKET_MONTHLY, "2024-02-01", "2024-02-29"},     /* leap February */
    {"2023-02-15", BUCKET_MONTHLY, "2023-02-01", "2023-02-28"},
    {"2025-12-31", BUCKET_MONTHLY, "2025-12-01", "2025-12-31"},
    {"2025-04-01", BUCKET_MONTHLY, "2025-04-01", "2025-04-30"},
    {"1900-02-10", BUCKET_MONTHLY, "1900-02-01", "1900-02-28"},
    {"2015-12-31", BUCKET_WEEKLY, "2015-12-28", "2016-01-03"},      /* ISO 2015-W53 */
    {"2016-01-03", BUCKET_WEEKLY, "2015-12-28", "2016-01-03"},
    {"2026-12-31", BUCKET_WEEKLY, "2026-12-28", "2027-01-03"},      /* ISO 2026-W53 */
    {"2033-01-02", BUCKET_WEEKLY, "2032-12-27", "2033-01-02"},      /* ISO 2032-W53 */
    {"2000-02-29", BUCKET_MONTHLY, "2000-02-01", "2000-02-29"},     /* 400-year leap */
    {"2100-02-28", BUCKET_MONTHLY, "2100-02-01", "2100-02-28"},     /* century, not leap */
    {"0001-01-01", BUCKET_WEEKLY, "0001-01-01", "0001-01-07"},      /* a Monday */
    {"9999-12-31", BUCKET_MONTHLY, "9999-12-01", "9999-12-31"},
};

ParameterizedTestParameters(calendar, buckets)
{
    return cr_make_param_array(struct bucket_case, bucket_cases,
                               sizeof bucket_cases / sizeof bucket_cases[0]);
}

ParameterizedTest(struct bucket_case *c, calendar, buckets)
{
    cr_expect_eq(cal_bucket_start(c->type, day(c->day)), day(c->start), "%s %s start",
                 c->day, cal_bucket_name(c->type));
    cr_expect_eq(cal_bucket_last(c->type, day(c->day)), day(c->last), "%s %s last",
                 c->day, cal_bucket_name(c->type));
}

struct date_case {
    char text[16];
    bool valid;
};

static struct date_case date_cases[] = {
    {"2025-01-01", true}, {"2024-02-29", true}, {"2023-02-29", false}, {"2025-13-01", false},
    {"2025-00-10", false}, {"2025-04-31", false}, {"2025-1-01", false}, {"20250101", false},
    {"2025-01-01x", false}, {"", false}, {"yesterday", false}, {"0000-01-01", false},
    {"2025-01-01 ", false}, {"9999-12-31", true},
};

ParameterizedTestParameters(calendar, parse_date)
{
    return cr_make_param_array(struct date_case, date_cases,
                               sizeof date_cases / sizeof date_cases[0]);
}

ParameterizedTest(struct date_case *c, calendar, parse_date)
{
    int32_t d;

    cr_expect_eq(cal_parse_date(c->text, &d) == 0, c->valid, "\"%s\"", c->text);
}

struct ts_case {
    char text[40];
    bool valid;
    char utc[40];             /* expected, formatted */
};

static struct ts_case ts_cases[] = {
    {"2026-11-25", true, "2026-11-25 00:00:00.000000+00"},
    {"2026-11-25T03:04:05Z", true, "2026-11-25 03:04:05.000000+00"},
    {"2026-11-25 03:04", true, "2026-11-25 03:04:00.000000+00"},
    {"2026-11-25T03:04:05+01:00", true, "2026-11-25 02:04:05.000000+00"},
    {"2026-11-25T00:30:00-05:45", true, "2026-11-25 06:15:00.000000+00"},
    {"2026-11-25T23:59:59.25+0530", true, "2026-11-25 18:29:59.250000+00"},
    {"2026-01-01T00:00:00+14", true, "2025-12-31 10:00:00.000000+00"},
    {"2026-11-25 03:04:05 UTC", true, "2026-11-25 03:04:05.000000+00"},
    {"2026-11-25 03:04:05+05:45:30", true, "2026-11-24 21:18:35.000000+00"},
    {"2026-11-25 03:04:05.0000006Z", true, "2026-11-25 03:04:05.000001+00"},
    {"2026-11-25 03:04:05.1234564Z", true, "2026-11-25 03:04:05.123456+00"},
    {"2026-11-25T24:00:00Z", false, ""},
    {"2026-11-25T03:04:05 CET", false, ""},
    {"2026-02-30T00:00:00Z", false, ""},
    {"now", false, ""},
    {"2026-11-25T", false, ""},
    /* the fraction is digits only: strtod would read ".1e9" as 100000000 seconds */
    {"2026-01-02T03:00:00.1e9Z", false, ""},
    {"2026-01-02T03:00:00.9e300Z", false, ""},
    {"2026-01-02T03:00:00.1E2", false, ""},
    {"2026-01-02T03:00:00.e5Z", false, ""},
    {"2026-01-02T03:00:00.Z", false, ""},
    {"2026-01-02T03:00:00.0x1p3Z", false, ""},
    {"2026-01-02T03:00:00.5Z", true, "2026-01-02 03:00:00.500000+00"},
    {"2026-01-02T03:00:00.5-01:00", true, "2026-01-02 04:00:00.500000+00"},
};

/* A fraction of up to 100 digits is read whole (PostgreSQL rounds it the
 * same way); a longer one is refused, as PostgreSQL refuses the string. */
Test(calendar, long_fractions)
{
    char text[160];
    int64_t ts;
    char buf[40];

    snprintf(text, sizeof text, "2026-01-02T03:00:00.%0100dZ", 0);
    memcpy(text + 20, "0000004999", 10);        /* .0000004999 then 90 zeros: rounds down */
    cr_assert_eq(cal_parse_timestamp(text, &ts), 0, "%s", text);
    cal_format_timestamp(ts, buf);
    cr_expect_str_eq(buf, "2026-01-02 03:00:00.000000+00");
    memcpy(text + 20, "0000005001", 10);        /* rounds up to 1 us */
    cr_assert_eq(cal_parse_timestamp(text, &ts), 0, "%s", text);
    cal_format_timestamp(ts, buf);
    cr_expect_str_eq(buf, "2026-01-02 03:00:00.000001+00");
    snprintf(text, sizeof text, "2026-01-02T03:00:00.%0101dZ", 0);
    cr_expect_eq(cal_parse_timestamp(text, &ts), -1, "101 digits: %s", text);
}

ParameterizedTestParameters(calendar, parse_timestamp)
{
    return cr_make_param_array(struct ts_case, ts_cases, sizeof ts_cases / sizeof ts_cases[0]);
}

ParameterizedTest(struct ts_case *c, calendar, parse_timestamp)
{
    int64_t ts;
    char buf[40];
    int rc = cal_parse_timestamp(c->text, &ts);

    cr_assert_eq(rc == 0, c->valid, "\"%s\"", c->text);
    if (c->valid) {
        cal_format_timestamp(ts, buf);
        cr_expect_str_eq(buf, c->utc, "\"%s\"", c->text);
    }
}

/* Day numbers at the ends of what PostgreSQL's date holds, and between. */
struct ymd_case {
    int y, m, d;
    int32_t day;
};

static struct ymd_case ymd_cases[] = {
    {2000, 1, 1, 0},
    {1999, 12, 31, -1},
    {1970, 1, 1, -10957},
    {2024, 2, 29, 8825},
    {1900, 3, 1, -36465},
    {1, 1, 1, -730119},
    {9999, 12, 31, 2921939},
    {-4713, 11, 24, -2451545},          /* 4714-11-24 BC, PostgreSQL's first date */
    {5874897, 12, 31, 2145031948},      /* its last */
};

ParameterizedTestParameters(calendar, day_numbers_at_extremes)
{
    return cr_make_param_array(struct ymd_case, ymd_cases, sizeof ymd_cases / sizeof ymd_cases[0]);
}

ParameterizedTest(struct ymd_case *c, calendar, day_numbers_at_extremes)
{
    int y, m, d;

    cr_expect_eq(cal_day_from_ymd(c->y, c->m, c->d), c->day, "%d-%d-%d", c->y, c->m, c->d);
    cal_ymd_from_day(c->day, &y, &m, &d);
    cr_expect(y == c->y && m == c->m && d == c->d, "day %d: %d-%d-%d", c->day, y, m, d);
}

/* An instant's UTC day: a floor, also before 2000. */
struct floor_case {
    int64_t usecs;
    int32_t day;
};

static struct floor_case floor_cases[] = {
    {0, 0},
    {1, 0},
    {USECS_PER_DAY - 1, 0},
    {USECS_PER_DAY, 1},
    {-1, -1},
    {-USECS_PER_DAY, -1},
    {-USECS_PER_DAY - 1, -2},
    {INT64_C(-211813488000000000), -2451545},   /* 4714-11-24 00:00 BC */
};

ParameterizedTestParameters(calendar, floor_day)
{
    return cr_make_param_array(struct floor_case, floor_cases,
                               sizeof floor_cases / sizeof floor_cases[0]);
}

ParameterizedTest(struct floor_case *c, calendar, floor_day)
{
    cr_expect_eq(cal_floor_day(c->usecs), c->day, "%lld us", (long long) c->usecs);
}

/* The bucket after a bucket: month lengths, leap years, year ends. */
struct next_case {
    enum bucket_type type;
    char start[11], next[11];
};

static struct next_case next_cases[] = {
    {BUCKET_MONTHLY, "2024-01-01", "2024-02-01"},
    {BUCKET_MONTHLY, "2024-02-01", "2024-03-01"},   /* 29 days */
    {BUCKET_MONTHLY, "2023-02-01", "2023-03-01"},   /* 28 days */
    {BUCKET_MONTHLY, "2024-04-01", "2024-05-01"},   /* 30 days */
    {BUCKET_MONTHLY, "2024-12-01", "2025-01-01"},
    {BUCKET_MONTHLY, "2100-02-01", "2100-03-01"},
    {BUCKET_WEEKLY, "2026-12-28", "2027-01-04"},
    {BUCKET_DAILY, "2024-02-28", "2024-02-29"},
    {BUCKET_DAILY, "1999-12-31", "2000-01-01"},
};

ParameterizedTestParameters(calendar, next_bucket)
{
    return cr_make_param_array(struct next_case, next_cases, sizeof next_cases / sizeof next_cases[0]);
}

ParameterizedTest(struct next_case *c, calendar, next_bucket)
{
    cr_expect_eq(cal_bucket_next(c->type, day(c->start)), day(c->next), "%s after %s",
                 cal_bucket_name(c->type), c->start);
}

Test(calendar, format_timestamp_before_2000)
{
    char buf[40];

    cal_format_timestamp(-1, buf);
    cr_expect_str_eq(buf, "1999-12-31 23:59:59.999999+00");
    cal_format_timestamp(INT64_C(-960867740000000), buf);
    cr_expect_str_eq(buf, "1969-07-20 20:17:40.000000+00");
}
