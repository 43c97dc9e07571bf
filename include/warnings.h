/*
 * warnings.h: the run's warnings, each reason once with the ids it concerns.
 */
#ifndef WARNINGS_H
#define WARNINGS_H

#include <stddef.h>

struct warning {
    char *reason;
    char **ids;                /* in the order they were added */
    size_t n_ids, cap;
    size_t *slots;             /* hash set of ids: index + 1, 0 when free */
    size_t n_slots;            /* a power of two, at least twice n_ids */
};

struct warnings {
    struct warning *items;
    size_t n, cap;
};

/* Adds id under reason (both copied); a repeated (reason, id) is kept once. */
int warnings_add(struct warnings *w, const char *reason, const char *id);
size_t warnings_count(const struct warnings *w);
void warnings_term(struct warnings *w);

#endif
