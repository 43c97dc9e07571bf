/*
 * etl_error.h: the error a library function fills instead of printing.
 *
 * Library code never prints and never exits: it returns -1 (or NULL) and
 * leaves one line in a caller-supplied struct etl_error, "what failed: detail".
 * Only src/cli.c prints it (compare jansson's json_error_t).
 */
#ifndef ETL_ERROR_H
#define ETL_ERROR_H

#include <stdarg.h>

struct etl_error {
    char text[1024];
};

/* Formats into err->text; err may be NULL.  Returns -1 for `return etl_fail(...)`. */
int etl_fail(struct etl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
