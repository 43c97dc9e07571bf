/*
 * test_adopt.c: migrate on a database the DevPulse app made from the seed
 * (tests/app_schema.sql), the way a Supabase app ships it
 * (tests/app_supabase.sql and tests/app_rls.sql around it), and on a
 * managed server whose database owner is no superuser.  The app's rows,
 * policies, triggers and grants stay as they were; a table that does not
 * fit is refused with nothing changed; the seed's unique index becomes
 * SPEC.md section 5's two, in the transaction or concurrently; and a
 * nightly as the engine's own login gives the reference's rows.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "migrate.h"
#include "migrate_indexes.h"

#define AS_OF "2026-01-01T00:00:00Z"
#define NIGHTLY_REF "SELECT * FROM ref.snapshots_nightly('" AS_OF "', 3)"
/* The rows the app wrote before the engine: dated 2020, which no run here writes. */
#define APP_ROWS "SELECT user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics" \
                 " FROM analytics_snapshots WHERE snapshot_date < '2021-01-01'"

static void
load_sql(struct fx_db *db, const char *user, const char *file)
{
    char *out;
    int rc = fx_shell(&out, "psql -XAtq -v ON_ERROR_STOP=1 -d %s%s%s -f %s/%s", db->name,
                      user != NULL ? " -U " : "", user != NULL ? user : "", fx_tests_dir(), file);

    cr_assert_eq(rc, 0, "%s: %s", file, out);
    free(out);
}

/* A database as the app made it (as `user`, NULL: the superuser); on Supabase,
 * with the platform's roles and auth schema before it and the app's row
 * level security after it. */
static void
app_db(struct fx_db *db, bool supabase, const char *user)
{
    if (supabase)
        load_sql(db, NULL, "app_supabase.sql");
    load_sql(db, user, "app_schema.sql");
    if (supabase)
        load_sql(db, NULL, "app_rls.sql");
}

/* A new database the app made on plain PostgreSQL, with generated data. */
static void
new_app_db(struct fx_db *db, int users, int seed)
{
    fx_db_create_empty(db);
    app_db(db, false, NULL);
    fx_generate(db, users, 20, seed, NULL);
}

/* Every table of the app (public and auth): its rows' count and md5. */
static char *
data_fingerprint(struct fx_db *db)
{
    PGresult *res = PQexec(db->conn, "SELECT c.oid::regclass::text FROM pg_class c"
                                     " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                     " WHERE c.relkind = 'r' AND n.nspname IN ('public', 'auth')"
                                     " ORDER BY 1");
    size_t len = 0;
    char *acc = calloc(1, 1);

    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    cr_assert_gt(PQntuples(res), 12);
    for (int r = 0; r < PQntuples(res); r++) {
        char sql[512], *line;

        snprintf(sql, sizeof sql, "SELECT '%1$s ' || count(*) || ' '"
                 " || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '-') || E'\\n'"
                 " FROM %1$s t", PQgetvalue(res, r, 0));
        line = fx_text(db, sql);
        acc = realloc(acc, len + strlen(line) + 1);
        strcpy(acc + len, line);
        len += strlen(line);
        free(line);
    }
    PQclear(res);
    return acc;
}

/*
 * The app's objects as the catalogs describe them: policies, triggers, row
 * level security, grants (tables, columns, schemas, functions, defaults),
 * functions, constraints, indexes, the API roles.  With engine false, what
 * migrate may add is left out (devpulse_etl's grants, the devpulse_etl_*
 * policies and constraints, analytics_snapshots' unique indexes, the
 * engine's schema); with engine true nothing is.
 */
static const char catalog_sql[] =
    "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
    "  SELECT format('policy %s.%s %s %s %s %s %s %s', schemaname, tablename, policyname,"
    "                permissive, roles, cmd, qual, with_check) FROM pg_policies"
    "  WHERE $1 OR policyname NOT LIKE 'devpulse\\_etl\\_%'"
    " UNION ALL SELECT format('trigger %s', pg_get_triggerdef(oid)) FROM pg_trigger"
    "  WHERE NOT tgisinternal"
    " UNION ALL SELECT format('relation %s %s rls %s force %s acl %s', c.oid::regclass, c.relkind,"
    "                c.relrowsecurity, c.relforcerowsecurity,"
    "                (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(c.relacl) a"
    "                 WHERE $1 OR a::text NOT LIKE 'devpulse\\_etl=%'))"
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'S') AND (n.nspname IN ('public', 'auth')"
    "        OR ($1 AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')))"
    " UNION ALL SELECT format('column %s.%s acl %s', a.attrelid::regclass, a.attname, acl.items)"
    "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  CROSS JOIN LATERAL (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(a.attacl) x"
    "                      WHERE $1 OR x::text NOT LIKE 'devpulse\\_etl=%') acl(items)"
    "  WHERE n.nspname IN ('public', 'auth') AND acl.items IS NOT NULL"
    " UNION ALL SELECT format('function %s %s %s %s', p.oid::regprocedure, md5(p.prosrc),"
    "                p.prosecdef, p.proacl) FROM pg_proc p"
    "  JOIN pg_namespace n ON n.oid = p.pronamespace"
    "  WHERE n.nspname IN ('public', 'auth') OR ($1 AND n.nspname = 'devpulse_etl')"
    " UNION ALL SELECT format('schema %s acl %s', nspname,"
    "                (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(nspacl) a"
    "                 WHERE $1 OR a::text NOT LIKE 'devpulse\\_etl=%'))"
    "  FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
    "    AND ($1 OR nspname <> 'devpulse_etl')"
    " UNION ALL SELECT format('default acl %s %s %s', defaclrole::regrole, defaclobjtype, defaclacl)"
    "  FROM pg_default_acl"
    " UNION ALL SELECT format('constraint %s %s %s', c.conrelid::regclass, c.conname,"
    "                pg_get_constraintdef(c.oid)) FROM pg_constraint c"
    "  JOIN pg_namespace n ON n.oid = c.connamespace"
    "  WHERE n.nspname IN ('public', 'auth') AND ($1 OR c.conname NOT LIKE 'devpulse\\_etl\\_%')"
    " UNION ALL SELECT format('index %s %s', pg_get_indexdef(i.indexrelid), i.indisvalid)"
    "  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE n.nspname IN ('public', 'auth')"
    "    AND ($1 OR NOT (c.relname = 'analytics_snapshots' AND i.indisunique AND NOT i.indisprimary))"
    " UNION ALL SELECT format('role %s %s %s %s %s', rolname, rolsuper, rolinherit, rolcanlogin,"
    "                rolbypassrls) FROM pg_roles"
    "  WHERE rolname IN ('anon', 'authenticated', 'service_role')) f(x)";

static char *
catalog_fingerprint(struct fx_db *db, bool engine)
{
    const char *params[1] = {engine ? "true" : "false"};
    PGresult *res = PQexecParams(db->conn, catalog_sql, 1, NULL, params, NULL, NULL, 0);
    char *out;

    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    out = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

static void
create_login(struct fx_db *db, char *name, size_t size)
{
    char sql[256];

    snprintf(name, size, "%s_etl", db->name);
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN IN ROLE devpulse_etl", name);
    fx_exec(db, sql);
}

static void
drop_role(const char *name)
{
    fx_shell(NULL, "psql -XAtq -d postgres -c 'DROP ROLE IF EXISTS %s'", name);
}

/*
 * The scenario: an app on Supabase, its data, its own row level
 * security on every table, rows it wrote into analytics_snapshots under the
 * seed's unique index.  migrate twice; every row, policy, trigger and grant
 * of the app is still there; a nightly as the engine's login gives the
 * reference's rows and goals; the app's clients still see only their rows.
 */
Test(adopt, supabase_app, .timeout = 300)
{
    struct fx_db db;
    char *out, *data_before, *data_after, *cat_before, *cat_after, *full_before, *full_after;
    char login[128], sql[1024];
    int64_t app_rows;

    fx_db_create_empty(&db);
    app_db(&db, true, NULL);
    fx_generate(&db, 40, 120, 51, NULL);
    load_sql(&db, NULL, "reference.sql");
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 "  snapshot_date, metrics)"
                 " SELECT p.id, NULL, 'github', 'daily', date '2020-01-01' + i, jsonb_build_object('app', i)"
                 " FROM (SELECT id FROM profiles ORDER BY id LIMIT 10) p, generate_series(0, 9) i;"
                 "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 "  snapshot_date, metrics)"
                 " SELECT owner_id, id, 'all', 'monthly', date '2020-06-01' + row_number() OVER (ORDER BY id)::int,"
                 "        '{\"app\": true}' FROM workspaces");
    app_rows = fx_int(&db, "SELECT count(*) FROM analytics_snapshots");
    cr_assert_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots WHERE workspace_id IS NOT NULL"), 0);
    data_before = data_fingerprint(&db);
    cat_before = catalog_fingerprint(&db, false);

    full_before = catalog_fingerprint(&db, true);
    cr_expect_eq(fx_etl(&db, &out, "migrate --check"), 4, "%s", out);
    cr_expect(strstr(out, "would create policy devpulse_etl_read on monitors") != NULL, "%s", out);
    cr_expect(strstr(out, "would drop the seed's unique index") != NULL, "%s", out);
    cr_expect(strstr(out, "create table profiles") == NULL, "%s", out);
    free(out);
    full_after = catalog_fingerprint(&db, true);
    cr_expect_str_eq(full_after, full_before, "migrate --check changed something");

    cr_assert_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "create table profiles") == NULL && strstr(out, "create table goals") == NULL,
              "%s", out);
    cr_expect(strstr(out, "create unique index analytics_snapshots_workspace_platform_date_idx") != NULL,
              "%s", out);
    cr_expect(strstr(out, "concurrently") == NULL, "a few rows are converted in the transaction: %s", out);
    cr_expect(strstr(out, "notice") == NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "migrate: the database is up to date; nothing changed\n") != NULL, "%s", out);
    free(out);

    data_after = data_fingerprint(&db);
    cat_after = catalog_fingerprint(&db, false);
    cr_expect_str_eq(data_after, data_before, "the app's rows changed");
    cr_expect_str_eq(cat_after, cat_before, "the app's policies, triggers or grants changed");
    /* SPEC.md section 5's indexes, and the seed's gone, by definition */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'analytics_snapshots'"
                             " AND indexdef LIKE 'CREATE UNIQUE INDEX % ON public.analytics_snapshots"
                             " USING btree (%, platform, snapshot_date, snapshot_type)%'"), 2);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE indexname ="
                             " 'analytics_snapshots_user_platform_date_idx'"
                             " AND indexdef LIKE '%WHERE (workspace_id IS NULL)'"), 1);

    cr_expect_eq(fx_etl(&db, &out, "migrate --check"), 0, "%s", out);
    free(out);
    create_login(&db, login, sizeof login);
    cr_expect_eq(fx_etl_as(&db, "etl", &out, "migrate --check"), 0, "as the engine's login: %s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);

    fx_expect_goals(&db, AS_OF);
    cr_assert_eq(fx_etl_as(&db, "etl", &out, "nightly --as-of " AS_OF), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, NIGHTLY_REF " UNION ALL " APP_ROWS), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s) a", APP_ROWS);
    cr_expect_eq(fx_int(&db, sql), app_rows, "the app's own rows are kept");
    cr_expect_eq(fx_goals_diff(&db), 0);
    cr_expect_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots s"
                             " WHERE workspace_id IS NOT NULL AND EXISTS (SELECT 1 FROM analytics_snapshots p"
                             "   WHERE p.workspace_id IS NULL AND p.user_id = s.user_id"
                             "   AND p.platform = s.platform AND p.snapshot_date = s.snapshot_date"
                             "   AND p.snapshot_type = s.snapshot_type)"), 0,
                 "a personal and a workspace row of one owner (the seed's index forbade it)");

    /* The app's clients still read their own rows only, through its policy. */
    {
        char *user = fx_text(&db, "SELECT user_id FROM analytics_snapshots WHERE workspace_id IS NULL"
                                  " ORDER BY 1 LIMIT 1"), *seen;
        int64_t own;

        snprintf(sql, sizeof sql, "SELECT count(*) FROM analytics_snapshots WHERE user_id = '%s'", user);
        own = fx_int(&db, sql);
        fx_shell(&seen, "psql -XAtq -d %s -c \"SET ROLE authenticated;"
                 " SET request.jwt.claims = '{\\\"sub\\\": \\\"%s\\\"}';"
                 " SELECT count(*) FROM analytics_snapshots\"", db.name, user);
        cr_expect_eq(strtoll(seen, NULL, 10), own, "authenticated sees %s", seen);
        free(seen);
        free(user);
    }
    free(data_before);
    free(data_after);
    free(cat_before);
    free(cat_after);
    free(full_before);
    free(full_after);
    fx_db_drop(&db);
    drop_role(login);
}

/* ---------------------------------------------------------------- refusals */

struct misfit {
    char sql[200];            /* what makes the app's table unfit */
    char message[200];        /* a part of the one error line */
};

static struct misfit misfits[] = {
    {"ALTER TABLE github_contributions ALTER commits_count TYPE bigint",
     "table \"github_contributions\", column \"commits_count\": found bigint, needs integer"},
    {"ALTER TABLE monitors DROP COLUMN monitor_type",
     "table \"monitors\", column \"monitor_type\": found no such column, needs text NOT NULL"},
    {"ALTER TABLE platform_connections ALTER is_active DROP NOT NULL",
     "table \"platform_connections\", column \"is_active\": found boolean NULL allowed, needs boolean NOT NULL"},
    {"ALTER TABLE analytics_snapshots ALTER metrics TYPE json",
     "table \"analytics_snapshots\", column \"metrics\": found json, needs jsonb"},
    {"ALTER TABLE analytics_snapshots ADD COLUMN tenant_id uuid NOT NULL",
     "table \"analytics_snapshots\", column \"tenant_id\": found uuid NOT NULL without a default"},
    {"ALTER TABLE devto_articles RENAME TO devto_articles_t;"
     " CREATE VIEW devto_articles AS SELECT * FROM devto_articles_t",
     "table \"devto_articles\": found a relation of kind 'v' (not a table), needs a table"},
    {"ALTER TABLE youtube_videos ALTER published_at TYPE timestamp",
     "table \"youtube_videos\", column \"published_at\": found timestamp without time zone,"
     " needs timestamp with time zone"},
};

ParameterizedTestParameters(adopt, misfit_changes_nothing)
{
    return cr_make_param_array(struct misfit, misfits, sizeof misfits / sizeof misfits[0]);
}

/* A table of the app that does not fit: one error naming table, column,
 * what was found and what is needed; exit 1; nothing changed. */
ParameterizedTest(struct misfit *c, adopt, misfit_changes_nothing)
{
    struct fx_db db;
    char *out, *before, *after, *newline;

    new_app_db(&db, 5, 52);
    fx_exec(&db, c->sql);
    before = catalog_fingerprint(&db, true);
    cr_expect_eq(fx_etl(&db, &out, "migrate --check"), 1, "%s", out);
    cr_expect(strstr(out, c->message) != NULL, "expected \"%s\" in: %s", c->message, out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 1, "%s", out);
    /* after the time: the output is a pipe */
    cr_expect(strstr(out, "devpulse-etl: ") != NULL && strstr(out, c->message) != NULL,
              "expected \"%s\" in: %s", c->message, out);
    cr_expect(strstr(out, "nothing was changed") != NULL, "%s", out);
    newline = strchr(out, '\n');
    cr_expect(newline != NULL && newline[1] == '\0', "more than one line: %s", out);
    free(out);
    after = catalog_fingerprint(&db, true);
    cr_expect_str_eq(after, before);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'devpulse_etl'"), 0);
    free(before);
    free(after);
    fx_db_drop(&db);
}

/* Rows that SPEC.md section 5's indexes would refuse: an error that lists
 * them; nothing changed.  Once they are merged, migrate converts the seed's
 * unique key, here a constraint rather than a bare index. */
Test(adopt, duplicate_rows_refused)
{
    struct fx_db db;
    char *out, *before, *after, *ws;

    new_app_db(&db, 20, 53);
    ws = fx_text(&db, "SELECT m.workspace_id FROM workspace_members m JOIN workspaces w"
                      " ON w.id = m.workspace_id WHERE m.user_id <> w.owner_id ORDER BY 1 LIMIT 1");
    cr_assert(ws[0] != '\0', "no workspace with a member besides its owner");
    /* The app wrote one workspace's row once per member: the seed's index allows it. */
    {
        char sql[512];

        snprintf(sql, sizeof sql,
                 "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 " snapshot_date, metrics) SELECT u, '%s', 'github', 'daily', '2020-03-01', '{}'"
                 " FROM (SELECT user_id FROM workspace_members WHERE workspace_id = '%s'"
                 "       UNION SELECT owner_id FROM workspaces WHERE id = '%s') m(u)", ws, ws, ws);
        fx_exec(&db, sql);
    }
    before = catalog_fingerprint(&db, true);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 1, "%s", out);
    cr_expect(strstr(out, "analytics_snapshots holds rows that the unique indexes of SPEC.md section 5"
                          " would refuse: 1 key(s) in more than one row") != NULL, "%s", out);
    cr_expect(strstr(out, ws) != NULL && strstr(out, "platform github, snapshot_date 2020-03-01,"
                                                    " snapshot_type daily) in ") != NULL, "%s", out);
    cr_expect(strstr(out, "nothing was changed") != NULL, "%s", out);
    free(out);
    after = catalog_fingerprint(&db, true);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);

    fx_exec(&db, "DELETE FROM analytics_snapshots WHERE workspace_id IS NOT NULL"
                 " AND user_id <> (SELECT owner_id FROM workspaces w WHERE w.id = workspace_id);"
                 "DROP INDEX analytics_snapshots_user_platform_date_idx;"
                 "ALTER TABLE analytics_snapshots ADD CONSTRAINT analytics_snapshots_user_key"
                 " UNIQUE (user_id, platform, snapshot_date, snapshot_type)");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "drop the seed's unique constraint analytics_snapshots_user_key") != NULL,
              "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_constraint WHERE conname = 'analytics_snapshots_user_key'"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE indexname ="
                             " 'analytics_snapshots_user_platform_date_idx'"
                             " AND indexdef LIKE '%WHERE (workspace_id IS NULL)'"), 1);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), 1);
    free(ws);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- indexes */

/* Makes an index build fail part way, as an interrupted migrate would: it
 * is left INVALID under the name migrate builds it under. */
static void
leave_invalid_index(struct fx_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);

    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "the build was meant to fail");
    PQclear(res);
}

/* Many rows: the indexes are built CONCURRENTLY after the rest commits; the
 * invalid ones an earlier failed attempt left are dropped and built anew;
 * no row is lost. */
Test(adopt, many_rows_built_concurrently, .timeout = 300)
{
    struct fx_db db;
    char *out, *before, *after;

    new_app_db(&db, 10, 54);
    fx_exec(&db, "INSERT INTO analytics_snapshots (user_id, platform, snapshot_type, snapshot_date, metrics)"
                 " SELECT p.id, pl, ty, date '2000-01-01' + d, '{}'"
                 " FROM (SELECT id FROM profiles ORDER BY id LIMIT 10) p,"
                 " unnest(ARRAY['github', 'youtube', 'devto', 'all']) pl,"
                 " unnest(ARRAY['daily', 'weekly', 'monthly']) ty, generate_series(0, 899) d;"
                 "INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,"
                 "  snapshot_date, metrics)"
                 " SELECT owner_id, id, 'all', 'daily', date '1990-01-01' + (100 * n + d)::int, '{}'"
                 " FROM (SELECT owner_id, id, row_number() OVER (ORDER BY id) AS n FROM workspaces) w,"
                 " generate_series(0, 99) d");
    cr_assert_gt(fx_int(&db, "SELECT count(*) FROM analytics_snapshots"), MIGRATE_CONCURRENT_ROWS);
    leave_invalid_index(&db, "CREATE UNIQUE INDEX CONCURRENTLY devpulse_etl_snapshots_personal_idx"
                             " ON analytics_snapshots (user_id) WHERE workspace_id IS NULL");
    leave_invalid_index(&db, "CREATE UNIQUE INDEX CONCURRENTLY analytics_snapshots_workspace_platform_date_idx"
                             " ON analytics_snapshots (platform) WHERE workspace_id IS NOT NULL");
    cr_assert_eq(fx_int(&db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), 2);
    before = data_fingerprint(&db);

    cr_assert_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "drop index devpulse_etl_snapshots_personal_idx, left invalid") != NULL, "%s", out);
    cr_expect(strstr(out, "drop index analytics_snapshots_workspace_platform_date_idx, left invalid") != NULL,
              "%s", out);
    cr_expect(strstr(out, "create unique index analytics_snapshots_workspace_platform_date_idx on"
                          " analytics_snapshots (workspace_id, platform, snapshot_date, snapshot_type)"
                          " WHERE workspace_id IS NOT NULL (concurrently: more than 100000 rows)") != NULL,
              "%s", out);
    cr_expect(strstr(out, "create unique index analytics_snapshots_user_platform_date_idx on"
                          " analytics_snapshots (user_id, platform, snapshot_date, snapshot_type)"
                          " WHERE workspace_id IS NULL (concurrently") != NULL, "%s", out);
    /* the seed's index goes only once the new ones are built */
    cr_expect(strstr(out, "drop the seed's unique index") > strstr(out, "create unique index"
                                                                       " analytics_snapshots_user"),
              "%s", out);
    free(out);
    after = data_fingerprint(&db);
    cr_expect_str_eq(after, before, "rows changed");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), 0);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'analytics_snapshots'"
                             " AND indexdef LIKE 'CREATE UNIQUE%'"), 3, "the primary key and the two");
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE indexname IN"
                             " ('analytics_snapshots_user_platform_date_idx',"
                             "  'analytics_snapshots_workspace_platform_date_idx')"
                             " AND indexdef LIKE '%WHERE (workspace_id IS %NULL)'"), 2);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM devpulse_etl.schema_migrations"), migrate_n_files,
                 "recorded once the indexes are built");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);
    free(before);
    free(after);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- checks */

/* Rows that break a CHECK constraint the engine adds: it is added NOT VALID,
 * with a notice, and migrate carries on; new rows are checked. */
Test(adopt, check_constraints_not_valid)
{
    struct fx_db db;
    char *out;

    new_app_db(&db, 10, 55);
    /* text columns of the app as varchar fit: the engine reads them as text */
    fx_exec(&db, "ALTER TABLE profiles ALTER timezone TYPE varchar(64);"
                 "ALTER TABLE monitors ALTER monitor_type TYPE varchar(20);"
                 "UPDATE monitors SET sync_frequency = 0"
                 " WHERE id = (SELECT id FROM monitors ORDER BY id LIMIT 1);"
                 "UPDATE github_repositories SET stars_count = -1"
                 " WHERE id = (SELECT id FROM github_repositories ORDER BY id LIMIT 1)");
    cr_assert_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "migrate: notice: CHECK (sync_frequency > 0) on monitors is NOT VALID:"
                          " existing rows break it") != NULL, "%s", out);
    cr_expect(strstr(out, "migrate: notice: CHECK (stars_count >= 0) on github_repositories is NOT VALID")
              != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'devpulse\\_etl\\_%'"
                             " AND NOT convalidated"), 2);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'devpulse\\_etl\\_%'"
                             " AND convalidated"), 21);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM monitors WHERE sync_frequency = 0"), 1);
    {
        PGresult *res = PQexec(db.conn, "UPDATE monitors SET sync_frequency = -5"
                                        " WHERE id = (SELECT id FROM monitors ORDER BY id DESC LIMIT 1)");

        cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "a new violation is refused");
        PQclear(res);
    }
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL && strstr(out, "notice") == NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* ---------------------------------------------------------------- managed */

/*
 * A managed server (RDS, Cloud SQL): no superuser, the database's owner has
 * CREATEROLE.  migrate as that owner on an empty database and on one its app
 * made, then a nightly as a login it created in the engine's role.
 */
static void
managed(bool app_made)
{
    struct fx_db db;
    char *out, owner[128], login[128], sql[512];

    fx_db_create_empty(&db);
    snprintf(owner, sizeof owner, "%s_owner", db.name);
    snprintf(login, sizeof login, "%s_etl", db.name);
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN CREATEROLE; ALTER DATABASE %s OWNER TO %s",
             owner, db.name, owner);
    fx_exec(&db, sql);
    if (app_made)
        app_db(&db, false, owner);
    cr_assert_eq(fx_etl_as(&db, "owner", &out, "migrate"), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_etl_as(&db, "owner", &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                             " AND tableowner <> current_database() || '_owner'"), 0);
    /* the owner makes the engine's login, as it would on the managed server */
    fx_shell(&out, "psql -XAtq -v ON_ERROR_STOP=1 -d %s -U %s -c 'CREATE ROLE %s LOGIN IN ROLE devpulse_etl'",
             db.name, owner, login);
    free(out);
    cr_expect_eq(fx_etl_as(&db, "etl", &out, "migrate --check"), 0, "%s", out);
    free(out);
    fx_generate(&db, 30, 120, 56, NULL);
    load_sql(&db, NULL, "reference.sql");
    fx_expect_goals(&db, AS_OF);
    cr_assert_eq(fx_etl_as(&db, "etl", &out, "nightly --as-of " AS_OF), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_snapshot_diff(&db, NIGHTLY_REF), 0);
    cr_expect_eq(fx_goals_diff(&db), 0);
    fx_db_drop(&db);
    drop_role(login);
    fx_shell(NULL, "psql -XAtq -d postgres -c 'DROP OWNED BY %s' -c 'DROP ROLE %s'", owner, owner);
}

Test(adopt, managed_owner_empty_database, .timeout = 300)
{
    managed(false);
}

Test(adopt, managed_owner_app_database, .timeout = 300)
{
    managed(true);
}
