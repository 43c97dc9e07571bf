/*
 * etl_error.h: the error a library function fills instead of printing.
 *
 * Library code never prints and never exits: it returns -1 (or NULL) and
 * leaves one line in a caller-supplied struct etl_error, "what failed: detail".
 * Only the program (src/cli*.c) prints it (compare jansson's json_error_t).
 * When the error came from the server, sqlstate holds its SQLSTATE;
 * connection_lost says the session itself is gone, which is what makes an
 * error worth a retry.
 */
#ifndef ETL_ERROR_H
#define ETL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

struct etl_error {
    char text[1024];
    char sqlstate[6];          /* "" when the error did not come from the server */
    bool connection_lost;
    bool not_connected;        /* a connection could not be made (db_connect) */
};

/* Formats into err->text and clears the rest; err may be NULL.
 * Returns -1 for `return etl_fail(...)`. */
int etl_fail(struct etl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Say where an error happened, or what to do about it, without losing what
 * it was: etl_error_prefix puts the formatted text and ": " before err->text
 * (whose end is cut if the whole does not fit); etl_error_suffix puts it
 * after err->text (cut so that all of the suffix fits).  Both keep sqlstate
 * and the flags, so a retry still sees a lost connection.  Return -1.
 */
int etl_error_prefix(struct etl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int etl_error_suffix(struct etl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * True for the failures a new attempt may get past: the connection was lost
 * (or the server is restarting: SQLSTATE class 08, 57P01-57P03), or the
 * transaction lost a serialization race (40001, 40P01).  Everything else,
 * statement_timeout's 57014 included, fails fast.
 */
bool etl_error_retryable(const struct etl_error *err);

/*
 * True for a read that a hot standby cancelled because it was about to
 * replay changes that the read's snapshot still needed, or that lock what
 * it reads (a recovery conflict: SQLSTATE 40001, "canceling statement due
 * to conflict with recovery", or the same FATAL while the session waited).
 */
bool etl_error_recovery_conflict(const struct etl_error *err);

#endif
