/*
 * warnings.h: the run's warnings, each reason once with the ids it concerns.
 */
#ifndef WARNINGS_H
#define WARNINGS_H

#include <stddef.h>

#include "strpool.h"

struct warning {
    char *reason;
    const char **ids;          /* in the order they were added, into `seen` */
    size_t n_ids, cap;
    struct strpool seen;       /* the ids, each once */
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
