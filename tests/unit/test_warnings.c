/*
 * test_warnings.c: warnings grouped by reason, each (reason, id) once, the
 * ids in the order they were first added, however many there are.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "warnings.h"

Test(warnings, repeats_are_kept_once)
{
    struct warnings w = {0};

    cr_assert_eq(warnings_add(&w, "bad zone", "p1"), 0);
    cr_assert_eq(warnings_add(&w, "bad goal", "g1"), 0);
    cr_assert_eq(warnings_add(&w, "bad zone", "p2"), 0);
    cr_assert_eq(warnings_add(&w, "bad zone", "p1"), 0);
    cr_assert_eq(warnings_add(&w, "bad goal", "p1"), 0);    /* same id, other reason */
    cr_expect_eq(warnings_count(&w), 4);
    cr_assert_eq(w.n, 2);
    cr_expect_str_eq(w.items[0].reason, "bad zone");
    cr_assert_eq(w.items[0].n_ids, 2);
    cr_expect_str_eq(w.items[0].ids[0], "p1");
    cr_expect_str_eq(w.items[0].ids[1], "p2");
    cr_assert_eq(w.items[1].n_ids, 2);
    cr_expect_str_eq(w.items[1].ids[0], "g1");
    cr_expect_str_eq(w.items[1].ids[1], "p1");
    warnings_term(&w);
    cr_expect_eq(w.n, 0);
}

/* Many ids under one reason, each added twice (as a retried run does):
 * every one is kept once, in order, across the set's growth. */
Test(warnings, many_ids_in_order)
{
    enum { N = 20000 };
    struct warnings w = {0};
    char id[32];

    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < N; i++) {
            snprintf(id, sizeof id, "id-%d", i);
            cr_assert_eq(warnings_add(&w, "reason", id), 0);
        }
    cr_assert_eq(w.n, 1);
    cr_assert_eq(w.items[0].n_ids, N);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        cr_assert_str_eq(w.items[0].ids[i], id);
    }
    warnings_term(&w);
}
