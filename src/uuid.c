/*
 * uuid.c: uuid text form and the uuid -> index map.
 *
 * The map never grows: uuid_map_init sizes it for the expected number of keys
 * at a load factor of at most 1/2, which extract.c knows from the row counts.
 */
#include <stdlib.h>
#include <string.h>

#include "uuid.h"

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
uuid_parse(const char *s, struct uuid *out)
{
    int nibble = 0;

    for (int i = 0; i < 36; i++) {
        int v;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        if ((v = hex_value(s[i])) < 0)
            return -1;
        if (nibble % 2 == 0)
            out->b[nibble / 2] = (unsigned char) (v << 4);
        else
            out->b[nibble / 2] |= (unsigned char) v;
        nibble++;
    }
    return s[36] == '\0' ? 0 : -1;
}

void
uuid_format(const struct uuid *u, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[u->b[i] >> 4];
        *p++ = hex[u->b[i] & 15];
    }
    *p = '\0';
}

bool
uuid_equal(const struct uuid *a, const struct uuid *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

int
uuid_compare(const struct uuid *a, const struct uuid *b)
{
    return memcmp(a->b, b->b, 16);
}

static uint64_t
uuid_hash(const struct uuid *u)
{
    uint64_t a, b;

    memcpy(&a, u->b, 8);
    memcpy(&b, u->b + 8, 8);
    a ^= b * UINT64_C(0x9e3779b97f4a7c15);
    a ^= a >> 32;
    a *= UINT64_C(0xd6e8feb86659fd93);
    return a ^ (a >> 32);
}

int
uuid_map_init(struct uuid_map *m, size_t expected)
{
    m->cap = 16;
    while (m->cap < expected * 2)
        m->cap *= 2;
    m->keys = malloc(sizeof *m->keys * m->cap);
    m->vals = malloc(sizeof *m->vals * m->cap);
    if (m->keys == NULL || m->vals == NULL) {
        uuid_map_term(m);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        m->vals[i] = -1;
    return 0;
}

void
uuid_map_term(struct uuid_map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
}

int
uuid_map_put(struct uuid_map *m, const struct uuid *key, int32_t val)
{
    size_t mask = m->cap - 1;

    for (size_t i = uuid_hash(key) & mask, probes = 0; probes < m->cap; i = (i + 1) & mask, probes++) {
        if (m->vals[i] < 0 || uuid_equal(&m->keys[i], key)) {
            m->keys[i] = *key;
            m->vals[i] = val;
            return 0;
        }
    }
    return -1;
}

int32_t
uuid_map_get(const struct uuid_map *m, const struct uuid *key)
{
    size_t mask = m->cap - 1;

    for (size_t i = uuid_hash(key) & mask, probes = 0; probes < m->cap; i = (i + 1) & mask, probes++) {
        if (m->vals[i] < 0)
            return -1;
        if (uuid_equal(&m->keys[i], key))
            return m->vals[i];
    }
    return -1;
}
