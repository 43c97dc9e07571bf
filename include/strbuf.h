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
void strbuf_int64(struct strbuf *b, int64_t v);

#endif
