/*
 * migrate_indexes.c: `migrate` turns the seed's unique index on
 * analytics_snapshots (user_id, platform, snapshot_date, snapshot_type),
 * which cannot hold a personal and a workspace row of one owner, into
 * SPEC.md section 5's two partial unique indexes.
 *
 * Entry points: migrate_indexes_convert (in migrate's transaction),
 * migrate_indexes_concurrently (after its commit).
 *
 * Invariant: the seed's index goes only after both new ones are built and
 * valid, so the table is never without a unique key.  The state is read
 * from the catalogs each time (index_state), so a conversion that stopped
 * half-way (an invalid index left by a CONCURRENTLY build, the new personal
 * index not yet renamed) is finished by the next run, and a finished one
 * is left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate_indexes.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* SPEC.md section 5's unique indexes.  The personal one takes the name of
 * the seed's index, which it replaces: it is built under a name of its own
 * and renamed once the seed's is gone. */
#define PERSONAL_INDEX "analytics_snapshots_user_platform_date_idx"
#define PERSONAL_INDEX_NEW "devpulse_etl_snapshots_personal_idx"
#define WORKSPACE_INDEX "analytics_snapshots_workspace_platform_date_idx"
#define PERSONAL_KEY "user_id,platform,snapshot_date,snapshot_type"
#define WORKSPACE_KEY "workspace_id,platform,snapshot_date,snapshot_type"
#define PERSONAL_DEF "(user_id, platform, snapshot_date, snapshot_type) WHERE workspace_id IS NULL"
#define WORKSPACE_DEF "(workspace_id, platform, snapshot_date, snapshot_type) WHERE workspace_id IS NOT NULL"

struct index_state {
    bool table;                 /* analytics_snapshots exists */
    char personal[64];          /* the valid personal index, "" when none */
    bool workspace;             /* the valid workspace index exists */
    char seed[64];              /* the seed's unique index, "" when none */
    char seed_constraint[64];   /* the constraint it backs, "" when none */
    bool invalid_personal, invalid_workspace;   /* left by an interrupted build */
    bool personal_name_taken;   /* by a relation other than the seed's index */
};

static const char indexes_sql[] =
    "SELECT c.relname, i.indisvalid,"
    "       i.indisunique AND NOT i.indisprimary AND i.indexprs IS NULL AND am.amname = 'btree',"
    "       (SELECT string_agg(a.attname, ',' ORDER BY k.n)"
    "        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)"
    "        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),"
    "       coalesce(pg_get_expr(i.indpred, i.indrelid), ''),"
    "       coalesce((SELECT conname FROM pg_constraint WHERE conindid = i.indexrelid"
    "                 AND conrelid = i.indrelid AND contype IN ('u', 'x')), '')"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
    " WHERE i.indrelid = to_regclass('analytics_snapshots')";

static int
index_state(struct migrate_run *m, struct index_state *st)
{
    struct migrate_tests tests;
    bool exists[2];
    PGresult *res;

    memset(st, 0, sizeof *st);
    migrate_tests_init(&tests);
    migrate_tests_add(&tests, "to_regclass('analytics_snapshots') IS NOT NULL");
    migrate_tests_add(&tests, "to_regclass('" PERSONAL_INDEX "') IS NOT NULL");
    if (migrate_tests_run(m, &tests, "convert the indexes of analytics_snapshots", exists) < 0)
        return -1;
    st->table = exists[0];
    st->personal_name_taken = exists[1];
    if (!st->table)
        return 0;
    res = db_query(m->conn, "migrate: reading the indexes of analytics_snapshots", indexes_sql,
                   0, NULL, PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *name = PQgetvalue(res, r, 0), *cols = PQgetvalue(res, r, 3);
        const char *pred = PQgetvalue(res, r, 4);
        bool valid = PQgetvalue(res, r, 1)[0] == 't', unique = PQgetvalue(res, r, 2)[0] == 't';

        if (!valid) {
            st->invalid_personal |= strcmp(name, PERSONAL_INDEX_NEW) == 0;
            st->invalid_workspace |= strcmp(name, WORKSPACE_INDEX) == 0;
        } else if (unique && strcmp(cols, PERSONAL_KEY) == 0 &&
                   strcmp(pred, "(workspace_id IS NULL)") == 0) {
            snprintf(st->personal, sizeof st->personal, "%s", name);
        } else if (unique && strcmp(cols, WORKSPACE_KEY) == 0 &&
                   strcmp(pred, "(workspace_id IS NOT NULL)") == 0) {
            st->workspace = true;
        } else if (unique && strcmp(cols, PERSONAL_KEY) == 0 && pred[0] == '\0') {
            snprintf(st->seed, sizeof st->seed, "%s", name);
            snprintf(st->seed_constraint, sizeof st->seed_constraint, "%s", PQgetvalue(res, r, 5));
        }
    }
    PQclear(res);
    /* The seed's index may hold the personal index's name: it goes. */
    if (strcmp(st->seed, PERSONAL_INDEX) == 0)
        st->personal_name_taken = false;
    if (strcmp(st->personal, PERSONAL_INDEX) == 0)
        st->personal_name_taken = true;
    return 0;
}

/*
 * Rows that one of the indexes to build would refuse: an error listing a
 * few.  (With the seed's index, personal keys are unique already; rows of
 * one workspace written for several of its members are not.)
 */
static int
check_duplicates(struct migrate_run *m, const struct index_state *st)
{
    static const char personal[] =
        "SELECT format('(user_id %s, platform %s, snapshot_date %s, snapshot_type %s)',"
        "              user_id, platform, snapshot_date, snapshot_type) AS k, count(*) AS n"
        " FROM analytics_snapshots WHERE workspace_id IS NULL"
        " GROUP BY user_id, platform, snapshot_date, snapshot_type HAVING count(*) > 1";
    static const char workspace[] =
        "SELECT format('(workspace_id %s, platform %s, snapshot_date %s, snapshot_type %s)',"
        "              workspace_id, platform, snapshot_date, snapshot_type), count(*)"
        " FROM analytics_snapshots WHERE workspace_id IS NOT NULL"
        " GROUP BY workspace_id, platform, snapshot_date, snapshot_type HAVING count(*) > 1";
    char sql[1400], examples[600] = "";
    PGresult *res;
    long total;

    if (st->personal[0] != '\0' && st->workspace)
        return 0;
    snprintf(sql, sizeof sql, "SELECT k, n, count(*) OVER () FROM (%s%s%s) d ORDER BY k LIMIT 3",
             st->personal[0] == '\0' ? personal : "",
             st->personal[0] == '\0' && !st->workspace ? " UNION ALL " : "",
             st->workspace ? "" : workspace);
    res = db_query(m->conn, "migrate: looking for rows the unique indexes would refuse", sql,
                   0, NULL, PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    total = atol(PQgetvalue(res, 0, 2));
    for (int r = 0; r < PQntuples(res); r++)
        snprintf(examples + strlen(examples), sizeof examples - strlen(examples), "%s%s in %s rows",
                 r ? "; " : "", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    PQclear(res);
    return etl_fail(m->err, "analytics_snapshots holds rows that the unique indexes of SPEC.md"
                    " section 5 would refuse: %ld key(s) in more than one row, e.g. %s%s;"
                    " merge or delete them, then run `devpulse-etl migrate` again; nothing was"
                    " changed", total, examples, total > 3 ? "; ..." : "");
}

/*
 * The seed's unique index becomes the two partial ones, the seed's kept
 * until they are valid.  Concurrently: each statement commits on its own,
 * and one that fails leaves an invalid index, which the next run drops.
 */
static int
convert_indexes(struct migrate_run *m, const struct index_state *st, bool concurrently)
{
    const char *cc = concurrently ? " CONCURRENTLY" : "";
    const char *how = concurrently ? " (concurrently: more than "
                                     STR(MIGRATE_CONCURRENT_ROWS) " rows)" : "";
    char sql[400], what[400], *ident;

    if (st->invalid_workspace) {
        snprintf(sql, sizeof sql, "DROP INDEX%s IF EXISTS " WORKSPACE_INDEX, cc);
        if (migrate_step_change(m, "drop index " WORKSPACE_INDEX ", left invalid by an"
                                " interrupted build", sql) < 0)
            return -1;
    }
    if (st->invalid_personal) {
        snprintf(sql, sizeof sql, "DROP INDEX%s IF EXISTS " PERSONAL_INDEX_NEW, cc);
        if (migrate_step_change(m, "drop index " PERSONAL_INDEX_NEW ", left invalid by an"
                                " interrupted build", sql) < 0)
            return -1;
    }
    if (!st->workspace) {
        snprintf(sql, sizeof sql, "CREATE UNIQUE INDEX%s " WORKSPACE_INDEX " ON analytics_snapshots "
                 WORKSPACE_DEF, cc);
        snprintf(what, sizeof what, "create unique index " WORKSPACE_INDEX " on analytics_snapshots "
                 WORKSPACE_DEF "%s", how);
        if (migrate_step_change(m, what, sql) < 0)
            return -1;
    }
    if (st->personal[0] == '\0') {
        snprintf(sql, sizeof sql, "CREATE UNIQUE INDEX%s " PERSONAL_INDEX_NEW
                 " ON analytics_snapshots " PERSONAL_DEF, cc);
        snprintf(what, sizeof what, "create unique index %s on analytics_snapshots " PERSONAL_DEF "%s",
                 st->personal_name_taken ? PERSONAL_INDEX_NEW : PERSONAL_INDEX, how);
        if (migrate_step_change(m, what, sql) < 0)
            return -1;
    }
    if (st->seed[0] != '\0') {
        const char *object = st->seed_constraint[0] != '\0' ? st->seed_constraint : st->seed;

        ident = PQescapeIdentifier(m->conn, object, strlen(object));
        if (ident == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        if (st->seed_constraint[0] != '\0')
            snprintf(sql, sizeof sql, "ALTER TABLE analytics_snapshots DROP CONSTRAINT %s", ident);
        else
            snprintf(sql, sizeof sql, "DROP INDEX%s %s", cc, ident);
        PQfreemem(ident);
        snprintf(what, sizeof what, "drop the seed's unique %s %s on analytics_snapshots (user_id,"
                 " platform, snapshot_date, snapshot_type): it cannot hold a personal and a"
                 " workspace row of one owner (SPEC.md section 5)",
                 st->seed_constraint[0] != '\0' ? "constraint" : "index", object);
        if (migrate_step_change(m, what, sql) < 0)
            return -1;
    }
    /* Under the seed's name once that is free, as in a database migrate made. */
    if (st->personal_name_taken)
        return 0;
    if (st->personal[0] == '\0')
        return m->check ? 0 : db_exec(m->conn, "migrate: renaming the personal index",
                                      "ALTER INDEX " PERSONAL_INDEX_NEW " RENAME TO " PERSONAL_INDEX,
                                      m->err);
    if (strcmp(st->personal, PERSONAL_INDEX_NEW) == 0)
        return migrate_step_change(m, "rename index " PERSONAL_INDEX_NEW " to " PERSONAL_INDEX,
                      "ALTER INDEX " PERSONAL_INDEX_NEW " RENAME TO " PERSONAL_INDEX);
    return 0;
}

static bool
indexes_to_do(const struct index_state *st)
{
    return st->table && (st->personal[0] == '\0' || !st->workspace || st->seed[0] != '\0' ||
                         st->invalid_personal || st->invalid_workspace ||
                         (strcmp(st->personal, PERSONAL_INDEX_NEW) == 0 && !st->personal_name_taken));
}

int
migrate_indexes_convert(struct migrate_run *m)
{
    struct index_state st;
    PGresult *res;
    bool many;

    if (index_state(m, &st) < 0)
        return -1;
    if (!indexes_to_do(&st))
        return 0;
    if (m->check)
        return convert_indexes(m, &st, false);
    if (check_duplicates(m, &st) < 0)
        return -1;
    res = db_query(m->conn, "migrate: counting the rows of analytics_snapshots",
                   "SELECT count(*) > " STR(MIGRATE_CONCURRENT_ROWS) " FROM (SELECT FROM"
                   " analytics_snapshots LIMIT " STR(MIGRATE_CONCURRENT_ROWS) " + 1) s",
                   0, NULL, PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        return -1;
    many = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (many) {
        m->indexes_pending = true;      /* after the commit */
        return 0;
    }
    return convert_indexes(m, &st, false);
}

int
migrate_indexes_concurrently(struct migrate_run *m)
{
    struct index_state st;

    if (index_state(m, &st) < 0)
        return -1;
    return convert_indexes(m, &st, true);
}
