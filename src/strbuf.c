/*
 * strbuf.c: growable buffers.  An allocation failure is sticky (b->failed),
 * so callers check once after a batch of appends instead of after each.
 */
#include <stdbool.h>
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

/* The digits of u, after a '-' when negative: one writer for both widths.
 * Below 2^64 (every int64), 64-bit division alone; above, groups of 19
 * digits come off in 128 bits first (10^19 < 2^64). */
static inline char *
put_magnitude(char *p, unsigned __int128 u, bool negative)
{
    const unsigned __int128 group = 10000000000000000000u;
    char tmp[48], *t = tmp + sizeof tmp;
    uint64_t low;

    while (u > UINT64_MAX) {
        low = (uint64_t) (u % group);
        for (int i = 0; i < 19; i++, low /= 10)
            *--t = (char) ('0' + low % 10);
        u /= group;
    }
    low = (uint64_t) u;
    do {
        *--t = (char) ('0' + low % 10);
        low /= 10;
    } while (low != 0);
    if (negative)
        *--t = '-';
    memcpy(p, t, (size_t) (tmp + sizeof tmp - t));
    return p + (tmp + sizeof tmp - t);
}

char *
strbuf_put_int64(char *p, int64_t v)
{
    return put_magnitude(p, v < 0 ? 0 - (uint64_t) v : (uint64_t) v, v < 0);
}

char *
strbuf_put_int128(char *p, __int128 v)
{
    return put_magnitude(p, v < 0 ? 0 - (unsigned __int128) v : (unsigned __int128) v, v < 0);
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
