/*
 * jobfile.h: job files (jobs/NAME.json): a command and its options, in JSON.
 *
 *   { "command": "backfill", "from": "2025-01-01", "to": "2025-12-31",
 *     "resume": true, "description": "..." }
 *
 * jobfile_read checks the syntax (jansson) and that the file is one object
 * whose keys are unique, and gives every key its line and column, so that the
 * caller, which knows the options, can say where a bad key or value stands.
 */
#ifndef JOBFILE_H
#define JOBFILE_H

#include <jansson.h>
#include <stddef.h>

#include "etl_error.h"

struct jobfile_entry {
    const char *key;            /* borrowed from the jansson object */
    json_t *value;              /* borrowed */
    int line, column;           /* of the key's opening quote, 1-based */
};

struct jobfile {
    char *path;
    json_t *root;
    struct jobfile_entry *entries;  /* in file order */
    size_t n;
};

/* The largest job file read (a few hundred bytes is a large one). */
#define JOBFILE_MAX_BYTES (1 << 20)

/* 0, or -1 with err "PATH:LINE:COLUMN: what is wrong" (no database touched);
 * also when the file is larger than JOBFILE_MAX_BYTES or a signal asks the
 * run to stop while it is read (then cancel_requested() says which). */
int jobfile_read(const char *path, struct jobfile *jf, struct etl_error *err);
void jobfile_term(struct jobfile *jf);

/* The entry for key, or NULL. */
const struct jobfile_entry *jobfile_find(const struct jobfile *jf, const char *key);

#endif
