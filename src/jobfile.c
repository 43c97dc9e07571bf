/*
 * jobfile.c: reading job files.  See jobfile.h.
 *
 * jansson parses and reports syntax errors with their position, but keeps no
 * positions for what it parsed; a small scanner walks the (by then known to
 * be valid) text once more to find where each top-level key stands.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "jobfile.h"

struct scanner {
    const char *p, *end;
    int line, column;
};

static void
advance(struct scanner *s)
{
    if (*s->p == '\n') {
        s->line++;
        s->column = 1;
    } else {
        s->column++;
    }
    s->p++;
}

static void
skip_space(struct scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        advance(s);
}

/* Reads a string into out (plain ASCII escapes decoded; false when the key
 * holds anything else, which then gets no position). */
static bool
read_string(struct scanner *s, char *out, size_t size)
{
    size_t n = 0;
    bool plain = true;

    advance(s);     /* the opening quote */
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p;

        if (c == '\\') {
            advance(s);
            c = *s->p;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '"': case '\\': case '/': break;
            default: plain = false; break;      /* \uXXXX */
            }
        }
        if (n + 1 < size)
            out[n++] = c;
        else
            plain = false;
        advance(s);
    }
    out[n] = '\0';
    if (s->p < s->end)
        advance(s);     /* the closing quote */
    return plain;
}

/* Skips one value: a string, or anything up to the next , or } at depth 0. */
static void
skip_value(struct scanner *s)
{
    int depth = 0;
    char ignored[2];

    while (s->p < s->end) {
        char c = *s->p;

        if (c == '"') {
            read_string(s, ignored, sizeof ignored);
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}'))
            return;
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        advance(s);
    }
}

static void
locate_keys(struct jobfile *jf, const char *text, size_t len)
{
    struct scanner s = {text, text + len, 1, 1};
    char key[256];

    skip_space(&s);
    if (s.p < s.end && *s.p == '{')
        advance(&s);
    for (;;) {
        int line, column;

        skip_space(&s);
        if (s.p >= s.end || *s.p != '"')
            return;
        line = s.line;
        column = s.column;
        if (read_string(&s, key, sizeof key))
            for (size_t i = 0; i < jf->n; i++)
                if (strcmp(jf->entries[i].key, key) == 0) {
                    jf->entries[i].line = line;
                    jf->entries[i].column = column;
                }
        skip_space(&s);
        if (s.p < s.end && *s.p == ':')
            advance(&s);
        skip_space(&s);
        skip_value(&s);
        if (s.p < s.end && *s.p == ',')
            advance(&s);
    }
}

static int
compare_position(const void *a, const void *b)
{
    const struct jobfile_entry *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->column > y->column) - (x->column < y->column);
}

/*
 * The file's text, at most JOBFILE_MAX_BYTES of it.  Each read waits at most
 * READ_WAIT_MS for data (a pipe, a slow disk) and the loop gives up when a
 * signal asks the run to stop (cancel.h), so neither an endless file
 * (/dev/zero) nor a writer that never finishes holds the process.
 */
#define READ_WAIT_MS 100

static char *
read_all(const char *path, size_t *len, struct etl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text;

    *len = 0;
    if (fd < 0) {
        etl_fail(err, "%s: cannot open the job file: %s", path, strerror(errno));
        return NULL;
    }
    /* One byte more than allowed, to tell "too large" from "just fits". */
    if ((text = malloc(JOBFILE_MAX_BYTES + 2)) == NULL) {
        etl_fail(err, "%s: out of memory", path);
        goto out_close;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t got;

        if (cancel_requested()) {
            etl_fail(err, "%s: reading the job file: cancelled by %s", path,
                     cancel_requested() == SIGINT ? "SIGINT" : "SIGTERM");
            goto out_free;
        }
        if (poll(&p, 1, READ_WAIT_MS) == 0)
            continue;
        got = read(fd, text + *len, JOBFILE_MAX_BYTES + 1 - *len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0) {
            etl_fail(err, "%s: cannot read the job file: %s", path, strerror(errno));
            goto out_free;
        }
        if (got == 0)
            break;
        *len += (size_t) got;
        if (*len > JOBFILE_MAX_BYTES) {
            etl_fail(err, "%s: a job file is at most %d bytes (1 MiB); this one is larger",
                     path, JOBFILE_MAX_BYTES);
            goto out_free;
        }
    }
    text[*len] = '\0';
    close(fd);
    return text;

out_free:
    free(text);
out_close:
    close(fd);
    return NULL;
}

int
jobfile_read(const char *path, struct jobfile *jf, struct etl_error *err)
{
    json_error_t jerr;
    const char *key;
    json_t *value;
    size_t len;
    char *text;

    memset(jf, 0, sizeof *jf);
    if ((text = read_all(path, &len, err)) == NULL)
        return -1;
    jf->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (jf->root == NULL) {
        etl_fail(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        free(text);
        return -1;
    }
    if (!json_is_object(jf->root)) {
        etl_fail(err, "%s:1:1: a job file is one JSON object, {\"command\": ..., ...}", path);
        goto out_fail;
    }
    jf->path = strdup(path);
    jf->entries = calloc(json_object_size(jf->root) + 1, sizeof *jf->entries);
    if (jf->path == NULL || jf->entries == NULL) {
        etl_fail(err, "%s: out of memory", path);
        goto out_fail;
    }
    json_object_foreach(jf->root, key, value) {
        jf->entries[jf->n].key = key;
        jf->entries[jf->n].value = value;
        jf->entries[jf->n].line = 1;
        jf->entries[jf->n].column = 1;
        jf->n++;
    }
    locate_keys(jf, text, len);
    qsort(jf->entries, jf->n, sizeof *jf->entries, compare_position);
    free(text);
    return 0;

out_fail:
    free(text);
    jobfile_term(jf);
    return -1;
}

void
jobfile_term(struct jobfile *jf)
{
    json_decref(jf->root);
    free(jf->entries);
    free(jf->path);
    memset(jf, 0, sizeof *jf);
}

const struct jobfile_entry *
jobfile_find(const struct jobfile *jf, const char *key)
{
    for (size_t i = 0; i < jf->n; i++)
        if (strcmp(jf->entries[i].key, key) == 0)
            return &jf->entries[i];
    return NULL;
}
