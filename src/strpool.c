/*
 * strpool.c: a hash set of strings stored in blocks.
 *
 * Entry points: strpool_init, strpool_intern, strpool_term.
 *
 * Invariant: the table is at most half full, so a probe always ends at an
 * empty slot.  Strings never move once stored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

#define BLOCK_BYTES ((size_t) 64 << 10)

struct strpool_block {
    struct strpool_block *next;
    size_t used, cap;
    char data[];
};

void
strpool_init(struct strpool *p)
{
    memset(p, 0, sizeof *p);
}

void
strpool_term(struct strpool *p)
{
    while (p->blocks != NULL) {
        struct strpool_block *next = p->blocks->next;

        free(p->blocks);
        p->blocks = next;
    }
    free(p->slots);
    strpool_init(p);
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_string(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
    return h;
}

static size_t
find_slot(const char **slots, size_t cap, const char *s)
{
    size_t mask = cap - 1, i = (size_t) hash_string(s) & mask;

    while (slots[i] != NULL && strcmp(slots[i], s) != 0)
        i = (i + 1) & mask;
    return i;
}

static int
grow_table(struct strpool *p)
{
    size_t cap = p->cap ? p->cap * 2 : 64;
    const char **slots = calloc(cap, sizeof *slots);

    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < p->cap; i++)
        if (p->slots[i] != NULL)
            slots[find_slot(slots, cap, p->slots[i])] = p->slots[i];
    free(p->slots);
    p->slots = slots;
    p->cap = cap;
    return 0;
}

/* Room for n bytes in the newest block, or in a new one.  A string longer
 * than a block gets a block of its own, linked behind the newest one, whose
 * room stays in use. */
static char *
store(struct strpool *p, size_t n)
{
    struct strpool_block *b = p->blocks;

    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;

        if ((b = malloc(sizeof *b + cap)) == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        if (n > BLOCK_BYTES && p->blocks != NULL) {
            b->next = p->blocks->next;
            p->blocks->next = b;
        } else {
            b->next = p->blocks;
            p->blocks = b;
        }
    }
    b->used += n;
    return b->data + b->used - n;
}

const char *
strpool_intern(struct strpool *p, const char *s)
{
    size_t i, len;
    char *copy;

    if (p->cap > 0) {
        i = find_slot(p->slots, p->cap, s);
        if (p->slots[i] != NULL)
            return p->slots[i];
    }
    /* Only a new string may need a larger table. */
    if ((p->n + 1) * 2 > p->cap && grow_table(p) < 0)
        return NULL;
    i = find_slot(p->slots, p->cap, s);
    len = strlen(s) + 1;
    if ((copy = store(p, len)) == NULL)
        return NULL;
    memcpy(copy, s, len);
    p->slots[i] = copy;
    p->n++;
    return copy;
}
