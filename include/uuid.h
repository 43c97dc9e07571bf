/*
 * uuid.h: 16-byte uuids, their text form, and a uuid -> index map.
 */
#ifndef UUID_H
#define UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uuid {
    unsigned char b[16];
};

/* Parses the canonical 8-4-4-4-12 hex form; 0 or -1. */
int uuid_parse(const char *s, struct uuid *out);
/* Writes the canonical form and a NUL into buf (37 bytes). */
void uuid_format(const struct uuid *u, char *buf);
bool uuid_equal(const struct uuid *a, const struct uuid *b);
int uuid_compare(const struct uuid *a, const struct uuid *b);

/* Open-addressing map from uuid to a dense int32 index. */
struct uuid_map {
    struct uuid *keys;
    int32_t *vals;      /* -1 = empty slot */
    size_t cap;         /* a power of two */
};
int uuid_map_init(struct uuid_map *m, size_t expected);
void uuid_map_term(struct uuid_map *m);
/* Inserts key -> val (replacing); 0 or -1 (out of memory). */
int uuid_map_put(struct uuid_map *m, const struct uuid *key, int32_t val);
/* The value, or -1 when absent. */
int32_t uuid_map_get(const struct uuid_map *m, const struct uuid *key);

#endif
