/*
 * strbuf.c: growable buffers.  An allocation failure is sticky (b->failed),
 * so callers check once after a batch of appends instead of after each.
 */
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *b)
{
    memset(b, 0, sizeof *b);
}

void
strbuf_term(struct strbuf *b)
{
    free(b->data);
    strbuf_init(b);
}

static int
reserve(struct strbuf *b, size_t extra)
{
    size_t cap;
    char *data;

    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    data = realloc(b->data, cap);
    if (data == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

void
strbuf_append(struct strbuf *b, const char *s, size_t n)
{
    if (reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_append(b, s, strlen(s));
}

void
strbuf_putc(struct strbuf *b, char c)
{
    strbuf_append(b, &c, 1);
}

char *
strbuf_put_int64(char *p, int64_t v)
{
    char tmp[24], *t = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;

    do {
        *--t = (char) ('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--t = '-';
    memcpy(p, t, (size_t) (tmp + sizeof tmp - t));
    return p + (tmp + sizeof tmp - t);
}

char *
strbuf_put_int128(char *p, __int128 v)
{
    /* 10^19 < 2^64: the digits in groups of 19, least significant first */
    const unsigned __int128 group = 10000000000000000000u;
    unsigned __int128 u = v < 0 ? 0 - (unsigned __int128) v : (unsigned __int128) v;
    char tmp[48], *t = tmp + sizeof tmp;

    if (v >= INT64_MIN && v <= INT64_MAX)
        return strbuf_put_int64(p, (int64_t) v);
    while (u >= group) {
        uint64_t low = (uint64_t) (u % group);

        for (int i = 0; i < 19; i++, low /= 10)
            *--t = (char) ('0' + low % 10);
        u /= group;
    }
    for (uint64_t high = (uint64_t) u; high != 0; high /= 10)
        *--t = (char) ('0' + high % 10);
    if (v < 0)
        *--t = '-';
    memcpy(p, t, (size_t) (tmp + sizeof tmp - t));
    return p + (tmp + sizeof tmp - t);
}

char *
strbuf_room(struct strbuf *b, size_t n)
{
    return reserve(b, n) < 0 ? NULL : b->data + b->len;
}

void
strbuf_advance(struct strbuf *b, char *end)
{
    b->len = (size_t) (end - b->data);
    b->data[b->len] = '\0';
}
