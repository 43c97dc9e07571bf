/*
 * test_strpool.c: interning: one copy per distinct string, stable pointers,
 * strings longer than a block, the empty string.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "strpool.h"

Test(strpool, equal_strings_share_one_copy)
{
    struct strpool pool;
    char a[] = "github", b[] = "github";
    const char *x, *y, *z;

    strpool_init(&pool);
    x = strpool_intern(&pool, a);
    y = strpool_intern(&pool, b);
    z = strpool_intern(&pool, "youtube");
    cr_assert(x != NULL && y != NULL && z != NULL);
    cr_expect_eq(x, y);
    cr_expect_neq(x, a);            /* a copy, not the caller's buffer */
    cr_expect_str_eq(x, "github");
    cr_expect_str_eq(z, "youtube");
    cr_expect_neq(x, z);
    cr_expect_eq(pool.n, 2);
    a[0] = 'G';                     /* the caller's buffer is not the pool's */
    cr_expect_str_eq(x, "github");
    cr_expect_str_eq(strpool_intern(&pool, ""), "");
    strpool_term(&pool);
    cr_expect_eq(pool.n, 0);
}

/* Many distinct strings: the table grows and the blocks fill, but every
 * pointer handed out keeps its string and finds itself again. */
Test(strpool, pointers_survive_growth)
{
    enum { N = 50000 };
    static const char *first[N];
    struct strpool pool;
    char text[32];

    strpool_init(&pool);
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "resource-%d", i);
        first[i] = strpool_intern(&pool, text);
        cr_assert(first[i] != NULL);
    }
    cr_expect_eq(pool.n, N);
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "resource-%d", i);
        cr_assert_str_eq(first[i], text);
        cr_assert_eq(strpool_intern(&pool, text), first[i], "%s", text);
    }
    cr_expect_eq(pool.n, N);
    strpool_term(&pool);
}

Test(strpool, string_longer_than_a_block)
{
    struct strpool pool;
    size_t len = (size_t) 200 << 10;
    char *big = malloc(len + 1);
    const char *kept, *small;

    cr_assert(big != NULL);
    memset(big, 'x', len);
    big[len] = '\0';
    strpool_init(&pool);
    small = strpool_intern(&pool, "before");
    kept = strpool_intern(&pool, big);
    cr_assert(kept != NULL);
    cr_expect_eq(strlen(kept), len);
    cr_expect_str_eq(small, "before");
    cr_expect_str_eq(strpool_intern(&pool, "after"), "after");
    cr_expect_eq(strpool_intern(&pool, big), kept);
    strpool_term(&pool);
    free(big);
}
