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
    return -1;
}

int
etl_error_prefix(struct etl_error *err, const char *fmt, ...)
{
    char was[sizeof err->text];
    size_t len;
    va_list ap;

    if (err == NULL)
        return -1;
    memcpy(was, err->text, sizeof was);
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    len = strlen(err->text);
    snprintf(err->text + len, sizeof err->text - len, ": %s", was);
    return -1;
}

int
etl_error_suffix(struct etl_error *err, const char *fmt, ...)
{
    char suffix[sizeof err->text];
    size_t keep;
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(suffix, sizeof suffix, fmt, ap);
    va_end(ap);
    keep = sizeof err->text - 1 - strlen(suffix);
    if (strlen(err->text) < keep)
        keep = strlen(err->text);
    snprintf(err->text + keep, sizeof err->text - keep, "%s", suffix);
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
