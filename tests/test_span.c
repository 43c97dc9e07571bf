/*
 * test_span.c: the cost of a run follows the rows it reads and the buckets it
 * writes, not the span of days from the data to the as-of instant.
 *
 * A nightly as of 9999-12-31 on data of 2025 (with goals that start then)
 * used to hold, per subject, a cell for every day from 2025 to 9999:
 * batches of one subject each under --batch-memory 1 (21 here), 427 MiB at
 * peak, and a timezone table sampled every day up to 9999 (200 s of the
 * server's time for this data).  Now it takes the batches and memory of a
 * nightly as of just after the data, and writes what the reference says.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NEAR "2026-03-01T00:00:00Z"   /* after all the data (the generator's ends in January) */
#define FAR "9999-12-31T23:59:59-15:59"

/* "subjects N in B batch(es)" and "peak memory M MiB" of a report. */
static void
report_numbers(const char *out, int *batches, int *peak_mib)
{
    const char *b = strstr(out, " batch(es)"), *p = strstr(out, "peak memory ");

    cr_assert(b != NULL && p != NULL, "no report: %s", out);
    while (b > out && b[-1] != ' ')
        b--;
    *batches = atoi(b);
    *peak_mib = atoi(p + strlen("peak memory "));
}

Test(span, far_as_of_costs_what_near_does, .timeout = 600)
{
    struct fx_db near, far;
    char *out, *near_goals, *far_goals;
    int near_batches, near_peak, far_batches, far_peak;
    /* goals that start by the near cutoff: their values are the same at both
     * as-of instants (no data after it) */
    const char *goals = "SELECT string_agg(id || ' ' || current_value || ' ' || is_achieved, ', '"
                        " ORDER BY id) FROM goals WHERE start_date <= '2026-02-28'";

    fx_db_create(&near);
    fx_generate(&near, 20, 60, 3, "2025-12-31");
    fx_db_copy(&near, &far);
    fx_expect_goals(&near, NEAR);
    cr_assert_eq(fx_etl(&near, &out, "nightly --as-of " NEAR " --batch-memory 1"), 0, "%s", out);
    report_numbers(out, &near_batches, &near_peak);
    free(out);
    cr_assert_eq(fx_etl(&far, &out, "nightly --as-of " FAR " --batch-memory 1"), 0, "%s", out);
    report_numbers(out, &far_batches, &far_peak);
    free(out);
    cr_expect_leq(far_batches, near_batches, "batches: %d as of %s, %d as of %s", far_batches,
                  FAR, near_batches, NEAR);
    cr_expect_leq(far_peak, near_peak + 16, "peak memory: %d MiB as of %s, %d MiB as of %s",
                  far_peak, FAR, near_peak, NEAR);
    /* and the rows are right */
    cr_expect_eq(fx_snapshot_diff(&near, "SELECT * FROM ref.snapshots_nightly('" NEAR "', 3)"), 0);
    cr_expect_eq(fx_goals_diff(&near), 0);
    cr_expect_eq(fx_snapshot_diff(&far, "SELECT * FROM ref.snapshots_nightly('" FAR "', 3)"), 0);
    near_goals = fx_text(&near, goals);
    far_goals = fx_text(&far, goals);
    cr_expect(strlen(near_goals) > 0);
    cr_expect_str_eq(far_goals, near_goals);
    free(near_goals);
    free(far_goals);
    fx_db_drop(&near);
    fx_db_drop(&far);
}
