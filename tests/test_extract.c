/*
 * test_extract.c: the binary COPY decoder (copybin.c) on what a real server
 * sends for every type the engine reads (NULLs and infinities included).
 * Hand-built bytes are tests/unit/test_copybin.c's.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "calendar.h"
#include "copybin.h"
#include "fixture.h"

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
