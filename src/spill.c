/*
 * spill.c: the spill router and its files.
 *
 * Entry points: spill_max_parts, spill_router_init / spill_router_term,
 * spill_write (from the extracting threads), spill_scan and spill_drop
 * (reading a partition back).
 *
 * Invariants:
 * - A file is a sequence of blocks: a header (table, row size, row count),
 *   then that many rows.  A block is written under one lock, so blocks of
 *   two threads never interleave, and a full disk is seen at the flush.
 * - Files are unlinked as soon as they are made: whatever ends the process,
 *   nothing is left in $TMPDIR.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "spill.h"

/* Rows of a spill file are read back in pieces of this size. */
#define SPILL_PIECE_BYTES ((size_t) 1 << 20)

struct spill_header {
    int32_t table;
    uint32_t row_size;
    uint64_t n;
};

/* One spill file is open per partition: stay well inside the open-file limit. */
int
spill_max_parts(void)
{
    struct rlimit lim;
    rlim_t n = 4096;

    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur / 2 < n)
        n = lim.rlim_cur / 2;
    return n > 1 ? (int) n : 1;
}

static const char *
spill_dir(void)
{
    const char *dir = getenv("TMPDIR");

    return dir != NULL && dir[0] ? dir : "/tmp";
}

static FILE *
spill_file(void)
{
    char path[4096];
    int fd;
    FILE *f;

    snprintf(path, sizeof path, "%s/devpulse-etl-XXXXXX", spill_dir());
    if ((fd = mkstemp(path)) < 0)
        return NULL;
    unlink(path);       /* gone with the process, whatever happens */
    if ((f = fdopen(fd, "w+b")) == NULL)
        close(fd);
    return f;
}

int
spill_router_init(struct spill_router *r, int n_parts, int32_t n_conns,
                  const int32_t *pair_conn, const int32_t *pair_part, size_t n_pairs,
                  struct etl_error *err)
{
    memset(r, 0, sizeof *r);
    r->n_parts = n_parts;
    r->off = calloc((size_t) n_conns + 2, sizeof *r->off);
    r->parts = malloc(sizeof *r->parts * (n_pairs + 1));
    r->files = calloc((size_t) n_parts, sizeof *r->files);
    if (r->off == NULL || r->parts == NULL || r->files == NULL)
        goto out_nomem;
    for (size_t i = 0; i < n_pairs; i++)
        r->off[pair_conn[i] + 1]++;
    for (int32_t c = 0; c < n_conns; c++)
        r->off[c + 1] += r->off[c];
    {
        size_t *pos = malloc(sizeof *pos * ((size_t) n_conns + 1));

        if (pos == NULL)
            goto out_nomem;
        memcpy(pos, r->off, sizeof *pos * ((size_t) n_conns + 1));
        for (size_t i = 0; i < n_pairs; i++)
            r->parts[pos[pair_conn[i]]++] = pair_part[i];
        free(pos);
    }
    for (int p = 0; p < n_parts; p++)
        if ((r->files[p] = spill_file()) == NULL) {
            etl_fail(err, "creating a spill file in %s: %s", spill_dir(), strerror(errno));
            spill_router_term(r);
            return -1;
        }
    return 0;

out_nomem:
    spill_router_term(r);
    return etl_fail(err, "extract: out of memory");
}

void
spill_router_term(struct spill_router *r)
{
    for (int p = 0; r->files != NULL && p < r->n_parts; p++)
        if (r->files[p] != NULL)
            fclose(r->files[p]);
    free(r->files);
    free(r->off);
    free(r->parts);
    memset(r, 0, sizeof *r);
}

/* The rows grouped by partition, a row in the group of every partition that
 * needs it (group p: rows start[p] .. start[p + 1]). */
static int
group_by_partition(const struct spill_router *r, const char *in, size_t n, size_t row_size,
                   char **rows_out, size_t **start_out)
{
    size_t *start = calloc((size_t) r->n_parts + 1, sizeof *start), *pos;
    char *rows;

    if (start == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int32_t conn = *(const int32_t *) (in + i * row_size);

        for (size_t k = r->off[conn]; k < r->off[conn + 1]; k++)
            start[r->parts[k] + 1]++;
    }
    for (int p = 0; p < r->n_parts; p++)
        start[p + 1] += start[p];
    rows = malloc(start[r->n_parts] ? start[r->n_parts] * row_size : 1);
    pos = malloc(sizeof *pos * (size_t) r->n_parts);
    if (rows == NULL || pos == NULL) {
        free(start);
        free(rows);
        free(pos);
        return -1;
    }
    memcpy(pos, start, sizeof *pos * (size_t) r->n_parts);
    for (size_t i = 0; i < n; i++) {
        const char *row = in + i * row_size;
        int32_t conn = *(const int32_t *) row;

        for (size_t k = r->off[conn]; k < r->off[conn + 1]; k++)
            memcpy(rows + pos[r->parts[k]]++ * row_size, row, row_size);
    }
    free(pos);
    *rows_out = rows;
    *start_out = start;
    return 0;
}

/* Appends each partition's group as one block to its spill file. */
static bool
write_groups(struct spill_router *r, int table, const char *rows, const size_t *start,
             size_t row_size)
{
    bool ok = true;

    for (int p = 0; p < r->n_parts && ok; p++) {
        struct spill_header h = {table, (uint32_t) row_size, start[p + 1] - start[p]};

        if (h.n == 0)
            continue;
        /* A full disk shows at the flush, not at the buffered writes. */
        ok = fwrite(&h, sizeof h, 1, r->files[p]) == 1 &&
             fwrite(rows + start[p] * row_size, row_size, h.n, r->files[p]) == h.n &&
             fflush(r->files[p]) == 0 && !ferror(r->files[p]);
    }
    return ok;
}

/* Only the writing holds the spill lock, not the grouping. */
int
spill_write(struct spill_router *r, int table, const char *in, size_t n, size_t row_size,
            struct etl_error *err)
{
    char *rows;
    size_t *start;
    bool ok;

    if (group_by_partition(r, in, n, row_size, &rows, &start) < 0)
        return etl_fail(err, "spilling rows: out of memory");
#pragma omp critical(spill_write)
    ok = write_groups(r, table, rows, start, row_size);
    free(rows);
    free(start);
    if (!ok)
        return etl_fail(err, "writing a spill file failed (is %s full?)", spill_dir());
    return 0;
}

int
spill_scan(struct spill_router *r, int part, spill_visit_fn *visit, void *ctx,
           struct etl_error *err)
{
    FILE *f = r->files[part];
    char *piece;
    struct spill_header h;
    int rc = -1;

    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
        return etl_fail(err, "reading a spill file: %s", strerror(errno));
    if ((piece = malloc(SPILL_PIECE_BYTES)) == NULL)
        return etl_fail(err, "reading a spill file: out of memory");
    while (fread(&h, sizeof h, 1, f) == 1) {
        size_t per_piece;

        if (h.row_size == 0 || h.row_size > SPILL_PIECE_BYTES) {
            etl_fail(err, "reading a spill file: bad block");
            goto out_free;
        }
        per_piece = SPILL_PIECE_BYTES / h.row_size;
        for (uint64_t done = 0; done < h.n;) {
            size_t n = h.n - done < per_piece ? (size_t) (h.n - done) : per_piece;

            if (fread(piece, h.row_size, n, f) != n) {
                etl_fail(err, "reading a spill file: truncated");
                goto out_free;
            }
            if (visit(ctx, h.table, piece, n, h.row_size) < 0) {
                etl_fail(err, "reading a spill file: bad block");
                goto out_free;
            }
            done += n;
        }
    }
    if (ferror(f))
        etl_fail(err, "reading a spill file: %s", strerror(errno));
    else
        rc = 0;
out_free:
    free(piece);
    return rc;
}

void
spill_drop(struct spill_router *r, int part)
{
    fclose(r->files[part]);
    r->files[part] = NULL;
}
