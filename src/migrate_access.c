/*
 * migrate_access.c: the grants and policies of the engine's role
 * devpulse_etl, made by `migrate` from the table below and include/schema.h.
 *
 * Entry points: migrate_access_grants, migrate_access_policies.
 *
 * Invariant: each grant and policy is a step whose test reads the catalogs
 * alone, so it is made once, an app's own grants and policies stay as they
 * are, and --check lists exactly what is missing.  No grant or policy
 * changes another's test, so the tests of all grants, then of all policies,
 * each run in one round trip.  Before the role exists
 * (sql/001_schema.sql creates it in the same run), a grant's test asks
 * what PUBLIC holds, which is what the new role will have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_access.h"
#include "schema.h"

/* The engine's group role, created by sql/001_schema.sql. */
#define ROLE "devpulse_etl"
#define ROLE_EXISTS "EXISTS (SELECT FROM pg_roles WHERE rolname = '" ROLE "')"

/* What the role devpulse_etl is granted (README: "Least privilege"). */
enum grant_on { ON_SCHEMA, ON_TABLE, ON_SEQUENCE };

struct grant {
    enum grant_on on;
    const char *object;
    const char *privileges;     /* ", "-separated */
    const char *columns;        /* ", "-separated, or NULL: the whole table */
};

static const struct grant grants[] = {
    {ON_SCHEMA, "public", "USAGE", NULL},
    {ON_SCHEMA, "devpulse_etl", "USAGE", NULL},
    {ON_TABLE, "devpulse_etl.schema_migrations", "SELECT", NULL},
    {ON_TABLE, "devpulse_etl.runs", "SELECT, INSERT, UPDATE, DELETE", NULL},
    {ON_SEQUENCE, "devpulse_etl.runs_id_seq", "USAGE", NULL},
    /* Never the tokens of platform_connections, nor profile details. */
    {ON_TABLE, "profiles", "SELECT", "id, timezone"},
    {ON_TABLE, "workspaces", "SELECT", "id, owner_id"},
    {ON_TABLE, "workspace_members", "SELECT", "workspace_id, user_id"},
    {ON_TABLE, "platform_connections", "SELECT", "id, user_id, platform, is_active"},
    {ON_TABLE, "monitors", "SELECT", NULL},
    {ON_TABLE, "github_repositories", "SELECT", NULL},
    {ON_TABLE, "github_contributions", "SELECT", NULL},
    {ON_TABLE, "youtube_videos", "SELECT", NULL},
    {ON_TABLE, "youtube_channel_stats", "SELECT", NULL},
    {ON_TABLE, "devto_articles", "SELECT", NULL},
    {ON_TABLE, "analytics_snapshots", "SELECT, INSERT, UPDATE", NULL},
    {ON_TABLE, "goals", "SELECT", NULL},
    {ON_TABLE, "goals", "UPDATE", "current_value, is_achieved, achieved_at, updated_at"},
};
#define N_GRANTS ((int) (sizeof grants / sizeof grants[0]))

/* The next item of a ", "-separated list into item; NULL at its end. */
static const char *
next_item(const char *p, char *item, size_t size)
{
    size_t len;

    while (*p == ',' || *p == ' ')
        p++;
    if (*p == '\0')
        return NULL;
    len = strcspn(p, ",");
    snprintf(item, size, "%.*s", (int) len, p);
    return p + len;
}

/* SQL that holds when role has every privilege of g (on every column). */
static void
held_by(const struct grant *g, const char *role, char *out, size_t size)
{
    static const char *const has[] = {"has_schema_privilege", "has_table_privilege",
                                      "has_sequence_privilege"};
    char priv[16], col[64];

    out[0] = '\0';
    for (const char *p = g->privileges; (p = next_item(p, priv, sizeof priv)) != NULL;) {
        if (g->columns == NULL)
            snprintf(out + strlen(out), size - strlen(out), "%s%s('%s', '%s', '%s')",
                     out[0] ? " AND " : "", has[g->on], role, g->object, priv);
        for (const char *q = g->columns; q != NULL && (q = next_item(q, col, sizeof col)) != NULL;)
            snprintf(out + strlen(out), size - strlen(out),
                     "%shas_column_privilege('%s', '%s', '%s', '%s')",
                     out[0] ? " AND " : "", role, g->object, col, priv);
    }
}

int
migrate_access_grants(struct migrate_run *m)
{
    static const char *const on_names[] = {"SCHEMA", "TABLE", "SEQUENCE"};
    struct migrate_tests tests;
    bool todo[N_GRANTS];

    migrate_tests_init(&tests);
    for (int i = 0; i < N_GRANTS; i++) {
        const struct grant *g = &grants[i];
        char by_role[1024], by_public[1024], cond[2200];

        /* Before the role exists, what PUBLIC holds is what it will have. */
        held_by(g, ROLE, by_role, sizeof by_role);
        held_by(g, "public", by_public, sizeof by_public);
        snprintf(cond, sizeof cond, "CASE WHEN %s('%s') IS NULL THEN true"
                 " WHEN NOT " ROLE_EXISTS " THEN NOT (%s) ELSE NOT (%s) END",
                 g->on == ON_SCHEMA ? "to_regnamespace" : "to_regclass", g->object, by_public,
                 by_role);
        migrate_tests_add(&tests, cond);
    }
    if (migrate_tests_run(m, &tests, "grant " ROLE " its privileges", todo) < 0)
        return -1;
    for (int i = 0; i < N_GRANTS; i++) {
        const struct grant *g = &grants[i];
        char sql[300], what[300], cols[128] = "";

        if (!todo[i])
            continue;
        if (g->columns != NULL)
            snprintf(cols, sizeof cols, " (%s)", g->columns);
        snprintf(sql, sizeof sql, "GRANT %s%s ON %s %s TO " ROLE, g->privileges, cols,
                 on_names[g->on], g->object);
        snprintf(what, sizeof what, "grant %s%s on %s to " ROLE, g->privileges, cols, g->object);
        if (migrate_step_change(m, what, sql) < 0)
            return -1;
    }
    return 0;
}

/*
 * On every table it uses, the role devpulse_etl sees every row: its
 * sessions refuse anything row level security would filter (db.c), and an
 * app's own policies (keyed on auth.uid()) give it nothing.  Made also where
 * RLS is off, so that turning it on later does not stop the engine.
 */
int
migrate_access_policies(struct migrate_run *m)
{
    struct migrate_tests tests;
    bool *todo = calloc((size_t) n_schema_tables, sizeof *todo);
    int rc = -1;

    if (todo == NULL)
        return etl_fail(m->err, "migrate: out of memory");
    migrate_tests_init(&tests);
    for (int t = 0; t < n_schema_tables; t++) {
        const char *table = schema_tables[t].name;
        const char *name = schema_tables[t].access == SCHEMA_WRITE ? SCHEMA_WRITE_POLICY
                                                                   : SCHEMA_READ_POLICY;
        char cond[600];

        /* engine_all: the name an earlier version gave it (003_privileges.sql) */
        snprintf(cond, sizeof cond,
                 "NOT EXISTS (SELECT FROM pg_policy WHERE polrelid = to_regclass('%s')"
                 "            AND polname = '%s')"
                 " AND NOT EXISTS (SELECT FROM pg_policy p JOIN pg_roles r ON p.polroles = ARRAY[r.oid]"
                 "            WHERE p.polrelid = to_regclass('%s') AND p.polname = 'engine_all'"
                 "              AND r.rolname = '" ROLE "')", table, name, table);
        migrate_tests_add(&tests, cond);
    }
    if (migrate_tests_run(m, &tests, "create the policies of " ROLE, todo) < 0)
        goto out_free;
    for (int t = 0; t < n_schema_tables; t++) {
        const char *table = schema_tables[t].name;
        bool writes = schema_tables[t].access == SCHEMA_WRITE;
        const char *name = writes ? SCHEMA_WRITE_POLICY : SCHEMA_READ_POLICY;
        char sql[300], what[200];

        if (!todo[t])
            continue;
        snprintf(sql, sizeof sql, "CREATE POLICY %s ON %s %s TO " ROLE " USING (true)%s", name,
                 table, writes ? "FOR ALL" : "FOR SELECT", writes ? " WITH CHECK (true)" : "");
        snprintf(what, sizeof what, "create policy %s on %s (role " ROLE " %s every row)", name,
                 table, writes ? "reads and writes" : "reads");
        if (migrate_step_change(m, what, sql) < 0)
            goto out_free;
    }
    rc = 0;

out_free:
    free(todo);
    return rc;
}
