/*
 * agg_prep.h: the source rows put in the shape aggregation reads.
 */
#ifndef AGG_PREP_H
#define AGG_PREP_H

#include "model.h"

/*
 * Sorts each connection's date-typed rows (contributions, channel stats) by
 * day: summing a connection's changes of channel stats up to day e then
 * gives its latest row on or before e, 0 when none (SPEC.md section 4,
 * "latest S before end"; aggregate.c).  Once per set of rows grouped by
 * connection (after extract_bulk's merge, after each extract_load_part).
 */
void agg_prep_rows(struct source *src);

#endif
