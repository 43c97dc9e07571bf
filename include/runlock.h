/*
 * runlock.h: one run at a time per database (per shard when sharded), with
 * session advisory locks; and the session of a lost attempt that may still
 * hold them.
 *
 * The keys, named here once (the engine, `status` and the tests use these
 * names; migrate's own lock is MIGRATE_LOCK_KEY, a single bigint, in
 * migrate.h):
 *   (RUNLOCK_CLASS, RUNLOCK_KEY) = (7236, 1)  the run lock: exclusive for an
 *        unsharded run, shared for a shard;
 *   (RUNLOCK_SHARD_CLASS, RUNLOCK_SHARD_KEY(K, N)) = (7237, N << 16 | K)
 *        exclusive: shard K of N;
 *   (RUNLOCK_COUNT_CLASS, N) = (7238, N)  shared: shards of N run.
 * So shards of one N run side by side, but never beside an unsharded run,
 * a second copy of themselves, or shards of another N (whose subjects would
 * overlap theirs).
 */
#ifndef RUNLOCK_H
#define RUNLOCK_H

#include <libpq-fe.h>

#include "etl_error.h"

#define RUNLOCK_CLASS 7236
#define RUNLOCK_KEY 1
#define RUNLOCK_SHARD_CLASS 7237
#define RUNLOCK_SHARD_KEY(k, n) ((n) << 16 | (k))
#define RUNLOCK_COUNT_CLASS 7238

/* A key as SQL text: RUNLOCK_SQL(RUNLOCK_CLASS) is "7236"; RUNLOCK_RUN_ARGS
 * is the run lock's two keys, "7236, 1", for pg_advisory_lock(...). */
#define RUNLOCK_SQL_(x) #x
#define RUNLOCK_SQL(x) RUNLOCK_SQL_(x)
#define RUNLOCK_RUN_ARGS RUNLOCK_SQL(RUNLOCK_CLASS) ", " RUNLOCK_SQL(RUNLOCK_KEY)

/* "pid backend_start" of a session: its pid and start name one backend for
 * good (a pid alone may be reused). */
#define RUNLOCK_SESSION_LEN 64

/* One try at the locks of shard k of n (n <= 1: unsharded): 1 held, 0 busy
 * (err says which lock), -1 error.  Holds nothing unless it returns 1. */
int runlock_try(PGconn *conn, int k, int n, struct etl_error *err);

/* Lets go of every advisory lock of conn's session, if it is still there. */
void runlock_release(PGconn *conn);

/* The name of conn's session, into session (RUNLOCK_SESSION_LEN bytes). */
int runlock_session(PGconn *conn, char *session, struct etl_error *err);

/*
 * A retry after the network failed: the server may not have noticed yet that
 * the previous attempt's session (named by session; "" for none) is gone,
 * and that session still holds the locks.  Ends it (it is this run's own)
 * and waits until it has let go; then session is "".
 */
int runlock_end_lost_session(PGconn *conn, char *session, struct etl_error *err);

#endif
