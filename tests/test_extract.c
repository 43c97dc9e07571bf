/*
 * test_extract.c: the binary COPY decoder, on hand-built bytes and on what a
 * real server sends for every type the engine reads (NULLs and infinities
 * included).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "calendar.h"
#include "copybin.h"
#include "fixture.h"

static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

Test(decoder, header_tuple_and_trailer)
{
    /* header, then a tuple of 2 fields: int4 258 and NULL */
    char buf[64];
    size_t n = 0;
    struct copybin_decoder d = {false, false};
    struct copybin_field f[4];
    struct etl_error err;

    memcpy(buf, header, 19);
    n = 19;
    memcpy(buf + n, "\0\2" "\0\0\0\4" "\0\0\1\2" "\377\377\377\377", 14);
    n += 14;
    cr_assert_eq(copybin_split_tuple(&d, buf, n, f, 4, &err), 2, "%s", err.text);
    cr_expect_eq(f[0].len, 4);
    cr_expect_eq(copybin_int4(&f[0]), 258);
    cr_expect_eq(f[1].len, -1);
    cr_expect(copybin_field_has_len(&f[1], 8, true));
    cr_expect_not(copybin_field_has_len(&f[1], 8, false));
    cr_expect_eq(copybin_split_tuple(&d, "\377\377", 2, f, 4, &err), 0);
    cr_expect(d.trailer_seen);
}

/* Criterion copies parameters into another process: no pointers in them. */
struct bad_case {
    char what[40];
    char bytes[24];
    size_t len;
    bool with_header;
};

static struct bad_case bad_cases[] = {
    {"bad signature", "PGCOPX\n\377\r\n\0\0\0\0\0\0\0\0\0\0\0", 21, false},
    {"short header", "PGCOPY\n", 7, false},
    {"truncated field header", "\0\1\0\0", 4, true},
    {"field longer than the buffer", "\0\1\0\0\0\10\0\0\0\1", 10, true},
    {"too many fields", "\0\11", 2, true},
    {"trailing bytes", "\0\1\0\0\0\1\7\7", 8, true},
    {"negative length", "\0\1\377\377\377\376", 6, true},
};

ParameterizedTestParameters(decoder, rejects)
{
    return cr_make_param_array(struct bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(struct bad_case *c, decoder, rejects)
{
    struct copybin_decoder d = {c->with_header, false};
    struct copybin_field f[8];
    struct etl_error err;

    cr_expect_eq(copybin_split_tuple(&d, c->bytes, c->len, f, 8, &err), -1, "%s", c->what);
}

/* Every type extract.c reads, as the server encodes it. */
Test(decoder, real_server_values)
{
    struct fx_db db;
    PGresult *res;
    char *buf;
    int len, n, tuples = 0;
    struct copybin_decoder d = {false, false};
    struct copybin_field f[8];
    struct etl_error err;
    struct uuid u;
    char text[37];

    fx_db_create(&db);
    res = PQexec(db.conn,
                 "COPY (VALUES"
                 " ('0b6e0d7c-3d6e-4e0a-9a6b-1c2d3e4f5a6b'::uuid, date '2024-02-29',"
                 "  timestamptz '2000-01-01 00:00:01.5+00', 2147483647, -9000000000::bigint, true, NULL::int),"
                 " ('00000000-0000-0000-0000-000000000000', 'infinity', '-infinity', -1, 0, false, 7),"
                 " ('ffffffff-ffff-ffff-ffff-ffffffffffff', '-infinity', 'infinity', 0, 1, NULL, NULL),"
                 " ('12345678-1234-1234-1234-123456789abc', '1999-12-31', '1969-07-20 20:17:40Z', 0, 0, false, 0)"
                 ") TO STDOUT (FORMAT binary)");
    cr_assert_eq(PQresultStatus(res), PGRES_COPY_OUT);
    PQclear(res);
    while ((len = PQgetCopyData(db.conn, &buf, 0)) > 0) {
        n = copybin_split_tuple(&d, buf, (size_t) len, f, 8, &err);
        cr_assert_geq(n, 0, "%s", err.text);
        if (n > 0) {
            cr_assert_eq(n, 7);
            copybin_uuid(&f[0], &u);
            uuid_format(&u, text);
            switch (tuples++) {
            case 0:
                cr_expect_str_eq(text, "0b6e0d7c-3d6e-4e0a-9a6b-1c2d3e4f5a6b");
                cr_expect_eq(copybin_date(&f[1]), 8825);               /* 2024-02-29 */
                cr_expect_eq(copybin_timestamptz(&f[2]), 1500000);
                cr_expect_eq(copybin_int4(&f[3]), 2147483647);
                cr_expect_eq(copybin_int8(&f[4]), INT64_C(-9000000000));
                cr_expect(copybin_bool(&f[5]));
                cr_expect_eq(f[6].len, -1);
                break;
            case 1:
                cr_expect_eq(copybin_date(&f[1]), DAY_POS_INF);
                cr_expect_eq(copybin_timestamptz(&f[2]), TS_NEG_INF);
                cr_expect_eq(copybin_int4(&f[3]), -1);
                cr_expect_not(copybin_bool(&f[5]));
                cr_expect_eq(copybin_int4(&f[6]), 7);
                break;
            case 2:
                cr_expect_str_eq(text, "ffffffff-ffff-ffff-ffff-ffffffffffff");
                cr_expect_eq(copybin_date(&f[1]), DAY_NEG_INF);
                cr_expect_eq(copybin_timestamptz(&f[2]), TS_POS_INF);
                cr_expect_eq(f[5].len, -1);
                break;
            default:
                cr_expect_eq(copybin_date(&f[1]), -1);
                cr_expect_eq(copybin_timestamptz(&f[2]), INT64_C(-960867740000000));
                break;
            }
        }
        PQfreemem(buf);
    }
    cr_expect_eq(len, -1);
    res = PQgetResult(db.conn);
    cr_expect_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    cr_expect_eq(tuples, 4);
    cr_expect(d.trailer_seen);
    fx_db_drop(&db);
}
