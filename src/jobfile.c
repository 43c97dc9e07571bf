/*
 * jobfile.c: reading job files.  See jobfile.h.
 *
 * jansson parses and reports syntax errors with their position, but keeps no
 * positions for what it parsed; a small scanner walks the (by then known to
 * be valid) text once more to find where each top-level key stands.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static char *
read_all(const char *path, size_t *len, struct etl_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t cap = 0;

    *len = 0;
    if (f == NULL) {
        etl_fail(err, "%s: cannot open the job file: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t got;

        if (cap - *len < 4096) {
            char *grown = realloc(text, cap + 65536);

            if (grown == NULL) {
                free(text);
                fclose(f);
                etl_fail(err, "%s: out of memory", path);
                return NULL;
            }
            text = grown;
            cap += 65536;
        }
        got = fread(text + *len, 1, cap - *len - 1, f);
        *len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        etl_fail(err, "%s: cannot read the job file", path);
        free(text);
        text = NULL;
    } else {
        text[*len] = '\0';
    }
    fclose(f);
    return text;
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
