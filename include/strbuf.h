/*
 * strbuf.h: a growable byte buffer for COPY data and reports.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>
#include <stdint.h>

struct strbuf {
    char *data;
    size_t len, cap;
    int failed;         /* set once an allocation failed; appends then no-op */
};

void strbuf_init(struct strbuf *b);
void strbuf_term(struct strbuf *b);
void strbuf_append(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);

/* For writers that fill the buffer themselves: strbuf_room makes room for n
 * more bytes and returns where they go (NULL once an allocation failed);
 * strbuf_advance then takes the bytes up to end, which is at most n on. */
char *strbuf_room(struct strbuf *b, size_t n);
void strbuf_advance(struct strbuf *b, char *end);

/* Writes v's decimal digits at p (at most STRBUF_INT64_MAX bytes, no NUL)
 * and returns their end. */
#define STRBUF_INT64_MAX 20
char *strbuf_put_int64(char *p, int64_t v);

/* The same for a 128-bit integer (at most STRBUF_INT128_MAX bytes). */
#define STRBUF_INT128_MAX 40
char *strbuf_put_int128(char *p, __int128 v);

#endif
