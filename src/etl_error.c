/*
 * etl_error.c: filling a struct etl_error.  See etl_error.h.
 */
#include <stdio.h>

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
    return -1;
}
