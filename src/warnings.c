/*
 * warnings.c: collecting warnings grouped by reason.  See warnings.h.
 */
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

int
warnings_add(struct warnings *w, const char *reason, const char *id)
{
    struct warning *item = find_or_add(w, reason);
    size_t known;
    const char *copy;

    if (item == NULL)
        return -1;
    known = item->seen.n;
    if ((copy = strpool_intern(&item->seen, id)) == NULL)
        return -1;
    if (item->seen.n == known)
        return 0;               /* seen before */
    if (item->n_ids == item->cap) {
        size_t cap = item->cap ? item->cap * 2 : 8;
        const char **ids = realloc(item->ids, cap * sizeof *ids);

        if (ids == NULL)
            return -1;
        item->ids = ids;
        item->cap = cap;
    }
    item->ids[item->n_ids++] = copy;
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
        free(w->items[i].ids);
        strpool_term(&w->items[i].seen);
        free(w->items[i].reason);
    }
    free(w->items);
    memset(w, 0, sizeof *w);
}
