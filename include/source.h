/*
 * source.h: the small tables, and the life of a struct source (model.h).
 *
 * The small tables (profiles, workspaces, members, connections, monitors,
 * goals, the server's zone names and clock) are read whole, as text, in the
 * caller's transaction; the bulk tables come later from extract.c.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "etl_error.h"
#include "model.h"

/*
 * Reads the small tables into src (zeroed by the caller) in conn's open
 * transaction, and leaves src->connection_index filled for extract_bulk.
 * On failure src may hold part of them: source_term frees it.
 */
int source_read(PGconn *conn, struct source *src, struct etl_error *err);

/* The earliest finite day of any bulk row, after extract_bulk (a day before
 * the earliest instant's UTC date, which no zone's local date precedes by
 * more): no cell is needed before it. */
int32_t source_min_day(const struct source *src);
/* The latest finite day of any bulk row, the same way (a day after the
 * latest instant's UTC date); DAY_NEG_INF when there is none. */
int32_t source_max_day(const struct source *src);

/* Frees the bulk tables' rows (the small tables stay). */
void source_clear_rows(struct source *src);

void source_term(struct source *src);

#endif
