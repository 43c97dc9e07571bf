/*
 * pipeline.h: backfill batches loaded on several connections at once and
 * committed in order.
 *
 * Loading a batch is the server's work (COPY, index maintenance) and takes
 * one server core; with several loader connections the server works on
 * several batches at a time while the caller computes the next one.  Each
 * loader writes a batch and its ledger progress in one transaction, and the
 * transactions commit in the order the batches were submitted, so what is
 * committed is always a prefix of the batches: a failure anywhere rolls back
 * every batch after the last one committed, and the ledger's position is
 * exact.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "etl_error.h"
#include "ledger.h"
#include "load.h"
#include "strbuf.h"

/* A batch handed to the pipeline, which owns it from pipeline_submit on. */
struct pipeline_batch {
    struct strbuf *bufs;            /* malloc'd; the rows, one buffer per subject */
    const struct strbuf **views;    /* malloc'd; pointers to bufs, for load_batch */
    size_t n_bufs;
    struct strbuf keys[2];          /* the key arrays of load_batch */
    char dates[2][16];
    struct load_batch batch;        /* points into the above */
    struct ledger_position pos;     /* the position once this batch is committed */
};

/* Called under the pipeline's lock, in submission order, after a commit. */
typedef void pipeline_committed_fn(const struct load_counts *batch_counts,
                                   const struct ledger_position *pos, void *arg);

struct pipeline;

/*
 * Opens n loader connections to dsn, each in a thread of its own, that
 * write batches as mode says.  The ledger row run_id gets each batch's
 * position, with base's counts plus the rows written so far.
 */
struct pipeline *pipeline_start(const char *dsn, int n, int64_t run_id, enum load_mode mode,
                                const struct ledger_counts *base, pipeline_committed_fn *cb,
                                void *cb_arg, struct etl_error *err);

/* Hands b to the next loader, waiting for it to be free.  -1 (err set) when
 * the pipeline has failed; b is freed either way. */
int pipeline_submit(struct pipeline *p, struct pipeline_batch *b, struct etl_error *err);

/* Waits for every batch, stops the loaders and frees p.  -1 (err set) when a
 * batch failed; the batches after the last committed one are rolled back. */
int pipeline_finish(struct pipeline *p, struct etl_error *err);

void pipeline_batch_free(struct pipeline_batch *b);

#endif
