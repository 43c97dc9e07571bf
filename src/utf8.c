/*
 * utf8.c: well-formed UTF-8 (RFC 3629), and text escaped into it.
 *
 * Entry points: utf8_valid, utf8_escape.  A byte that does not start a
 * well-formed sequence becomes "\xNN" and the scan goes on at the next byte,
 * so a Latin-1 name such as "caf\xE9" keeps every character it had.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The length of the well-formed sequence at p (1 to 4), or 0. */
static size_t
sequence_length(const unsigned char *p)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;     /* the second byte's range */
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;          /* overlong */
        else if (c == 0xED)
            hi = 0x9F;          /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;          /* overlong */
        else if (c == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

bool
utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t n;

    while (*p != '\0') {
        if ((n = sequence_length(p)) == 0)
            return false;
        p += n;
    }
    return true;
}

char *
utf8_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *) s;
    char *out = malloc(strlen(s) * 4 + 1), *o = out;
    size_t n;

    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        if ((n = sequence_length(p)) > 0) {
            memcpy(o, p, n);
            o += n;
            p += n;
            continue;
        }
        *o++ = '\\';
        *o++ = 'x';
        *o++ = hex[*p >> 4];
        *o++ = hex[*p & 0xF];
        p++;
    }
    *o = '\0';
    return out;
}
