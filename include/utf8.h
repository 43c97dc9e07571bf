/*
 * utf8.h: text from outside (server messages, names, paths) made valid UTF-8
 * for JSON lines and the ledger, without dropping a byte of it.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s);

/* A malloc'd copy of s in which every byte that is not part of a well-formed
 * sequence is written as the four characters \xNN (upper-case hex); valid
 * text comes back unchanged.  NULL only when out of memory. */
char *utf8_escape(const char *s);

#endif
