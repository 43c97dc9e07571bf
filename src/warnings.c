/*
 * warnings.c: collecting warnings grouped by reason.  See warnings.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warnings.h"

static struct warning *
find_or_add(struct warnings *w, const char *reason)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->items[i].reason, reason) == 0)
            return &w->items[i];
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct warning *items = realloc(w->items, cap * sizeof *items);

        if (items == NULL)
            return NULL;
        w->items = items;
        w->cap = cap;
    }
    memset(&w->items[w->n], 0, sizeof w->items[w->n]);
    if ((w->items[w->n].reason = strdup(reason)) == NULL)
        return NULL;
    return &w->items[w->n++];
}

static size_t
hash_id(const char *id)
{
    uint64_t h = UINT64_C(14695981039346656037);    /* FNV-1a */

    for (; *id; id++) {
        h ^= (unsigned char) *id;
        h *= UINT64_C(1099511628211);
    }
    return (size_t) h;
}

/* The slot that holds id, or the free slot where it would go. */
static size_t *
find_slot(const struct warning *item, const char *id)
{
    size_t mask = item->n_slots - 1, i = hash_id(id) & mask;

    while (item->slots[i] != 0 && strcmp(item->ids[item->slots[i] - 1], id) != 0)
        i = (i + 1) & mask;
    return &item->slots[i];
}

/* Keeps the hash set at most half full; -1 when out of memory. */
static int
reserve_slots(struct warning *item)
{
    size_t n = item->n_slots ? item->n_slots : 16, *old = item->slots, old_n = item->n_slots;

    if (2 * (item->n_ids + 1) <= item->n_slots)
        return 0;
    while (2 * (item->n_ids + 1) > n)
        n *= 2;
    if ((item->slots = calloc(n, sizeof *item->slots)) == NULL) {
        item->slots = old;
        return -1;
    }
    item->n_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i] != 0)
            *find_slot(item, item->ids[old[i] - 1]) = old[i];
    free(old);
    return 0;
}

int
warnings_add(struct warnings *w, const char *reason, const char *id)
{
    struct warning *item = find_or_add(w, reason);
    size_t *slot;

    if (item == NULL || reserve_slots(item) < 0)
        return -1;
    if (*(slot = find_slot(item, id)) != 0)
        return 0;
    if (item->n_ids == item->cap) {
        size_t cap = item->cap ? item->cap * 2 : 8;
        char **ids = realloc(item->ids, cap * sizeof *ids);

        if (ids == NULL)
            return -1;
        item->ids = ids;
        item->cap = cap;
    }
    if ((item->ids[item->n_ids] = strdup(id)) == NULL)
        return -1;
    *slot = ++item->n_ids;
    return 0;
}

size_t
warnings_count(const struct warnings *w)
{
    size_t n = 0;

    for (size_t i = 0; i < w->n; i++)
        n += w->items[i].n_ids;
    return n;
}

void
warnings_term(struct warnings *w)
{
    for (size_t i = 0; i < w->n; i++) {
        for (size_t k = 0; k < w->items[i].n_ids; k++)
            free(w->items[i].ids[k]);
        free(w->items[i].ids);
        free(w->items[i].slots);
        free(w->items[i].reason);
    }
    free(w->items);
    memset(w, 0, sizeof *w);
}
