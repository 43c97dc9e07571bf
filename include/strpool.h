/*
 * strpool.h: interned strings that live as long as their pool.
 *
 * The small tables repeat a few strings on every row (platforms, monitor
 * types, units, zones).  The pool keeps each distinct string once, packed in
 * large blocks, so a string costs its bytes, not a malloc.
 */
#ifndef STRPOOL_H
#define STRPOOL_H

#include <stddef.h>

struct strpool_block;

struct strpool {
    const char **slots;             /* open addressing; NULL = empty */
    size_t cap, n;                  /* cap: 0 or a power of two */
    struct strpool_block *blocks;   /* newest first */
};

/* An all-zero pool is an empty one, as strpool_init leaves it. */
void strpool_init(struct strpool *p);
void strpool_term(struct strpool *p);

/* The pool's copy of s: equal strings give the same pointer.  NULL when
 * out of memory. */
const char *strpool_intern(struct strpool *p, const char *s);

#endif
