/*
 * test_schema.c: the migrations create the seed's schema (every table,
 * column with its type and default, index) and applying them twice is a no-op.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* table, column, type as format_type prints it, NOT NULL, default (NULL: none) */
struct column {
    const char *table, *column, *type;
    int not_null;
    const char *default_expr;
};

static const struct column seed_columns[] = {
    {"profiles", "id", "uuid", 1, NULL},
    {"profiles", "display_name", "text", 0, NULL},
    {"profiles", "avatar_url", "text", 0, NULL},
    {"profiles", "bio", "text", 0, NULL},
    {"profiles", "timezone", "text", 0, "'UTC'::text"},
    {"profiles", "created_at", "timestamp with time zone", 1, "now()"},
    {"profiles", "updated_at", "timestamp with time zone", 1, "now()"},
    {"workspaces", "id", "uuid", 1, "gen_random_uuid()"},
    {"workspaces", "name", "text", 1, NULL},
    {"workspaces", "slug", "text", 1, NULL},
    {"workspaces", "description", "text", 0, NULL},
    {"workspaces", "owner_id", "uuid", 1, NULL},
    {"workspaces", "created_at", "timestamp with time zone", 1, "now()"},
    {"workspaces", "updated_at", "timestamp with time zone", 1, "now()"},
    {"workspace_members", "workspace_id", "uuid", 1, NULL},
    {"workspace_members", "user_id", "uuid", 1, NULL},
    {"workspace_members", "role", "text", 1, "'member'::text"},
    {"workspace_members", "joined_at", "timestamp with time zone", 1, "now()"},
    {"platform_connections", "id", "uuid", 1, "gen_random_uuid()"},
    {"platform_connections", "user_id", "uuid", 1, NULL},
    {"platform_connections", "platform", "text", 1, NULL},
    {"platform_connections", "platform_user_id", "text", 1, NULL},
    {"platform_connections", "platform_username", "text", 1, NULL},
    {"platform_connections", "access_token", "text", 1, NULL},
    {"platform_connections", "refresh_token", "text", 0, NULL},
    {"platform_connections", "token_expires_at", "timestamp with time zone", 0, NULL},
    {"platform_connections", "is_active", "boolean", 1, "true"},
    {"platform_connections", "last_synced_at", "timestamp with time zone", 0, NULL},
    {"platform_connections", "created_at", "timestamp with time zone", 1, "now()"},
    {"platform_connections", "updated_at", "timestamp with time zone", 1, "now()"},
    {"monitors", "id", "uuid", 1, "gen_random_uuid()"},
    {"monitors", "user_id", "uuid", 1, NULL},
    {"monitors", "workspace_id", "uuid", 0, NULL},
    {"monitors", "platform", "text", 1, NULL},
    {"monitors", "platform_connection_id", "uuid", 1, NULL},
    {"monitors", "monitor_type", "text", 1, NULL},
    {"monitors", "platform_resource_id", "text", 0, NULL},
    {"monitors", "is_active", "boolean", 1, "true"},
    {"monitors", "sync_frequency", "integer", 1, "15"},
    {"monitors", "created_at", "timestamp with time zone", 1, "now()"},
    {"monitors", "updated_at", "timestamp with time zone", 1, "now()"},
    {"github_repositories", "id", "uuid", 1, "gen_random_uuid()"},
    {"github_repositories", "platform_connection_id", "uuid", 1, NULL},
    {"github_repositories", "github_repo_id", "bigint", 1, NULL},
    {"github_repositories", "name", "text", 1, NULL},
    {"github_repositories", "full_name", "text", 1, NULL},
    {"github_repositories", "description", "text", 0, NULL},
    {"github_repositories", "language", "text", 0, NULL},
    {"github_repositories", "stars_count", "integer", 1, "0"},
    {"github_repositories", "forks_count", "integer", 1, "0"},
    {"github_repositories", "watchers_count", "integer", 1, "0"},
    {"github_repositories", "open_issues_count", "integer", 1, "0"},
    {"github_repositories", "is_private", "boolean", 1, "false"},
    {"github_repositories", "is_fork", "boolean", 1, "false"},
    {"github_repositories", "default_branch", "text", 1, "'main'::text"},
    {"github_repositories", "html_url", "text", 1, NULL},
    {"github_repositories", "created_at", "timestamp with time zone", 1, NULL},
    {"github_repositories", "updated_at", "timestamp with time zone", 1, NULL},
    {"github_repositories", "synced_at", "timestamp with time zone", 1, "now()"},
    {"github_contributions", "id", "uuid", 1, "gen_random_uuid()"},
    {"github_contributions", "platform_connection_id", "uuid", 1, NULL},
    {"github_contributions", "date", "date", 1, NULL},
    {"github_contributions", "commits_count", "integer", 1, "0"},
    {"github_contributions", "pull_requests_count", "integer", 1, "0"},
    {"github_contributions", "issues_count", "integer", 1, "0"},
    {"github_contributions", "repositories_contributed_to", "integer", 1, "0"},
    {"github_contributions", "created_at", "timestamp with time zone", 1, "now()"},
    {"youtube_videos", "id", "uuid", 1, "gen_random_uuid()"},
    {"youtube_videos", "platform_connection_id", "uuid", 1, NULL},
    {"youtube_videos", "youtube_video_id", "text", 1, NULL},
    {"youtube_videos", "title", "text", 1, NULL},
    {"youtube_videos", "description", "text", 0, NULL},
    {"youtube_videos", "thumbnail_url", "text", 0, NULL},
    {"youtube_videos", "duration_seconds", "integer", 0, NULL},
    {"youtube_videos", "view_count", "bigint", 1, "0"},
    {"youtube_videos", "like_count", "integer", 1, "0"},
    {"youtube_videos", "comment_count", "integer", 1, "0"},
    {"youtube_videos", "published_at", "timestamp with time zone", 1, NULL},
    {"youtube_videos", "synced_at", "timestamp with time zone", 1, "now()"},
    {"youtube_channel_stats", "id", "uuid", 1, "gen_random_uuid()"},
    {"youtube_channel_stats", "platform_connection_id", "uuid", 1, NULL},
    {"youtube_channel_stats", "date", "date", 1, NULL},
    {"youtube_channel_stats", "subscriber_count", "bigint", 1, "0"},
    {"youtube_channel_stats", "total_views", "bigint", 1, "0"},
    {"youtube_channel_stats", "video_count", "integer", 1, "0"},
    {"youtube_channel_stats", "created_at", "timestamp with time zone", 1, "now()"},
    {"devto_articles", "id", "uuid", 1, "gen_random_uuid()"},
    {"devto_articles", "platform_connection_id", "uuid", 1, NULL},
    {"devto_articles", "devto_article_id", "integer", 1, NULL},
    {"devto_articles", "title", "text", 1, NULL},
    {"devto_articles", "description", "text", 0, NULL},
    {"devto_articles", "published_at", "timestamp with time zone", 0, NULL},
    {"devto_articles", "reading_time_minutes", "integer", 0, NULL},
    {"devto_articles", "view_count", "integer", 1, "0"},
    {"devto_articles", "reaction_count", "integer", 1, "0"},
    {"devto_articles", "comment_count", "integer", 1, "0"},
    {"devto_articles", "url", "text", 1, NULL},
    {"devto_articles", "tags", "text[]", 0, NULL},
    {"devto_articles", "synced_at", "timestamp with time zone", 1, "now()"},
    {"analytics_snapshots", "id", "uuid", 1, "gen_random_uuid()"},
    {"analytics_snapshots", "user_id", "uuid", 1, NULL},
    {"analytics_snapshots", "workspace_id", "uuid", 0, NULL},
    {"analytics_snapshots", "platform", "text", 1, NULL},
    {"analytics_snapshots", "snapshot_type", "text", 1, NULL},
    {"analytics_snapshots", "snapshot_date", "date", 1, NULL},
    {"analytics_snapshots", "metrics", "jsonb", 1, NULL},
    {"analytics_snapshots", "created_at", "timestamp with time zone", 1, "now()"},
    {"goals", "id", "uuid", 1, "gen_random_uuid()"},
    {"goals", "user_id", "uuid", 1, NULL},
    {"goals", "workspace_id", "uuid", 0, NULL},
    {"goals", "platform", "text", 1, NULL},
    {"goals", "goal_type", "text", 1, NULL},
    {"goals", "target_value", "numeric", 1, NULL},
    {"goals", "current_value", "numeric", 1, "0"},
    {"goals", "unit", "text", 1, NULL},
    {"goals", "start_date", "date", 1, NULL},
    {"goals", "end_date", "date", 0, NULL},
    {"goals", "is_achieved", "boolean", 1, "false"},
    {"goals", "achieved_at", "timestamp with time zone", 0, NULL},
    {"goals", "created_at", "timestamp with time zone", 1, "now()"},
    {"goals", "updated_at", "timestamp with time zone", 1, "now()"},
    {"auth.users", "id", "uuid", 1, NULL},
};

/* index name, its definition must contain this text */
static const char *const seed_indexes[][2] = {
    {"profiles_id_idx", "(id)"},
    {"workspaces_slug_idx", "UNIQUE INDEX workspaces_slug_idx ON public.workspaces USING btree (slug)"},
    {"workspaces_owner_id_idx", "(owner_id)"},
    {"workspace_members_pkey", "UNIQUE INDEX workspace_members_pkey ON public.workspace_members USING btree (workspace_id, user_id)"},
    {"workspace_members_user_id_idx", "(user_id)"},
    {"platform_connections_user_id_idx", "(user_id)"},
    {"platform_connections_platform_idx", "(platform)"},
    {"platform_connections_user_platform_idx", "UNIQUE INDEX platform_connections_user_platform_idx ON public.platform_connections USING btree (user_id, platform)"},
    {"monitors_user_id_idx", "(user_id)"},
    {"monitors_platform_idx", "(platform)"},
    {"monitors_platform_connection_id_idx", "(platform_connection_id)"},
    {"monitors_active_idx", "(is_active) WHERE (is_active = true)"},
    {"github_repositories_platform_connection_id_idx", "(platform_connection_id)"},
    {"github_repositories_github_repo_id_idx", "UNIQUE INDEX github_repositories_github_repo_id_idx ON public.github_repositories USING btree (github_repo_id)"},
    {"github_repositories_full_name_idx", "(full_name)"},
    {"github_contributions_platform_connection_id_idx", "(platform_connection_id)"},
    {"github_contributions_date_idx", "(date)"},
    {"github_contributions_connection_date_idx", "UNIQUE INDEX github_contributions_connection_date_idx ON public.github_contributions USING btree (platform_connection_id, date)"},
    {"youtube_videos_platform_connection_id_idx", "(platform_connection_id)"},
    {"youtube_videos_youtube_video_id_idx", "UNIQUE INDEX youtube_videos_youtube_video_id_idx ON public.youtube_videos USING btree (youtube_video_id)"},
    {"youtube_videos_published_at_idx", "(published_at)"},
    {"youtube_channel_stats_platform_connection_id_idx", "(platform_connection_id)"},
    {"youtube_channel_stats_date_idx", "(date)"},
    {"youtube_channel_stats_connection_date_idx", "UNIQUE INDEX youtube_channel_stats_connection_date_idx ON public.youtube_channel_stats USING btree (platform_connection_id, date)"},
    {"devto_articles_platform_connection_id_idx", "(platform_connection_id)"},
    {"devto_articles_devto_article_id_idx", "UNIQUE INDEX devto_articles_devto_article_id_idx ON public.devto_articles USING btree (devto_article_id)"},
    {"devto_articles_published_at_idx", "(published_at)"},
    {"devto_articles_tags_idx", "USING gin (tags)"},
    {"analytics_snapshots_user_id_idx", "(user_id)"},
    {"analytics_snapshots_workspace_id_idx", "(workspace_id)"},
    {"analytics_snapshots_platform_idx", "(platform)"},
    {"analytics_snapshots_date_idx", "(snapshot_date)"},
    {"analytics_snapshots_user_platform_date_idx", "UNIQUE INDEX analytics_snapshots_user_platform_date_idx ON public.analytics_snapshots USING btree (user_id, platform, snapshot_date, snapshot_type) WHERE (workspace_id IS NULL)"},
    {"analytics_snapshots_workspace_platform_date_idx", "UNIQUE INDEX analytics_snapshots_workspace_platform_date_idx ON public.analytics_snapshots USING btree (workspace_id, platform, snapshot_date, snapshot_type) WHERE (workspace_id IS NOT NULL)"},
    {"goals_user_id_idx", "(user_id)"},
    {"goals_workspace_id_idx", "(workspace_id)"},
    {"goals_platform_idx", "(platform)"},
    {"goals_is_achieved_idx", "(is_achieved)"},
    {"goals_user_active_idx", "(user_id, is_achieved) WHERE (is_achieved = false)"},
};

Test(schema, every_seed_column_with_type_and_default)
{
    struct fx_db db;
    char sql[1024];

    fx_db_create(&db);
    for (size_t i = 0; i < sizeof seed_columns / sizeof seed_columns[0]; i++) {
        const struct column *c = &seed_columns[i];
        char *got;

        snprintf(sql, sizeof sql,
                 "SELECT coalesce(format_type(a.atttypid, a.atttypmod) || '|' || a.attnotnull::text"
                 " || '|' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), 'missing')"
                 " FROM (SELECT 1) one LEFT JOIN pg_attribute a"
                 "   ON a.attrelid = '%s'::regclass AND a.attname = '%s' AND NOT a.attisdropped"
                 " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum",
                 c->table, c->column);
        got = fx_text(&db, sql);
        snprintf(sql, sizeof sql, "%s|%s|%s", c->type, c->not_null ? "true" : "false",
                 c->default_expr ? c->default_expr : "-");
        cr_expect_str_eq(got, sql, "%s.%s", c->table, c->column);
        free(got);
    }
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM information_schema.columns"
                             " WHERE table_schema = 'public'"),
                 (int64_t) (sizeof seed_columns / sizeof seed_columns[0]) - 1,
                 "public has columns the seed does not list");
    fx_db_drop(&db);
}

Test(schema, every_seed_index)
{
    struct fx_db db;
    char sql[512];

    fx_db_create(&db);
    for (size_t i = 0; i < sizeof seed_indexes / sizeof seed_indexes[0]; i++) {
        char *def;

        snprintf(sql, sizeof sql, "SELECT coalesce((SELECT indexdef FROM pg_indexes"
                                  " WHERE indexname = '%s'), 'missing')", seed_indexes[i][0]);
        def = fx_text(&db, sql);
        cr_expect(strstr(def, seed_indexes[i][1]) != NULL, "%s: %s", seed_indexes[i][0], def);
        free(def);
    }
    /* The seed's single unique index on analytics_snapshots is replaced (SPEC.md 5). */
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'analytics_snapshots'"
                             " AND indexdef LIKE 'CREATE UNIQUE%' AND indexdef NOT LIKE '%WHERE%'"
                             " AND indexname <> 'analytics_snapshots_pkey'"), 0);
    fx_db_drop(&db);
}

Test(schema, migrate_twice_is_a_no_op)
{
    struct fx_db db;
    char *out, *before, *after;
    const char *shape = "SELECT md5(string_agg(indexdef, ';' ORDER BY indexdef)) || "
                        " (SELECT count(*) FROM devpulse_etl.schema_migrations)::text FROM pg_indexes";

    fx_db_create(&db);
    before = fx_text(&db, shape);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    free(out);
    after = fx_text(&db, shape);
    cr_expect_str_eq(before, after);
    free(before);
    free(after);
    fx_db_drop(&db);
}

/* On Supabase auth.users exists already, with more columns: the same migrations apply. */
Test(schema, applies_where_auth_users_exists)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
                 " DROP SCHEMA auth CASCADE; DROP SCHEMA devpulse_etl CASCADE;"
                 " CREATE SCHEMA auth;"
                 " CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, instance_id uuid)");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    free(out);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM information_schema.columns"
                             " WHERE table_schema = 'auth' AND table_name = 'users'"), 3);
    cr_expect_eq(fx_int(&db, "SELECT count(*) FROM pg_tables WHERE tablename = 'goals'"), 1);
    fx_db_drop(&db);
}

Test(schema, checks_where_the_seed_fixes_values)
{
    struct fx_db db;
    PGresult *res;

    fx_db_create(&db);
    fx_exec(&db, "INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001');"
                 "INSERT INTO profiles (id) VALUES ('00000000-0000-0000-0000-000000000001')");
    res = PQexec(db.conn, "INSERT INTO analytics_snapshots (user_id, platform, snapshot_type,"
                          " snapshot_date, metrics) VALUES ('00000000-0000-0000-0000-000000000001',"
                          " 'github', 'hourly', '2025-01-01', '{}')");
    cr_expect_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    PQclear(res);
    /* Unknown monitor types, goal types, units, timezones and platforms are
     * data the engine must cope with, so the database accepts them. */
    fx_exec(&db, "UPDATE profiles SET timezone = 'Mars/Olympus';"
                 "INSERT INTO goals (user_id, platform, goal_type, target_value, unit, start_date)"
                 " VALUES ('00000000-0000-0000-0000-000000000001', 'twitter', 'bogus', 1, 'ratio',"
                 " '2025-01-01')");
    fx_db_drop(&db);
}

/* A table that has an equivalent CHECK constraint already (an earlier
 * version made them inline, so under PostgreSQL's names) gets no second one. */
Test(schema, equivalent_checks_are_kept)
{
    struct fx_db db;
    char *out;

    fx_db_create(&db);
    fx_exec(&db, "ALTER TABLE github_repositories DROP CONSTRAINT devpulse_etl_stars_count_check,"
                 " ADD CONSTRAINT github_repositories_stars_count_check CHECK (stars_count >= 0);"
                 "ALTER TABLE monitors DROP CONSTRAINT devpulse_etl_sync_frequency_check,"
                 " ADD CONSTRAINT monitors_sync_frequency_check CHECK (sync_frequency > 0);"
                 "ALTER TABLE workspace_members DROP CONSTRAINT devpulse_etl_role_check,"
                 " ADD CONSTRAINT workspace_members_role_check"
                 " CHECK (role IN ('owner', 'admin', 'member'))");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);
    fx_exec(&db, "ALTER TABLE monitors DROP CONSTRAINT monitors_sync_frequency_check");
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "migrate: add CHECK (sync_frequency > 0) to monitors\n") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}

/* The policies an earlier version named engine_all and read_own_and_workspaces
 * (names an app could use too) are renamed devpulse_etl_*; an app's policy of
 * such a name is left alone. */
Test(schema, renames_the_policies_of_earlier_versions)
{
    struct fx_db db;
    char *out, *names;

    fx_db_create(&db);
    fx_exec(&db, "ALTER POLICY devpulse_etl_write ON goals RENAME TO engine_all;"
                 "ALTER POLICY devpulse_etl_client_read ON goals RENAME TO read_own_and_workspaces;"
                 "DROP POLICY devpulse_etl_read ON profiles;"
                 "CREATE POLICY engine_all ON monitors USING (true);"
                 "CREATE POLICY read_own_and_workspaces ON workspaces USING (owner_id = auth.uid())");
    cr_expect_eq(fx_etl(&db, &out, "migrate --check"), 4, "%s", out);
    cr_expect(strstr(out, "would rename policy engine_all on goals to devpulse_etl_write") != NULL, "%s", out);
    cr_expect(strstr(out, "would create policy devpulse_etl_write on goals") == NULL, "%s", out);
    free(out);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    free(out);
    names = fx_text(&db, "SELECT string_agg(tablename || '.' || policyname, ' ' ORDER BY tablename, policyname)"
                         " FROM pg_policies WHERE tablename IN ('goals', 'monitors', 'workspaces', 'profiles')");
    cr_expect_str_eq(names, "goals.devpulse_etl_client_read goals.devpulse_etl_write"
                            " monitors.devpulse_etl_read monitors.engine_all"
                            " profiles.devpulse_etl_read workspaces.devpulse_etl_read"
                            " workspaces.read_own_and_workspaces");
    free(names);
    cr_expect_eq(fx_etl(&db, &out, "migrate"), 0, "%s", out);
    cr_expect(strstr(out, "up to date") != NULL, "%s", out);
    free(out);
    fx_db_drop(&db);
}
