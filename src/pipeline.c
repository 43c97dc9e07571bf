/*
 * pipeline.c: loader threads with one connection each, commits in order.
 * See pipeline.h.
 *
 * Entry points: pipeline_start, pipeline_submit, pipeline_finish.
 *
 * Invariants (all under p->lock):
 * - batch number k goes to loader k % n, which holds at most one batch;
 * - a loader commits batch k only when next_commit == k, and next_commit
 *   moves on only after that commit, so commits follow submission order;
 * - once failed is set, no loader commits again: each rolls back what it
 *   holds, and submit refuses new batches.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pipeline.h"

struct loader {
    struct pipeline *p;
    pthread_t thread;
    PGconn *conn;
    struct pipeline_batch *job;     /* NULL when idle */
    long seq;                       /* the job's batch number */
    bool direct_copy;               /* load_prepare's answer for this session */
    bool started;
};

struct pipeline {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct loader *loaders;
    int n;
    long submitted, next_commit;
    bool failed, stopping;
    struct etl_error err;
    int64_t run_id;
    enum load_mode mode;
    struct ledger_counts base;
    struct load_counts total;       /* of the committed batches */
    pipeline_committed_fn *cb;
    void *cb_arg;
};

void
pipeline_batch_free(struct pipeline_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; b->bufs != NULL && i < b->n_bufs; i++)
        strbuf_term(&b->bufs[i]);
    free(b->bufs);
    free(b->views);
    strbuf_term(&b->keys[0]);
    strbuf_term(&b->keys[1]);
    free(b);
}

/* Records the first failure; later ones are its consequences. */
static void
fail_locked(struct pipeline *p, const struct etl_error *err)
{
    if (!p->failed) {
        p->failed = true;
        p->err = *err;
    }
    pthread_cond_broadcast(&p->changed);
}

/* Waits for this batch's turn; false when the pipeline failed meanwhile. */
static bool
wait_turn(struct pipeline *p, long seq, struct ledger_counts *counts)
{
    bool go;

    pthread_mutex_lock(&p->lock);
    while (p->next_commit != seq && !p->failed)
        pthread_cond_wait(&p->changed, &p->lock);
    go = !p->failed;
    *counts = p->base;
    counts->rows_written += (int64_t) (p->total.inserted + p->total.replaced);
    pthread_mutex_unlock(&p->lock);
    return go;
}

/* One batch: load, wait for its turn, record its position, commit. */
static void
load_one(struct loader *l, struct pipeline_batch *b, long seq)
{
    struct pipeline *p = l->p;
    struct load_counts counts;
    struct ledger_counts ledger;
    struct etl_error err;
    bool in_txn = false;

    memset(&counts, 0, sizeof counts);
    if (db_exec(l->conn, "starting a batch", "BEGIN", &err) < 0)
        goto out_fail;
    in_txn = true;
    b->batch.direct_copy = l->direct_copy;
    if (load_snapshots(l->conn, &b->batch, p->mode, false, &counts, &err) < 0)
        goto out_fail;
    if (!wait_turn(p, seq, &ledger))
        goto out_rollback;      /* another batch failed first */
    ledger.rows_written += (int64_t) (counts.inserted + counts.replaced);
    if (ledger_progress(l->conn, p->run_id, &b->pos, &ledger, &err) < 0 ||
        db_exec(l->conn, "committing a batch", "COMMIT", &err) < 0)
        goto out_fail;
    pthread_mutex_lock(&p->lock);
    load_counts_add(&p->total, &counts);
    p->next_commit++;
    if (p->cb != NULL)
        p->cb(&counts, &b->pos, p->cb_arg);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return;

out_fail:
    pthread_mutex_lock(&p->lock);
    fail_locked(p, &err);
    pthread_mutex_unlock(&p->lock);
out_rollback:
    if (in_txn && PQstatus(l->conn) == CONNECTION_OK)
        db_rollback_quietly(l->conn);
}

static void *
loader_main(void *arg)
{
    struct loader *l = arg;
    struct pipeline *p = l->p;

    for (;;) {
        struct pipeline_batch *b;
        long seq;
        bool skip;

        pthread_mutex_lock(&p->lock);
        while (l->job == NULL && !p->stopping)
            pthread_cond_wait(&p->changed, &p->lock);
        if (l->job == NULL) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        b = l->job;
        seq = l->seq;
        skip = p->failed;
        pthread_mutex_unlock(&p->lock);
        if (!skip)
            load_one(l, b, seq);
        pipeline_batch_free(b);
        pthread_mutex_lock(&p->lock);
        l->job = NULL;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
}

static void
pipeline_free(struct pipeline *p)
{
    for (int i = 0; i < p->n; i++)
        db_close(p->loaders[i].conn);
    free(p->loaders);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Stops and joins the loaders that were started. */
static void
stop_loaders(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        if (p->loaders[i].started)
            pthread_join(p->loaders[i].thread, NULL);
}

struct pipeline *
pipeline_start(const char *dsn, int n, int64_t run_id, enum load_mode mode,
               const struct ledger_counts *base, pipeline_committed_fn *cb, void *cb_arg,
               struct etl_error *err)
{
    struct pipeline *p = calloc(1, sizeof *p);

    if (p == NULL || (p->loaders = calloc((size_t) n, sizeof *p->loaders)) == NULL) {
        free(p);
        etl_fail(err, "starting the loaders: out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->n = n;
    p->run_id = run_id;
    p->mode = mode;
    p->base = *base;
    p->cb = cb;
    p->cb_arg = cb_arg;
    for (int i = 0; i < n; i++) {
        struct loader *l = &p->loaders[i];

        l->p = p;
        /* The staging tables live as long as the session: made once here. */
        if ((l->conn = db_connect(dsn, err)) == NULL ||
            load_prepare(l->conn, &l->direct_copy, err) < 0)
            goto out_fail;
        if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
            etl_fail(err, "starting the loaders: cannot create a thread");
            goto out_fail;
        }
        l->started = true;
    }
    return p;

out_fail:
    stop_loaders(p);
    pipeline_free(p);
    return NULL;
}

int
pipeline_submit(struct pipeline *p, struct pipeline_batch *b, struct etl_error *err)
{
    struct loader *l;

    pthread_mutex_lock(&p->lock);
    l = &p->loaders[p->submitted % p->n];
    while (l->job != NULL && !p->failed)
        pthread_cond_wait(&p->changed, &p->lock);
    if (p->failed) {
        *err = p->err;
        pthread_mutex_unlock(&p->lock);
        pipeline_batch_free(b);
        return -1;
    }
    l->job = b;
    l->seq = p->submitted++;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int
pipeline_finish(struct pipeline *p, struct etl_error *err)
{
    int rc;

    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n; i++)
        while (p->loaders[i].job != NULL)
            pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    stop_loaders(p);
    rc = p->failed ? -1 : 0;
    if (p->failed)
        *err = p->err;
    pipeline_free(p);
    return rc;
}
