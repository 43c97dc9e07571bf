/*
 * migrate_checks.c: the CHECK constraints `migrate` adds, from the table
 * below: only where the seed fixes a set of values or a sign, and only
 * where the table has no equivalent one (compared as pg_get_expr prints it).
 *
 * Entry points: migrate_checks_add (in migrate's transaction),
 * migrate_checks_validate (after its commit).
 *
 * Invariant: a check is added NOT VALID, which reads no row, so migrate's
 * transaction stays short; the scan (VALIDATE CONSTRAINT) runs after the
 * commit, one check at a time, without blocking the app's reads and
 * writes.  Rows that break a check leave it NOT VALID, with a notice, and
 * the migration succeeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "migrate_checks.h"

/* The constraints are named devpulse_etl_<column>_check. */
enum check_kind { NOT_NEGATIVE, POSITIVE, ONE_OF };

struct check {
    const char *table, *column;
    enum check_kind kind;
    const char *values[4];      /* ONE_OF: the text values */
};

static const struct check checks[] = {
    {"workspace_members", "role", ONE_OF, {"owner", "admin", "member"}},
    {"monitors", "sync_frequency", POSITIVE, {NULL}},
    {"github_repositories", "stars_count", NOT_NEGATIVE, {NULL}},
    {"github_repositories", "forks_count", NOT_NEGATIVE, {NULL}},
    {"github_repositories", "watchers_count", NOT_NEGATIVE, {NULL}},
    {"github_repositories", "open_issues_count", NOT_NEGATIVE, {NULL}},
    {"github_contributions", "commits_count", NOT_NEGATIVE, {NULL}},
    {"github_contributions", "pull_requests_count", NOT_NEGATIVE, {NULL}},
    {"github_contributions", "issues_count", NOT_NEGATIVE, {NULL}},
    {"github_contributions", "repositories_contributed_to", NOT_NEGATIVE, {NULL}},
    {"youtube_videos", "duration_seconds", NOT_NEGATIVE, {NULL}},
    {"youtube_videos", "view_count", NOT_NEGATIVE, {NULL}},
    {"youtube_videos", "like_count", NOT_NEGATIVE, {NULL}},
    {"youtube_videos", "comment_count", NOT_NEGATIVE, {NULL}},
    {"youtube_channel_stats", "subscriber_count", NOT_NEGATIVE, {NULL}},
    {"youtube_channel_stats", "total_views", NOT_NEGATIVE, {NULL}},
    {"youtube_channel_stats", "video_count", NOT_NEGATIVE, {NULL}},
    {"devto_articles", "reading_time_minutes", NOT_NEGATIVE, {NULL}},
    {"devto_articles", "view_count", NOT_NEGATIVE, {NULL}},
    {"devto_articles", "reaction_count", NOT_NEGATIVE, {NULL}},
    {"devto_articles", "comment_count", NOT_NEGATIVE, {NULL}},
    {"analytics_snapshots", "platform", ONE_OF, {"github", "youtube", "devto", "all"}},
    {"analytics_snapshots", "snapshot_type", ONE_OF, {"daily", "weekly", "monthly"}},
};
#define N_CHECKS ((int) (sizeof checks / sizeof checks[0]))

/* Each check is a bit of migrate_run's checks_added. */
_Static_assert(N_CHECKS <= 64, "more checks than bits in checks_added");

/* The check's expression as written, and as pg_get_expr prints it. */
static void
check_text(const struct check *c, char *expr, size_t esize, char *shown, size_t ssize)
{
    if (c->kind != ONE_OF) {
        snprintf(expr, esize, "%s %s 0", c->column, c->kind == POSITIVE ? ">" : ">=");
        snprintf(shown, ssize, "(%s)", expr);
        return;
    }
    snprintf(expr, esize, "%s IN (", c->column);
    snprintf(shown, ssize, "(%s = ANY (ARRAY[", c->column);
    for (int v = 0; v < 4 && c->values[v] != NULL; v++) {
        snprintf(expr + strlen(expr), esize - strlen(expr), "%s'%s'", v ? ", " : "", c->values[v]);
        snprintf(shown + strlen(shown), ssize - strlen(shown), "%s'%s'::text", v ? ", " : "",
                 c->values[v]);
    }
    snprintf(expr + strlen(expr), esize - strlen(expr), ")");
    snprintf(shown + strlen(shown), ssize - strlen(shown), "]))");
}

int
migrate_checks_add(struct migrate_run *m)
{
    struct migrate_tests tests;
    bool todo[N_CHECKS];

    migrate_tests_init(&tests);
    for (int i = 0; i < N_CHECKS; i++) {
        const struct check *c = &checks[i];
        char expr[160], shown[200], quoted[240], cond[1000];
        size_t q = 0;

        check_text(c, expr, sizeof expr, shown, sizeof shown);
        for (const char *p = shown; *p != '\0' && q + 2 < sizeof quoted; p++) {
            if (*p == '\'')
                quoted[q++] = '\'';         /* within a literal below */
            quoted[q++] = *p;
        }
        quoted[q] = '\0';
        /* A table about to be created gets it; an app's table only when it
         * has the column and no equivalent check. */
        snprintf(cond, sizeof cond,
                 "CASE WHEN to_regclass('%1$s') IS NULL THEN true"
                 " WHEN NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('%1$s')"
                 "                   AND attname = '%2$s' AND attnum > 0 AND NOT attisdropped)"
                 " THEN false"
                 " ELSE NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass('%1$s')"
                 "                   AND contype = 'c' AND (conname = 'devpulse_etl_%2$s_check'"
                 "                   OR pg_get_expr(conbin, conrelid) = '%3$s')) END",
                 c->table, c->column, quoted);
        migrate_tests_add(&tests, cond);
    }
    /* Each check is on a column of its own: adding one changes no other's test. */
    if (migrate_tests_run(m, &tests, "add the CHECK constraints", todo) < 0)
        return -1;
    for (int i = 0; i < N_CHECKS; i++) {
        const struct check *c = &checks[i];
        char expr[160], shown[200], sql[400], what[300];

        if (!todo[i])
            continue;
        check_text(c, expr, sizeof expr, shown, sizeof shown);
        snprintf(what, sizeof what, "add CHECK (%s) to %s", expr, c->table);
        /* NOT VALID here; validated after the commit (migrate_checks_validate). */
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD CONSTRAINT devpulse_etl_%s_check CHECK (%s)"
                 " NOT VALID", c->table, c->column, expr);
        if (migrate_step_change(m, what, sql) < 0)
            return -1;
        m->checks_added |= UINT64_C(1) << i;
    }
    return 0;
}

/* Each VALIDATE scans the table without blocking its reads and writes.
 * Rows that break a check leave it NOT VALID (new and updated rows are
 * still checked). */
int
migrate_checks_validate(struct migrate_run *m)
{
    for (int i = 0; i < N_CHECKS; i++) {
        const struct check *c = &checks[i];
        char sql[200], expr[160], shown[200];
        struct etl_error verr;

        if ((m->checks_added & UINT64_C(1) << i) == 0)
            continue;
        check_text(c, expr, sizeof expr, shown, sizeof shown);
        snprintf(sql, sizeof sql, "ALTER TABLE %s VALIDATE CONSTRAINT devpulse_etl_%s_check",
                 c->table, c->column);
        if (db_exec(m->conn, "migrate: validating a CHECK constraint", sql, &verr) == 0)
            continue;
        if (strcmp(verr.sqlstate, "23514") != 0) {       /* check_violation */
            *m->err = verr;
            return -1;
        }
        if (migrate_step_note(m, &m->report->notices,
                              "CHECK (%s) on %s is NOT VALID: existing rows break it; new and"
                              " updated rows are checked; once the old ones are fixed: ALTER"
                              " TABLE %s VALIDATE CONSTRAINT devpulse_etl_%s_check", expr,
                              c->table, c->table, c->column) < 0)
            return -1;
    }
    return 0;
}
