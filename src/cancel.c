/*
 * cancel.c: SIGINT and SIGTERM become a cancel request.  See cancel.h.
 *
 * Invariant: a PGcancel in the registry belongs to a connection that is still
 * open; cancel_unwatch removes it (under the mutex, after the signal thread
 * has finished with it) before the caller closes the connection, so the
 * signal thread never cancels through a dead object.  A second signal ends
 * the process at once, for a run stuck where a cancel cannot reach.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"

#define MAX_WATCHED 130     /* the main connection and up to 64 workers, twice over */

struct watched {
    PGconn *conn;
    PGcancel *cancel;
    bool sending;               /* the signal thread is using cancel */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_idle = PTHREAD_COND_INITIALIZER;
static struct watched registry[MAX_WATCHED];
static bool initialised;
static atomic_int requested;

/*
 * Sends a cancel request on every watched connection.  PQcancel connects to
 * the server and may block, so it runs outside the lock; an entry being used
 * is marked, and cancel_unwatch waits for it.
 */
static void
cancel_all(void)
{
    PGcancel *todo[MAX_WATCHED];
    int n = 0;
    char errbuf[256];

    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < MAX_WATCHED; i++)
        if (registry[i].cancel != NULL) {
            registry[i].sending = true;
            todo[n++] = registry[i].cancel;
        }
    pthread_mutex_unlock(&registry_lock);
    for (int i = 0; i < n; i++)
        (void) PQcancel(todo[i], errbuf, sizeof errbuf);
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < MAX_WATCHED; i++)
        registry[i].sending = false;
    pthread_cond_broadcast(&registry_idle);
    pthread_mutex_unlock(&registry_lock);
}

static void *
signal_thread(void *arg)
{
    const sigset_t *set = arg;

    for (;;) {
        int sig, expected = 0;

        if (sigwait(set, &sig) != 0)
            continue;
        /* A second signal while the first is being handled: stop now (the
         * server rolls back whatever the session had not committed). */
        if (!atomic_compare_exchange_strong(&requested, &expected, sig))
            _exit(128 + sig);
        cancel_all();
    }
    return NULL;
}

int
cancel_init(void)
{
    static sigset_t set;
    pthread_t thread;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    if (pthread_create(&thread, NULL, signal_thread, &set) != 0)
        return -1;
    pthread_detach(thread);
    initialised = true;
    return 0;
}

int
cancel_requested(void)
{
    return atomic_load(&requested);
}

int
cancel_check(struct etl_error *err)
{
    int sig = cancel_requested();

    if (sig == 0)
        return 0;
    return etl_fail(err, "cancelled by %s",
                    sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal");
}

void
cancel_watch(PGconn *conn)
{
    PGcancel *c;

    if (!initialised || conn == NULL || (c = PQgetCancel(conn)) == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < MAX_WATCHED; i++)
        if (registry[i].cancel == NULL) {
            registry[i].conn = conn;
            registry[i].cancel = c;
            c = NULL;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    PQfreeCancel(c);        /* NULL unless the registry was full */
}

void
cancel_unwatch(PGconn *conn)
{
    if (!initialised || conn == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < MAX_WATCHED; i++)
        if (registry[i].conn == conn) {
            while (registry[i].sending)
                pthread_cond_wait(&registry_idle, &registry_lock);
            PQfreeCancel(registry[i].cancel);
            registry[i].conn = NULL;
            registry[i].cancel = NULL;
        }
    pthread_mutex_unlock(&registry_lock);
}

void
cancel_sleep_ms(long ms)
{
    while (ms > 0 && cancel_requested() == 0) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {0, step * 1000000L};

        nanosleep(&ts, NULL);
        ms -= step;
    }
}
