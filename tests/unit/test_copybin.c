/*
 * test_copybin.c: the binary COPY decoder (copybin.c) and the five tables'
 * tuple decoders (bulk.c), on hand-built bytes: the header and its
 * extension, tuples, NULLs, every type the engine reads, the trailer, and
 * input cut anywhere.  Expected values are the types' encodings worked out
 * by hand (big-endian, two's complement; dates in days and instants in
 * microseconds since 2000-01-01).  tests/test_extract.c checks the same
 * decoder on what a real server sends.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "bulk.h"
#include "calendar.h"
#include "copybin.h"
#include "model.h"

static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

/* A buffer as PQgetCopyData returns one. */
struct bytes {
    char b[128];
    size_t n;
};

static void
put(struct bytes *x, const void *p, size_t n)
{
    cr_assert_leq(x->n + n, sizeof x->b);
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

static void
put_be32(struct bytes *x, uint32_t v)
{
    unsigned char b[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                          (unsigned char) (v >> 8), (unsigned char) v};

    put(x, b, 4);
}

static void
put_count(struct bytes *x, int16_t n)
{
    unsigned char b[2] = {(unsigned char) ((uint16_t) n >> 8), (unsigned char) n};

    put(x, b, 2);
}

/* A field: its length (-1: NULL, no bytes), then its bytes. */
static void
put_field(struct bytes *x, const void *p, int32_t len)
{
    put_be32(x, (uint32_t) len);
    if (len > 0)
        put(x, p, (size_t) len);
}

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
    {"negative field count", "\377\376", 2, true},
    {"empty buffer", "", 0, true},
    {"half a field count", "\0", 1, true},
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

/* ------------------------------------------------------------ values */

enum kind { INT4, INT8, DATE, TIMESTAMPTZ, BOOL };

struct value_case {
    char what[40];
    enum kind kind;
    char bytes[8];
    int64_t want;
};

#define B4(a, b, c, d) {(char) (a), (char) (b), (char) (c), (char) (d)}
#define B8(a, b, c, d, e, f, g, h) \
    {(char) (a), (char) (b), (char) (c), (char) (d), (char) (e), (char) (f), (char) (g), (char) (h)}

static struct value_case value_cases[] = {
    {"int4 258", INT4, B4(0, 0, 1, 2), 258},
    {"int4 -1", INT4, B4(0xff, 0xff, 0xff, 0xff), -1},
    {"int4 max", INT4, B4(0x7f, 0xff, 0xff, 0xff), INT32_MAX},
    {"int4 min", INT4, B4(0x80, 0, 0, 0), INT32_MIN},
    {"int8 10^10", INT8, B8(0, 0, 0, 0x02, 0x54, 0x0b, 0xe4, 0), INT64_C(10000000000)},
    {"int8 -9*10^9", INT8, B8(0xff, 0xff, 0xff, 0xfd, 0xe7, 0x8e, 0xe6, 0), INT64_C(-9000000000)},
    {"int8 max", INT8, B8(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), INT64_MAX},
    {"date 2000-01-01", DATE, B4(0, 0, 0, 0), 0},
    {"date 2024-02-29", DATE, B4(0, 0, 0x22, 0x79), 8825},
    {"date 1999-12-31", DATE, B4(0xff, 0xff, 0xff, 0xff), -1},
    {"date infinity", DATE, B4(0x7f, 0xff, 0xff, 0xff), DAY_POS_INF},
    {"date -infinity", DATE, B4(0x80, 0, 0, 0), DAY_NEG_INF},
    {"timestamptz 2000-01-01 00:00:01.5", TIMESTAMPTZ, B8(0, 0, 0, 0, 0, 0x16, 0xe3, 0x60), 1500000},
    {"timestamptz one day", TIMESTAMPTZ, B8(0, 0, 0, 0x14, 0x1d, 0xd7, 0x60, 0), USECS_PER_DAY},
    {"timestamptz 1969-07-20 20:17:40", TIMESTAMPTZ,
     B8(0xff, 0xfc, 0x96, 0x18, 0x8b, 0xae, 0x61, 0), INT64_C(-960867740000000)},
    {"timestamptz infinity", TIMESTAMPTZ, B8(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), TS_POS_INF},
    {"timestamptz -infinity", TIMESTAMPTZ, B8(0x80, 0, 0, 0, 0, 0, 0, 0), TS_NEG_INF},
    {"bool true", BOOL, {1}, 1},
    {"bool false", BOOL, {0}, 0},
};

ParameterizedTestParameters(decoder, values)
{
    return cr_make_param_array(struct value_case, value_cases,
                               sizeof value_cases / sizeof value_cases[0]);
}

/* The value alone in a tuple after the header, then read back. */
ParameterizedTest(struct value_case *c, decoder, values)
{
    static const int32_t lens[] = {[INT4] = 4, [INT8] = 8, [DATE] = 4, [TIMESTAMPTZ] = 8, [BOOL] = 1};
    struct bytes x = {.n = 0};
    struct copybin_decoder d = {false, false};
    struct copybin_field f[2];
    struct etl_error err;
    int64_t got = 0;

    put(&x, header, sizeof header);
    put_count(&x, 1);
    put_field(&x, c->bytes, lens[c->kind]);
    cr_assert_eq(copybin_split_tuple(&d, x.b, x.n, f, 2, &err), 1, "%s: %s", c->what, err.text);
    cr_assert(copybin_field_has_len(&f[0], lens[c->kind], false), "%s", c->what);
    switch (c->kind) {
    case INT4: got = copybin_int4(&f[0]); break;
    case INT8: got = copybin_int8(&f[0]); break;
    case DATE: got = copybin_date(&f[0]); break;
    case TIMESTAMPTZ: got = copybin_timestamptz(&f[0]); break;
    case BOOL: got = copybin_bool(&f[0]); break;
    }
    cr_expect_eq(got, c->want, "%s: got %lld", c->what, (long long) got);
}

Test(decoder, uuid_text_null_and_empty)
{
    static const unsigned char id[16] = {0x0b, 0x6e, 0x0d, 0x7c, 0x3d, 0x6e, 0x4e, 0x0a,
                                         0x9a, 0x6b, 0x1c, 0x2d, 0x3e, 0x4f, 0x5a, 0x6b};
    struct bytes x = {.n = 0};
    struct copybin_decoder d = {false, false};
    struct copybin_field f[4];
    struct etl_error err;
    struct uuid u;
    char text[37];

    put(&x, header, sizeof header);
    put_count(&x, 4);
    put_field(&x, id, 16);
    put_field(&x, "abc", 3);        /* text is its bytes, no terminator */
    put_field(&x, NULL, -1);
    put_field(&x, NULL, 0);         /* the empty string: no bytes, not NULL */
    cr_assert_eq(copybin_split_tuple(&d, x.b, x.n, f, 4, &err), 4, "%s", err.text);
    copybin_uuid(&f[0], &u);
    uuid_format(&u, text);
    cr_expect_str_eq(text, "0b6e0d7c-3d6e-4e0a-9a6b-1c2d3e4f5a6b");
    cr_expect_eq(f[1].len, 3);
    cr_expect_eq(memcmp(f[1].p, "abc", 3), 0);
    cr_expect_eq(f[2].len, -1);
    cr_expect_eq(f[3].len, 0);
    cr_expect(copybin_field_has_len(&f[2], 16, true));
    cr_expect_not(copybin_field_has_len(&f[3], 16, true));
}

/* The rest of the stream: later tuples come without the header. */
Test(decoder, header_only_once)
{
    struct bytes x = {.n = 0}, y = {.n = 0};
    struct copybin_decoder d = {false, false};
    struct copybin_field f[2];
    struct etl_error err;

    put(&x, header, sizeof header);
    put_count(&x, 1);
    put_field(&x, "\0\0\0\7", 4);
    put_count(&y, 1);
    put_field(&y, "\0\0\0\10", 4);
    cr_assert_eq(copybin_split_tuple(&d, x.b, x.n, f, 2, &err), 1, "%s", err.text);
    cr_expect_eq(copybin_int4(&f[0]), 7);
    cr_assert_eq(copybin_split_tuple(&d, y.b, y.n, f, 2, &err), 1, "%s", err.text);
    cr_expect_eq(copybin_int4(&f[0]), 8);
    /* the same bytes with a header again are no tuple */
    cr_expect_eq(copybin_split_tuple(&d, x.b, x.n, f, 2, &err), -1);
    cr_expect_not(d.trailer_seen);
}

/* A header extension (its length at bytes 15..18) is skipped whole. */
Test(decoder, header_extension)
{
    struct bytes x = {.n = 0};
    struct copybin_decoder d = {false, false};
    struct copybin_field f[2];
    struct etl_error err;

    put(&x, header, 15);
    put_be32(&x, 5);
    put(&x, "\1\2\3\4\5", 5);
    put_count(&x, 1);
    put_field(&x, "\0\0\0\11", 4);
    cr_assert_eq(copybin_split_tuple(&d, x.b, x.n, f, 2, &err), 1, "%s", err.text);
    cr_expect_eq(copybin_int4(&f[0]), 9);

    /* an extension longer than what follows */
    d.header_done = false;
    x.n = 0;
    put(&x, header, 15);
    put_be32(&x, 100);
    put_count(&x, 0);
    cr_expect_eq(copybin_split_tuple(&d, x.b, x.n, f, 2, &err), -1);
}

/* A first buffer of header + tuple (int4 7, NULL, text "abc"), 40 bytes;
 * cut anywhere, it is refused, never read past its end. */
struct cut_case {
    size_t len;
};

static struct cut_case cut_cases[] = {
    {0}, {1}, {10}, {11}, {18}, {19}, {20}, {21}, {22}, {24}, {25}, {28}, {29}, {32}, {33},
    {36}, {37}, {39},
};

ParameterizedTestParameters(decoder, cut_anywhere)
{
    return cr_make_param_array(struct cut_case, cut_cases, sizeof cut_cases / sizeof cut_cases[0]);
}

ParameterizedTest(struct cut_case *c, decoder, cut_anywhere)
{
    struct bytes x = {.n = 0};
    struct copybin_decoder d = {false, false};
    struct copybin_field f[4];
    struct etl_error err;

    put(&x, header, sizeof header);
    put_count(&x, 3);
    put_field(&x, "\0\0\0\7", 4);
    put_field(&x, NULL, -1);
    put_field(&x, "abc", 3);
    cr_assert_eq(x.n, 40);
    cr_assert_eq(copybin_split_tuple(&d, x.b, x.n, f, 4, &err), 3, "the whole: %s", err.text);
    d.header_done = false;
    cr_expect_eq(copybin_split_tuple(&d, x.b, c->len, f, 4, &err), -1, "cut at %zu", c->len);
}

/* ------------------------------------------------------------ bulk tables */

/* Each table's tuple as the engine selects it, worked out from the schema:
 * the connection's uuid, then the columns bulk.c's SELECT lists. */
static const int32_t layouts[BULK_N_TABLES][8] = {
    [BULK_CONTRIBUTIONS] = {16, 4, 4, 4, 4, 4},       /* date, 4 x int4 */
    [BULK_CHANNEL_STATS] = {16, 4, 8, 8},             /* date, 2 x int8 */
    [BULK_REPOSITORIES] = {16, 8, 8, 4, 4, 4, 4},     /* int8 id, timestamptz, 4 x int4 */
    [BULK_VIDEOS] = {16, 8, 4, 4},                    /* timestamptz, 2 x int4 */
    [BULK_ARTICLES] = {16, 8, 4, 4, 4},               /* timestamptz, 3 x int4 */
};

static int
n_fields(int t)
{
    int n = 0;

    while (n < 8 && layouts[t][n] != 0)
        n++;
    return n;
}

/* Fields of table t over bytes (8 per field): field i is bytes[i]. */
static void
make_fields(int t, unsigned char bytes[8][8], struct copybin_field *f)
{
    for (int i = 0; i < n_fields(t); i++) {
        f[i].p = bytes[i];
        f[i].len = layouts[t][i];
    }
}

static void
set_be(unsigned char *p, int len, int64_t v)
{
    for (int i = 0; i < len; i++)
        p[i] = (unsigned char) ((uint64_t) v >> (8 * (len - 1 - i)));
}

struct table_case {
    int table;
};

static struct table_case table_cases[] = {
    {BULK_CONTRIBUTIONS}, {BULK_CHANNEL_STATS}, {BULK_REPOSITORIES}, {BULK_VIDEOS}, {BULK_ARTICLES},
};

ParameterizedTestParameters(bulk, shape_matches_the_schema)
{
    return cr_make_param_array(struct table_case, table_cases,
                               sizeof table_cases / sizeof table_cases[0]);
}

ParameterizedTest(struct table_case *c, bulk, shape_matches_the_schema)
{
    static const size_t row_sizes[BULK_N_TABLES] = {
        sizeof(struct contribution_row), sizeof(struct channel_stat_row),
        sizeof(struct repository_row), sizeof(struct video_row), sizeof(struct article_row),
    };

    cr_expect_eq(bulk_specs[c->table].nfields, n_fields(c->table), "table %d", c->table);
    cr_expect_leq(bulk_specs[c->table].nfields, BULK_MAX_FIELDS);
    cr_expect_eq(bulk_specs[c->table].row_size, row_sizes[c->table], "table %d", c->table);
}

Test(bulk, contribution_row)
{
    unsigned char b[8][8] = {{0}};
    struct copybin_field f[8];
    struct contribution_row r = {.conn = 3};
    int64_t instant = TS_NEG_INF;

    set_be(b[1], 4, 8825);          /* 2024-02-29 */
    set_be(b[2], 4, 12);
    set_be(b[3], 4, 3);
    set_be(b[4], 4, -1);
    set_be(b[5], 4, 7);
    make_fields(BULK_CONTRIBUTIONS, b, f);
    cr_assert_eq(bulk_specs[BULK_CONTRIBUTIONS].decode(f, &r, &instant), 0);
    cr_expect_eq(r.conn, 3);
    cr_expect_eq(r.day, 8825);
    cr_expect_eq(r.commits, 12);
    cr_expect_eq(r.pull_requests, 3);
    cr_expect_eq(r.issues, -1);
    cr_expect_eq(r.repositories, 7);
    cr_expect_eq(instant, TS_NEG_INF);      /* a date-typed row has no instant */
}

Test(bulk, channel_stat_row)
{
    unsigned char b[8][8] = {{0}};
    struct copybin_field f[8];
    struct channel_stat_row r = {.subscribers = 5, .views = 6};
    int64_t instant = TS_NEG_INF;

    set_be(b[1], 4, -1);            /* 1999-12-31 */
    set_be(b[2], 8, INT64_C(10000000000));
    set_be(b[3], 8, INT64_C(-2));
    make_fields(BULK_CHANNEL_STATS, b, f);
    cr_assert_eq(bulk_specs[BULK_CHANNEL_STATS].decode(f, &r, &instant), 0);
    cr_expect_eq(r.day, -1);
    cr_expect_eq(r.subscribers, INT64_C(10000000000));
    cr_expect_eq(r.views, -2);
}

Test(bulk, repository_row)
{
    unsigned char b[8][8] = {{0}};
    struct copybin_field f[8];
    struct repository_row r = {0};
    int64_t instant = TS_NEG_INF;

    set_be(b[1], 8, INT64_C(123456789012));
    set_be(b[2], 8, 1500000);       /* 2000-01-01 00:00:01.5 */
    set_be(b[3], 4, 1);
    set_be(b[4], 4, 2);
    set_be(b[5], 4, 3);
    set_be(b[6], 4, 4);
    make_fields(BULK_REPOSITORIES, b, f);
    cr_assert_eq(bulk_specs[BULK_REPOSITORIES].decode(f, &r, &instant), 0);
    cr_expect_eq(r.github_repo_id, INT64_C(123456789012));
    cr_expect_eq(r.created_at, 1500000);
    cr_expect_eq(instant, 1500000);
    cr_expect_eq(r.stars, 1);
    cr_expect_eq(r.forks, 2);
    cr_expect_eq(r.watchers, 3);
    cr_expect_eq(r.open_issues, 4);
}

Test(bulk, video_and_article_rows)
{
    unsigned char b[8][8] = {{0}};
    struct copybin_field f[8];
    struct video_row v = {0};
    struct article_row a = {0};
    int64_t instant = TS_NEG_INF;

    set_be(b[1], 8, -USECS_PER_DAY);
    set_be(b[2], 4, 40);
    set_be(b[3], 4, 41);
    set_be(b[4], 4, 42);
    make_fields(BULK_VIDEOS, b, f);
    cr_assert_eq(bulk_specs[BULK_VIDEOS].decode(f, &v, &instant), 0);
    cr_expect_eq(v.published_at, -USECS_PER_DAY);
    cr_expect_eq(instant, -USECS_PER_DAY);
    cr_expect_eq(v.likes, 40);
    cr_expect_eq(v.comments, 41);
    set_be(b[1], 8, TS_POS_INF);
    make_fields(BULK_ARTICLES, b, f);
    cr_assert_eq(bulk_specs[BULK_ARTICLES].decode(f, &a, &instant), 0);
    cr_expect_eq(a.published_at, TS_POS_INF);
    cr_expect_eq(a.views, 40);
    cr_expect_eq(a.reactions, 41);
    cr_expect_eq(a.comments, 42);
}

/* A NULL, or a value of another type's length, in any column is refused. */
struct bad_field_case {
    int table, field;
    int32_t len;
};

static struct bad_field_case bad_field_cases[] = {
    {BULK_CONTRIBUTIONS, 1, -1}, {BULK_CONTRIBUTIONS, 2, 8}, {BULK_CONTRIBUTIONS, 5, -1},
    {BULK_CHANNEL_STATS, 1, 8}, {BULK_CHANNEL_STATS, 2, 4}, {BULK_CHANNEL_STATS, 3, -1},
    {BULK_REPOSITORIES, 1, 4}, {BULK_REPOSITORIES, 2, -1}, {BULK_REPOSITORIES, 6, 2},
    {BULK_VIDEOS, 1, -1}, {BULK_VIDEOS, 3, 8},
    {BULK_ARTICLES, 1, -1}, {BULK_ARTICLES, 2, -1}, {BULK_ARTICLES, 4, 2},
};

ParameterizedTestParameters(bulk, rejects_a_bad_field)
{
    return cr_make_param_array(struct bad_field_case, bad_field_cases,
                               sizeof bad_field_cases / sizeof bad_field_cases[0]);
}

ParameterizedTest(struct bad_field_case *c, bulk, rejects_a_bad_field)
{
    unsigned char b[8][8] = {{0}};
    struct copybin_field f[8];
    union {
        struct contribution_row contribution;
        struct channel_stat_row stat;
        struct repository_row repository;
        struct video_row video;
        struct article_row article;
    } row;
    int64_t instant;

    make_fields(c->table, b, f);
    cr_assert_eq(bulk_specs[c->table].decode(f, &row, &instant), 0, "table %d as is", c->table);
    f[c->field].len = c->len;
    cr_expect_eq(bulk_specs[c->table].decode(f, &row, &instant), -1, "table %d field %d length %d",
                 c->table, c->field, c->len);
}
