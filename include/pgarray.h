/*
 * pgarray.h: text[] parameters for PQexecParams.
 */
#ifndef PGARRAY_H
#define PGARRAY_H

/* Returns a malloc'd PostgreSQL array literal {"a","b"} of the n strings,
 * quoted and escaped, for use as a text[] parameter; NULL if out of memory. */
char *pgarray_text(char *const *items, int n);

#endif
