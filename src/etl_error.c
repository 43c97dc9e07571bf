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
