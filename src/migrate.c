/*
 * migrate.c: `devpulse-etl migrate [--check]`.
 *
 * Entry points: migrate_apply, migrate_report_term, migrate_check_current.
 *
 * Every change is a step that runs only when a read-only test says it is
 * still to do: the steps of sql/ (compiled in: build/migrations.c), then
 * those made here from include/schema.h and the tables below (the role
 * devpulse_etl's grants and policies, CHECK constraints, the unique indexes
 * of SPEC.md section 5).  So one path serves an empty database, one an
 * earlier version migrated, and one the DevPulse app made from the seed; a
 * second run finds nothing to do; and --check, which only runs the tests,
 * says what a run would do.
 *
 * Invariant: everything commits in one transaction, after the tables that
 * exist were checked against what the engine reads and writes (a mismatch
 * changes nothing), except what must not hold the app's tables locked for
 * long: validating the CHECK constraints (added NOT VALID, then validated
 * without blocking reads and writes; where rows break one, it stays NOT
 * VALID and a notice says so) and, when analytics_snapshots holds many rows
 * (MIGRATE_CONCURRENT_ROWS), building its unique indexes CONCURRENTLY.  The
 * ledger devpulse_etl.schema_migrations records the migrations when all of
 * it is done, so no run starts on half a migration.  A session advisory lock
 * serialises two concurrent `migrate` runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"
#include "pgarray.h"
#include "schema.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Arbitrary constant for pg_advisory_lock: "devpulse migrate". */
#define MIGRATE_LOCK_KEY "7236001"

/* The engine's group role, created by sql/001_schema.sql. */
#define ROLE "devpulse_etl"
#define ROLE_EXISTS "EXISTS (SELECT FROM pg_roles WHERE rolname = '" ROLE "')"

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

/*
 * The CHECK constraints the engine adds, named devpulse_etl_<column>_check,
 * only where the seed fixes a set of values or a sign, and only where the
 * table has no equivalent one (compared as pg_get_expr prints it).
 */
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

struct migrate_run {
    PGconn *conn;
    bool check;
    struct migrate_report *report;
    struct etl_error *err;
    PGresult *recorded;             /* the ledger's names; NULL: no ledger yet */
    bool indexes_pending;           /* to build concurrently after the commit */
    bool added[N_CHECKS];           /* added NOT VALID: validate after the commit */
};

/* ---------------------------------------------------------------- report */

static int list_add(struct migrate_list *l, struct etl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
list_add(struct migrate_list *l, struct etl_error *err, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int len;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof *items);

        if (items == NULL)
            return etl_fail(err, "migrate: out of memory");
        l->items = items;
        l->cap = cap;
    }
    va_start(ap, fmt);
    len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0)
        return etl_fail(err, "migrate: out of memory");
    l->items[l->n++] = s;
    return 0;
}

static void
list_term(struct migrate_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void
migrate_report_term(struct migrate_report *report)
{
    list_term(&report->changes);
    list_term(&report->notices);
}

/* ---------------------------------------------------------------- steps */

/* Whether a step is still to do: cond is a read-only SQL boolean. */
static int
still_to_do(struct migrate_run *m, const char *what, const char *cond, bool *todo)
{
    char *sql, context[256];
    PGresult *res;

    if (asprintf(&sql, "SELECT coalesce((%s)::bool, false)", cond) < 0)
        return etl_fail(m->err, "migrate: out of memory");
    snprintf(context, sizeof context, "migrate: checking whether to %s", what);
    res = db_query(m->conn, context, sql, 0, NULL, PGRES_TUPLES_OK, m->err);
    free(sql);
    if (res == NULL)
        return -1;
    *todo = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}

/* Does a change (or, with check, only reports it). */
static int
change(struct migrate_run *m, const char *what, const char *sql)
{
    char context[256];

    if (!m->check) {
        snprintf(context, sizeof context, "migrate: %s failed", what);
        if (db_exec(m->conn, context, sql, m->err) < 0)
            return -1;
    }
    return list_add(&m->report->changes, m->err, "%s", what);
}

/* A step that runs when cond holds. */
static int
step(struct migrate_run *m, const char *what, const char *cond, const char *sql)
{
    bool todo;

    if (still_to_do(m, what, cond, &todo) < 0)
        return -1;
    return todo ? change(m, what, sql) : 0;
}

static int
apply_files(struct migrate_run *m)
{
    for (int i = 0; i < n_migrations; i++)
        for (int s = 0; s < migrations[i].n_steps; s++) {
            const struct migration_step *st = &migrations[i].steps[s];

            if (step(m, st->what, st->when, st->sql) < 0)
                return -1;
        }
    return 0;
}

/* ---------------------------------------------------------------- ledger */

static bool
is_known(const char *name)
{
    for (int i = 0; i < n_migrations; i++)
        if (strcmp(migrations[i].name, name) == 0)
            return true;
    return false;
}

static bool
is_recorded(const PGresult *res, const char *name)
{
    for (int i = 0; res != NULL && i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), name) == 0)
            return true;
    return false;
}

/* Fails when the database records a migration we do not know. */
static int
check_not_newer(const PGresult *recorded, struct etl_error *err)
{
    for (int i = 0; recorded != NULL && i < PQntuples(recorded); i++) {
        const char *name = PQgetvalue(recorded, i, 0);

        if (!is_known(name))
            return etl_fail(err, "the database schema is newer than this devpulse-etl: "
                            "it records migration \"%s\", which this binary does not know; "
                            "upgrade devpulse-etl", name);
    }
    return 0;
}

static const char read_ledger_sql[] = "SELECT name FROM devpulse_etl.schema_migrations ORDER BY name";

/* The engine's schema and its ledger of migrations, then what it records. */
static int
open_ledger(struct migrate_run *m)
{
    bool todo;

    if (step(m, "create schema devpulse_etl", "to_regnamespace('devpulse_etl') IS NULL",
             "CREATE SCHEMA devpulse_etl") < 0 ||
        step(m, "create table devpulse_etl.schema_migrations",
             "to_regclass('devpulse_etl.schema_migrations') IS NULL",
             "CREATE TABLE devpulse_etl.schema_migrations ("
             "  name text PRIMARY KEY,"
             "  applied_at timestamptz NOT NULL DEFAULT now())") < 0 ||
        still_to_do(m, "read the ledger", "to_regclass('devpulse_etl.schema_migrations') IS NULL",
                    &todo) < 0)
        return -1;
    if (todo)
        return 0;               /* --check on a database never migrated */
    m->recorded = db_query(m->conn, "migrate: reading the migration ledger", read_ledger_sql,
                           0, NULL, PGRES_TUPLES_OK, m->err);
    if (m->recorded == NULL)
        return -1;
    return check_not_newer(m->recorded, m->err);
}

static int
record_migrations(struct migrate_run *m)
{
    char names[256] = "", *list;
    const char *params[1];
    PGresult *res;

    for (int i = 0; i < n_migrations; i++)
        if (!is_recorded(m->recorded, migrations[i].name))
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     names[0] ? ", " : "", migrations[i].name);
    if (names[0] == '\0')
        return 0;
    if (!m->check) {
        char *items[64];
        int n = 0;

        for (int i = 0; i < n_migrations && n < 64; i++)
            items[n++] = (char *) migrations[i].name;
        if ((list = pgarray_text(items, n)) == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        params[0] = list;
        res = db_query(m->conn, "migrate: recording the migrations",
                       "INSERT INTO devpulse_etl.schema_migrations (name)"
                       " SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                       1, params, PGRES_COMMAND_OK, m->err);
        free(list);
        if (res == NULL)
            return -1;
        PQclear(res);
    }
    return list_add(&m->report->changes, m->err,
                    "record migration(s) %s in devpulse_etl.schema_migrations", names);
}

/* ---------------------------------------------------------------- columns */

static bool
type_fits(const char *found, const char *needed)
{
    /* The engine reads text columns as text: varchar does as well. */
    return strcmp(found, needed) == 0 ||
           (strcmp(needed, "text") == 0 && strcmp(found, "character varying") == 0);
}

static const char columns_sql[] =
    "SELECT n.tab, n.col, n.typ, n.nn, c.relkind::text, a.attname IS NOT NULL,"
    "       coalesce(format_type(a.atttypid, NULL), ''), coalesce(a.attnotnull, false)"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[]) WITH ORDINALITY"
    "      AS n(tab, col, typ, nn, ord)"
    " JOIN pg_class c ON c.oid = to_regclass(n.tab)"
    " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = n.col"
    "                          AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY n.ord";

/* Columns of a table the engine inserts into that it cannot leave out. */
static const char unwritten_sql[] =
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
    " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
    " WHERE c.oid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    "   AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''"
    "   AND a.attname <> ALL ($2::text[])"
    " ORDER BY a.attnum";

/* Counts a problem; the first one is the error's text. */
static void
column_problem(int *n, char *first, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
column_problem(int *n, char *first, size_t size, const char *fmt, ...)
{
    va_list ap;

    if ((*n)++ == 0) {
        va_start(ap, fmt);
        vsnprintf(first, size, fmt, ap);
        va_end(ap);
    }
}

/* The unwritten NOT NULL columns of the tables the engine inserts into. */
static int
check_unwritten(struct migrate_run *m, int *problems, char *first, size_t size)
{
    for (int t = 0; t < n_schema_tables; t++) {
        char *cols[64], *list;
        const char *params[2];
        PGresult *res;
        int n = 0;

        if (!schema_tables[t].inserts)
            continue;
        for (int i = 0; i < n_schema_columns && n < 64; i++)
            if (strcmp(schema_columns[i].table, schema_tables[t].name) == 0)
                cols[n++] = (char *) schema_columns[i].column;
        if ((list = pgarray_text(cols, n)) == NULL)
            return etl_fail(m->err, "migrate: out of memory");
        params[0] = schema_tables[t].name;
        params[1] = list;
        res = db_query(m->conn, "migrate: checking the existing tables", unwritten_sql, 2,
                       params, PGRES_TUPLES_OK, m->err);
        free(list);
        if (res == NULL)
            return -1;
        for (int r = 0; r < PQntuples(res); r++)
            column_problem(problems, first, size,
                           "table \"%s\", column \"%s\": found %s NOT NULL without a default,"
                           " needs a default or NULL allowed (the engine inserts rows without it)",
                           PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
        PQclear(res);
    }
    return 0;
}

/*
 * Every table of schema.h that exists must have the columns the engine
 * reads and writes, of the type it decodes and NOT NULL where it relies on
 * that.  One error for all of it: the first mismatch, and how many more.
 */
static int
check_columns(struct migrate_run *m)
{
    char **items = calloc((size_t) n_schema_columns, sizeof *items);
    char *nn = malloc(2 * (size_t) n_schema_columns + 3), *arrays[3] = {NULL, NULL, NULL};
    const char *params[4];
    char first[512] = "", seen_kind[64] = "";
    PGresult *res = NULL;
    int problems = 0, rc = -1;

    if (items == NULL || nn == NULL) {
        etl_fail(m->err, "migrate: out of memory");
        goto out_free;
    }
    strcpy(nn, "{");
    for (int i = 0; i < n_schema_columns; i++)
        strcat(nn, schema_columns[i].not_null ? (i ? ",t" : "t") : (i ? ",f" : "f"));
    strcat(nn, "}");
    for (int a = 0; a < 3; a++) {
        for (int i = 0; i < n_schema_columns; i++)
            items[i] = (char *) (a == 0 ? schema_columns[i].table
                                 : a == 1 ? schema_columns[i].column : schema_columns[i].type);
        if ((arrays[a] = pgarray_text(items, n_schema_columns)) == NULL) {
            etl_fail(m->err, "migrate: out of memory");
            goto out_free;
        }
        params[a] = arrays[a];
    }
    params[3] = nn;
    res = db_query(m->conn, "migrate: checking the existing tables", columns_sql, 4, params,
                   PGRES_TUPLES_OK, m->err);
    if (res == NULL)
        goto out_free;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *tab = PQgetvalue(res, r, 0), *col = PQgetvalue(res, r, 1);
        const char *needed = PQgetvalue(res, r, 2), *kind = PQgetvalue(res, r, 4);
        const char *found = PQgetvalue(res, r, 6);
        bool not_null = PQgetvalue(res, r, 3)[0] == 't';

        if (strcmp(kind, "r") != 0 && strcmp(kind, "p") != 0) {
            if (strcmp(seen_kind, tab) != 0)
                column_problem(&problems, first, sizeof first, "table \"%s\": found a relation"
                               " of kind '%s' (not a table), needs a table", tab, kind);
            snprintf(seen_kind, sizeof seen_kind, "%s", tab);
        } else if (PQgetvalue(res, r, 5)[0] != 't') {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " no such column, needs %s%s", tab, col, needed,
                           not_null ? " NOT NULL" : "");
        } else if (!type_fits(found, needed)) {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " %s, needs %s", tab, col, found, needed);
        } else if (not_null && PQgetvalue(res, r, 7)[0] != 't') {
            column_problem(&problems, first, sizeof first, "table \"%s\", column \"%s\": found"
                           " %s NULL allowed, needs %s NOT NULL (the engine relies on it)",
                           tab, col, found, needed);
        }
    }
    if (check_unwritten(m, &problems, first, sizeof first) < 0)
        goto out_free;
    if (problems > 1)
        rc = etl_fail(m->err, "%s (and %d more problem%s); nothing was changed", first,
                      problems - 1, problems > 2 ? "s" : "");
    else if (problems == 1)
        rc = etl_fail(m->err, "%s; nothing was changed", first);
    else
        rc = 0;

out_free:
    PQclear(res);
    for (int i = 0; i < 3; i++)
        free(arrays[i]);
    free(items);
    free(nn);
    return rc;
}

/* ---------------------------------------------------------------- grants */

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

static int
apply_grants(struct migrate_run *m)
{
    static const char *const on_names[] = {"SCHEMA", "TABLE", "SEQUENCE"};

    for (int i = 0; i < N_GRANTS; i++) {
        const struct grant *g = &grants[i];
        char by_role[1024], by_public[1024], cond[2200], sql[300], what[300], cols[128] = "";

        /* Before the role exists, what PUBLIC holds is what it will have. */
        held_by(g, ROLE, by_role, sizeof by_role);
        held_by(g, "public", by_public, sizeof by_public);
        snprintf(cond, sizeof cond, "CASE WHEN %s('%s') IS NULL THEN true"
                 " WHEN NOT " ROLE_EXISTS " THEN NOT (%s) ELSE NOT (%s) END",
                 g->on == ON_SCHEMA ? "to_regnamespace" : "to_regclass", g->object, by_public,
                 by_role);
        if (g->columns != NULL)
            snprintf(cols, sizeof cols, " (%s)", g->columns);
        snprintf(sql, sizeof sql, "GRANT %s%s ON %s %s TO " ROLE, g->privileges, cols,
                 on_names[g->on], g->object);
        snprintf(what, sizeof what, "grant %s%s on %s to " ROLE, g->privileges, cols, g->object);
        if (step(m, what, cond, sql) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- policies */

/*
 * On every table it uses, the role devpulse_etl sees every row: its
 * sessions refuse anything row level security would filter (db.c), and an
 * app's own policies (keyed on auth.uid()) give it nothing.  Made also where
 * RLS is off, so that turning it on later does not stop the engine.
 */
static int
apply_policies(struct migrate_run *m)
{
    for (int t = 0; t < n_schema_tables; t++) {
        const char *table = schema_tables[t].name;
        bool writes = schema_tables[t].access == SCHEMA_WRITE;
        const char *name = writes ? SCHEMA_WRITE_POLICY : SCHEMA_READ_POLICY;
        char cond[600], sql[300], what[200];

        /* engine_all: the name an earlier version gave it (003_privileges.sql) */
        snprintf(cond, sizeof cond,
                 "NOT EXISTS (SELECT FROM pg_policy WHERE polrelid = to_regclass('%s')"
                 "            AND polname = '%s')"
                 " AND NOT EXISTS (SELECT FROM pg_policy p JOIN pg_roles r ON p.polroles = ARRAY[r.oid]"
                 "            WHERE p.polrelid = to_regclass('%s') AND p.polname = 'engine_all'"
                 "              AND r.rolname = '" ROLE "')", table, name, table);
        snprintf(sql, sizeof sql, "CREATE POLICY %s ON %s %s TO " ROLE " USING (true)%s", name,
                 table, writes ? "FOR ALL" : "FOR SELECT", writes ? " WITH CHECK (true)" : "");
        snprintf(what, sizeof what, "create policy %s on %s (role " ROLE " %s every row)", name,
                 table, writes ? "reads and writes" : "reads");
        if (step(m, what, cond, sql) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- checks */

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

static int
apply_checks(struct migrate_run *m)
{
    for (int i = 0; i < N_CHECKS; i++) {
        const struct check *c = &checks[i];
        char expr[160], shown[200], quoted[240], cond[1000], sql[400], what[300];
        bool todo;
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
        snprintf(what, sizeof what, "add CHECK (%s) to %s", expr, c->table);
        if (still_to_do(m, what, cond, &todo) < 0)
            return -1;
        if (!todo)
            continue;
        /* NOT VALID here; validated after the commit (validate_checks). */
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD CONSTRAINT devpulse_etl_%s_check CHECK (%s)"
                 " NOT VALID", c->table, c->column, expr);
        if (change(m, what, sql) < 0)
            return -1;
        m->added[i] = true;
    }
    return 0;
}

/* Validates, each on its own, the checks added: this scans the table
 * without blocking its reads and writes.  Rows that break one leave it NOT
 * VALID (new and updated rows are still checked), with a notice. */
static int
validate_checks(struct migrate_run *m)
{
    for (int i = 0; i < N_CHECKS; i++) {
        const struct check *c = &checks[i];
        char sql[200], expr[160], shown[200];
        struct etl_error verr;

        if (!m->added[i])
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
        if (list_add(&m->report->notices, m->err,
                     "CHECK (%s) on %s is NOT VALID: existing rows break it; new and updated"
                     " rows are checked; once the old ones are fixed: ALTER TABLE %s VALIDATE"
                     " CONSTRAINT devpulse_etl_%s_check", expr, c->table, c->table,
                     c->column) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- indexes */

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
    PGresult *res;

    memset(st, 0, sizeof *st);
    if (still_to_do(m, "convert the indexes of analytics_snapshots",
                    "to_regclass('analytics_snapshots') IS NOT NULL", &st->table) < 0 ||
        still_to_do(m, "convert the indexes of analytics_snapshots",
                    "to_regclass('" PERSONAL_INDEX "') IS NOT NULL", &st->personal_name_taken) < 0)
        return -1;
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
        if (change(m, "drop index " WORKSPACE_INDEX ", left invalid by an interrupted build", sql) < 0)
            return -1;
    }
    if (st->invalid_personal) {
        snprintf(sql, sizeof sql, "DROP INDEX%s IF EXISTS " PERSONAL_INDEX_NEW, cc);
        if (change(m, "drop index " PERSONAL_INDEX_NEW ", left invalid by an interrupted build", sql) < 0)
            return -1;
    }
    if (!st->workspace) {
        snprintf(sql, sizeof sql, "CREATE UNIQUE INDEX%s " WORKSPACE_INDEX " ON analytics_snapshots "
                 WORKSPACE_DEF, cc);
        snprintf(what, sizeof what, "create unique index " WORKSPACE_INDEX " on analytics_snapshots "
                 WORKSPACE_DEF "%s", how);
        if (change(m, what, sql) < 0)
            return -1;
    }
    if (st->personal[0] == '\0') {
        snprintf(sql, sizeof sql, "CREATE UNIQUE INDEX%s " PERSONAL_INDEX_NEW
                 " ON analytics_snapshots " PERSONAL_DEF, cc);
        snprintf(what, sizeof what, "create unique index %s on analytics_snapshots " PERSONAL_DEF "%s",
                 st->personal_name_taken ? PERSONAL_INDEX_NEW : PERSONAL_INDEX, how);
        if (change(m, what, sql) < 0)
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
        if (change(m, what, sql) < 0)
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
        return change(m, "rename index " PERSONAL_INDEX_NEW " to " PERSONAL_INDEX,
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

static int
apply_indexes(struct migrate_run *m)
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

/* ---------------------------------------------------------------- the run */

/* Everything that commits together. */
static int
in_transaction(struct migrate_run *m)
{
    if (open_ledger(m) < 0 || check_columns(m) < 0 || apply_files(m) < 0 ||
        apply_grants(m) < 0 || apply_policies(m) < 0 || apply_checks(m) < 0 ||
        apply_indexes(m) < 0)
        return -1;
    return m->indexes_pending ? 0 : record_migrations(m);
}

/* What must not hold the app's tables locked: each statement commits alone. */
static int
after_commit(struct migrate_run *m)
{
    struct index_state st;

    if (validate_checks(m) < 0)
        goto out_partly_done;
    if (!m->indexes_pending)
        return 0;
    if (index_state(m, &st) < 0 || convert_indexes(m, &st, true) < 0 ||
        record_migrations(m) < 0)
        goto out_partly_done;
    return 0;

out_partly_done: {
        char text[sizeof m->err->text - 100];

        snprintf(text, sizeof text, "%.900s", m->err->text);
        snprintf(m->err->text, sizeof m->err->text, "%s; the rest of the migration is committed:"
                 " run `devpulse-etl migrate` again to finish it", text);
    }
    return -1;
}

int
migrate_apply(PGconn *conn, bool check, struct migrate_report *report, struct etl_error *err)
{
    struct migrate_run m;
    int rc = -1;

    memset(report, 0, sizeof *report);
    memset(&m, 0, sizeof m);
    m.conn = conn;
    m.check = check;
    m.report = report;
    m.err = err;
    if (!check && db_exec(conn, "migrate: waiting for another migrate",
                          "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err) < 0)
        return -1;
    if (db_exec(conn, "migrate: begin", check ? "BEGIN TRANSACTION READ ONLY" : "BEGIN", err) < 0)
        goto out_unlock;
    rc = in_transaction(&m);
    if (rc < 0 || check) {
        db_rollback_quietly(conn);
        if (rc < 0)
            list_term(&report->changes);        /* none of them happened */
        goto out_unlock;
    }
    rc = db_exec(conn, "migrate: commit", "COMMIT", err);
    if (rc == 0)
        rc = after_commit(&m);

out_unlock:
    PQclear(m.recorded);
    if (!check)
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    return rc;
}

int
migrate_check_current(PGconn *conn, struct etl_error *err)
{
    PGresult *recorded;
    int rc = 0;

    recorded = PQexec(conn, read_ledger_sql);
    if (PQresultStatus(recorded) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(recorded, PG_DIAG_SQLSTATE);

        /* undefined_table, invalid_schema_name: never migrated */
        if (state != NULL && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)) {
            PQclear(recorded);
            return etl_fail(err, "the database has no DevPulse schema: run `devpulse-etl migrate` first");
        }
        if (state != NULL && strcmp(state, "42501") == 0) {
            PQclear(recorded);
            return etl_fail(err, "role \"%s\" may not read the DevPulse schema: grant it the"
                            " engine's role (GRANT devpulse_etl TO \"%s\")", PQuser(conn), PQuser(conn));
        }
        db_fail(err, "checking the schema", conn, recorded);
        PQclear(recorded);
        return -1;
    }
    rc = check_not_newer(recorded, err);
    for (int i = 0; rc == 0 && i < n_migrations; i++)
        if (!is_recorded(recorded, migrations[i].name))
            rc = etl_fail(err, "the database lacks migration \"%s\": run `devpulse-etl migrate` first",
                          migrations[i].name);
    PQclear(recorded);
    return rc;
}
