/*
 * copybin.h: PostgreSQL's binary COPY format -> fields -> values.
 *
 * A COPY ... TO STDOUT (FORMAT binary) stream is a header, one buffer per
 * tuple (a field count, then each field's length and bytes, in network
 * order), and a trailer (a field count of -1).  PQgetCopyData hands the
 * header along with the first tuple.  The decoder only splits and converts:
 * which fields a table has, and their types, is extract.c's business.
 */
#ifndef COPYBIN_H
#define COPYBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl_error.h"
#include "uuid.h"

struct copybin_field {
    const unsigned char *p;
    int32_t len;               /* -1 for NULL */
};

struct copybin_decoder {
    bool header_done;
    bool trailer_seen;
};

/*
 * Splits one buffer from PQgetCopyData (one tuple, the first one preceded by
 * the file header, or the trailer) into at most max fields.  Returns the
 * number of fields, 0 for the trailer, -1 for malformed input.
 */
int copybin_split_tuple(struct copybin_decoder *d, const char *buf, size_t len,
                        struct copybin_field *fields, int max, struct etl_error *err);

/* A field's value; the caller has checked its length (copybin_field_has_len). */
int32_t copybin_int4(const struct copybin_field *f);
int64_t copybin_int8(const struct copybin_field *f);
int32_t copybin_date(const struct copybin_field *f);          /* days since 2000-01-01 */
int64_t copybin_timestamptz(const struct copybin_field *f);   /* usecs since 2000-01-01 UTC */
bool copybin_bool(const struct copybin_field *f);
void copybin_uuid(const struct copybin_field *f, struct uuid *out);

/* Whether the field has the byte length of its type (-1 allowed when nullable). */
bool copybin_field_has_len(const struct copybin_field *f, int32_t len, bool nullable);

#endif
