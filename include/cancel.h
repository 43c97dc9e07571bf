/*
 * cancel.h: stopping a run cleanly on SIGINT or SIGTERM.
 *
 * cancel_init blocks both signals in the calling thread (so in every thread
 * started after it: call it first thing in main) and starts one thread that
 * waits for them with sigwait.  When one arrives, that thread records it and
 * sends a cancel request to every watched connection, so that a statement in
 * flight ends at once with an error; the run then sees cancel_requested() and
 * rolls back.  Nothing runs in signal-handler context, so the registry can use
 * a plain mutex.  A second signal ends the process at once (exit 128 + signal).
 * Without cancel_init (tests, benchmarks) nothing is watched and
 * cancel_requested() stays 0.
 */
#ifndef CANCEL_H
#define CANCEL_H

#include <libpq-fe.h>

#include "etl_error.h"

int cancel_init(void);

/* The signal number that asked the run to stop, or 0. */
int cancel_requested(void);

/* 0 when no stop was asked; else -1 with err "cancelled by SIGTERM" (or SIGINT). */
int cancel_check(struct etl_error *err);

/* Watches conn until cancel_unwatch(conn); both are no-ops before cancel_init. */
void cancel_watch(PGconn *conn);
void cancel_unwatch(PGconn *conn);

/* Sleeps up to ms milliseconds, less when a stop is requested meanwhile. */
void cancel_sleep_ms(long ms);

#endif
