/*
 * pgarray.c: building text[] array literals for parameters.  See pgarray.h.
 */
#include <stdlib.h>
#include <string.h>

#include "pgarray.h"

char *
pgarray_text(char *const *items, int n)
{
    size_t len = 3;
    char *out, *p;

    for (int i = 0; i < n; i++)
        len += 2 * strlen(items[i]) + 3;
    out = p = malloc(len);
    if (out == NULL)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = items[i]; *s != '\0'; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}
