/*
 * bulk.h: the five platform tables (the bulk tables) as the engine reads
 * them: the columns each COPY selects, and how one of its tuples becomes a
 * typed row of model.h.
 */
#ifndef BULK_H
#define BULK_H

#include <stddef.h>
#include <stdint.h>

#include "copybin.h"

/* The bulk tables, in the order of struct extract_stats and bulk_table_names;
 * loops over them run to BULK_N_TABLES. */
enum bulk_table {
    BULK_CONTRIBUTIONS, BULK_CHANNEL_STATS, BULK_REPOSITORIES, BULK_VIDEOS, BULK_ARTICLES,
    BULK_N_TABLES
};

/* Their names, named once: the COPYs, the size estimate, the reports. */
extern const char *const bulk_table_names[BULK_N_TABLES];

/* The most fields a bulk table's tuple has. */
#define BULK_MAX_FIELDS 8

struct bulk_spec {
    const char *columns;         /* the SELECT list; the connection id first */
    const char *where;           /* extra condition or NULL */
    int nfields;
    size_t row_size;
    /*
     * Decodes fields 1 .. nfields - 1 into row (its connection, field 0, is
     * set by the caller); *instant gets the row's instant, if it has one.
     * -1 when a field has not its type's length (or is NULL).
     */
    int (*decode)(const struct copybin_field *f, void *row, int64_t *instant);
};

extern const struct bulk_spec bulk_specs[BULK_N_TABLES];

#endif
