/*
 * copybin.c: the binary COPY decoder (PostgreSQL's "binary file format").
 *
 * Entry points: copybin_split_tuple, then the converters copybin_int4 ..
 * copybin_uuid on the fields it returns.
 *
 * Invariant: nothing is read outside the buffer given.  Every length is
 * checked against the bytes left before it is used, and a tuple must end
 * exactly at the end of its buffer; anything else is an error, never a
 * guess.  Fields point into the caller's buffer (no copy).
 */
#include <string.h>

#include "copybin.h"

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
be64(const unsigned char *p)
{
    return (uint64_t) be32(p) << 32 | be32(p + 4);
}

int32_t copybin_int4(const struct copybin_field *f) { return (int32_t) be32(f->p); }
int64_t copybin_int8(const struct copybin_field *f) { return (int64_t) be64(f->p); }
int32_t copybin_date(const struct copybin_field *f) { return (int32_t) be32(f->p); }
int64_t copybin_timestamptz(const struct copybin_field *f) { return (int64_t) be64(f->p); }
bool copybin_bool(const struct copybin_field *f) { return f->p[0] != 0; }

void
copybin_uuid(const struct copybin_field *f, struct uuid *out)
{
    memcpy(out->b, f->p, 16);
}

bool
copybin_field_has_len(const struct copybin_field *f, int32_t len, bool nullable)
{
    return f->len == len || (nullable && f->len == -1);
}

static const unsigned char signature[11] = "PGCOPY\n\377\r\n";

int
copybin_split_tuple(struct copybin_decoder *d, const char *buf, size_t len,
                    struct copybin_field *fields, int max, struct etl_error *err)
{
    const unsigned char *p = (const unsigned char *) buf, *end = p + len;
    int nfields;

    if (!d->header_done) {
        uint32_t ext;

        if (len < 19 || memcmp(p, signature, 11) != 0)
            return etl_fail(err, "COPY data: bad binary header");
        ext = be32(p + 15);
        if (ext > len - 19)
            return etl_fail(err, "COPY data: bad header extension length");
        p += 19 + ext;
        d->header_done = true;
    }
    if (end - p < 2)
        return etl_fail(err, "COPY data: truncated tuple");
    nfields = (int16_t) ((p[0] << 8) | p[1]);
    p += 2;
    if (nfields == -1) {
        d->trailer_seen = true;
        return 0;
    }
    if (nfields < 0 || nfields > max)
        return etl_fail(err, "COPY data: unexpected field count %d", nfields);
    for (int i = 0; i < nfields; i++) {
        int32_t flen;

        if (end - p < 4)
            return etl_fail(err, "COPY data: truncated field header");
        flen = (int32_t) be32(p);
        p += 4;
        if (flen < -1 || (flen > 0 && end - p < flen))
            return etl_fail(err, "COPY data: bad field length %d", flen);
        fields[i].p = p;
        fields[i].len = flen;
        if (flen > 0)
            p += flen;
    }
    if (p != end)
        return etl_fail(err, "COPY data: trailing bytes after tuple");
    return nfields;
}
