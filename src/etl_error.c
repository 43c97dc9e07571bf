/*
 * etl_error.c: filling a struct etl_error.  See etl_error.h.
 */
#include <stdio.h>
#include <string.h>

#include "etl_error.h"

int
etl_fail(struct etl_error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    err->sqlstate[0] = '\0';
    err->connection_lost = false;
    err->not_connected = false;
    return -1;
}

/* err->text becomes the formatted text and ": ", then the old text (prefix),
 * or the old text, then the formatted text (suffix); the old text is cut so
 * that the rest fits.  sqlstate and the flags stay. */
static void
rewrap(struct etl_error *err, bool prefix, const char *fmt, va_list ap)
{
    char was[sizeof err->text], added[sizeof err->text], *t = err->text;
    size_t n_was, n_added, sep = prefix ? 2 : 0, room = sizeof err->text - 1;

    memcpy(was, err->text, sizeof was);
    vsnprintf(added, sizeof added, fmt, ap);
    n_added = strlen(added);
    if (n_added > room - sep)
        n_added = room - sep;
    n_was = strlen(was);
    if (n_was > room - sep - n_added)
        n_was = room - sep - n_added;
    if (prefix) {
        memcpy(t, added, n_added);
        memcpy(t + n_added, ": ", sep);
        memcpy(t + n_added + sep, was, n_was);
    } else {
        memcpy(t, was, n_was);
        memcpy(t + n_was, added, n_added);
    }
    t[n_was + sep + n_added] = '\0';
}

int
etl_error_prefix(struct etl_error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    rewrap(err, true, fmt, ap);
    va_end(ap);
    return -1;
}

int
etl_error_suffix(struct etl_error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    rewrap(err, false, fmt, ap);
    va_end(ap);
    return -1;
}

bool
etl_error_retryable(const struct etl_error *err)
{
    static const char *const states[] = {"57P01", "57P02", "57P03", "40001", "40P01"};

    if (err->connection_lost || strncmp(err->sqlstate, "08", 2) == 0)
        return true;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(err->sqlstate, states[i]) == 0)
            return true;
    return false;
}

bool
etl_error_recovery_conflict(const struct etl_error *err)
{
    return strcmp(err->sqlstate, "40001") == 0 || strstr(err->text, "conflict with recovery") != NULL;
}
