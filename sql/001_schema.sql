-- 001_schema.sql: the seed's schema (shared/seed/database-schema.md), with the
-- one index change of SPEC.md section 5.
--
-- Every step runs only when its `when` holds (src/migrate.c), so the file
-- applies to an empty database and to one the DevPulse app made from the
-- seed: there it creates only the tables that are missing.  A table the app
-- made is checked column by column and kept as it is, with its rows,
-- policies, triggers and grants; what the engine adds to such a table
-- (its CHECK constraints, the partial unique indexes of analytics_snapshots,
-- its grants and policies) is made in C: src/migrate_checks.c,
-- src/migrate_indexes.c, src/migrate_access.c.
--
-- Applies unchanged on Supabase (auth.users already there) and on plain
-- PostgreSQL (a minimal auth.users is created).  CHECK constraints (added by
-- src/migrate_checks.c) only where the seed fixes a set of values or a sign.
-- Deliberately NOT constrained: monitor_type, goal_type, unit, timezone, and
-- the platform of source rows (connections, monitors, goals): SPEC.md
-- requires the engine to ignore or skip values it does not know, with a
-- warning, so the database must be able to hold them.

-- step: create role devpulse_etl
-- when: NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devpulse_etl')
-- The engine's NOLOGIN group role (README: "Least privilege").  Roles belong
-- to the cluster, not the database: another database of the same cluster
-- may be creating it at this moment.
DO $$
BEGIN
    CREATE ROLE devpulse_etl NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- step: create schema auth and table auth.users
-- when: to_regclass('profiles') IS NULL AND to_regclass('auth.users') IS NULL
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);

-- Supabase clients (role authenticated, auth.uid() from the JWT) read the
-- rows of analytics_snapshots and goals that are theirs.  The engine sets
-- this up only on the tables it creates: where the app made them, who reads
-- what is the app's own business.  On plain PostgreSQL the role and
-- auth.uid() are created when absent (auth.uid() reads request.jwt.claims as
-- PostgREST sets it, as Supabase's does); on Supabase theirs are used.

-- step: create role authenticated (for row level security on analytics_snapshots and goals)
-- when: (to_regclass('analytics_snapshots') IS NULL OR to_regclass('goals') IS NULL)
-- when:   AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated')
DO $$
BEGIN
    CREATE ROLE authenticated NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- step: create function auth.uid()
-- when: (to_regclass('analytics_snapshots') IS NULL OR to_regclass('goals') IS NULL)
-- when:   AND to_regprocedure('auth.uid()') IS NULL
-- As Supabase's: a setting once set in a session reads '' afterwards.
CREATE SCHEMA IF NOT EXISTS auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
$f$;

-- step: create function devpulse_etl.reads_workspace(uuid)
-- when: (to_regclass('analytics_snapshots') IS NULL OR to_regclass('goals') IS NULL)
-- when:   AND to_regprocedure('devpulse_etl.reads_workspace(uuid)') IS NULL
-- Whether the client (auth.uid()) owns or belongs to a workspace.  The
-- tables it reads may not exist yet: they are created below.
SET LOCAL check_function_bodies = off;
CREATE FUNCTION devpulse_etl.reads_workspace(ws uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ws AND w.owner_id = auth.uid())
        OR EXISTS (SELECT 1 FROM workspace_members m
                   WHERE m.workspace_id = ws AND m.user_id = auth.uid())
$$;
REVOKE ALL ON FUNCTION devpulse_etl.reads_workspace(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA devpulse_etl TO authenticated;
GRANT EXECUTE ON FUNCTION devpulse_etl.reads_workspace(uuid) TO authenticated;
RESET check_function_bodies;

-- step: create table profiles
-- when: to_regclass('profiles') IS NULL
-- 1. profiles
CREATE TABLE profiles (
    id           uuid PRIMARY KEY REFERENCES auth.users (id),
    display_name text,
    avatar_url   text,
    bio          text,
    timezone     text DEFAULT 'UTC',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- The seed lists profiles_id_idx as "already indexed as PK"; the name is kept
-- so that every index the seed names exists.
CREATE INDEX profiles_id_idx ON profiles (id);

-- step: create table workspaces
-- when: to_regclass('workspaces') IS NULL
-- 2. workspaces and workspace_members
CREATE TABLE workspaces (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    slug        text NOT NULL,
    description text,
    owner_id    uuid NOT NULL REFERENCES profiles (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_slug_idx ON workspaces (slug);
CREATE INDEX workspaces_owner_id_idx ON workspaces (owner_id);

-- step: create table workspace_members
-- when: to_regclass('workspace_members') IS NULL
CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id      uuid NOT NULL REFERENCES profiles (id),
    role         text NOT NULL DEFAULT 'member',
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);

-- step: create table platform_connections
-- when: to_regclass('platform_connections') IS NULL
-- 3. platform_connections
CREATE TABLE platform_connections (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL REFERENCES profiles (id),
    platform          text NOT NULL,
    platform_user_id  text NOT NULL,
    platform_username text NOT NULL,
    access_token      text NOT NULL,
    refresh_token     text,
    token_expires_at  timestamptz,
    is_active         boolean NOT NULL DEFAULT true,
    last_synced_at    timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_connections_user_id_idx ON platform_connections (user_id);
CREATE INDEX platform_connections_platform_idx ON platform_connections (platform);
CREATE UNIQUE INDEX platform_connections_user_platform_idx
    ON platform_connections (user_id, platform);

-- step: create table monitors
-- when: to_regclass('monitors') IS NULL
-- 4. monitors
CREATE TABLE monitors (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid NOT NULL REFERENCES profiles (id),
    workspace_id           uuid REFERENCES workspaces (id),
    platform               text NOT NULL,
    platform_connection_id uuid NOT NULL REFERENCES platform_connections (id),
    monitor_type           text NOT NULL,
    platform_resource_id   text,
    is_active              boolean NOT NULL DEFAULT true,
    sync_frequency         integer NOT NULL DEFAULT 15,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX monitors_user_id_idx ON monitors (user_id);
CREATE INDEX monitors_platform_idx ON monitors (platform);
CREATE INDEX monitors_platform_connection_id_idx ON monitors (platform_connection_id);
CREATE INDEX monitors_active_idx ON monitors (is_active) WHERE is_active = true;

-- step: create table github_repositories
-- when: to_regclass('github_repositories') IS NULL
-- 5. github_repositories
CREATE TABLE github_repositories (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform_connection_id uuid NOT NULL REFERENCES platform_connections (id),
    github_repo_id         bigint NOT NULL,
    name                   text NOT NULL,
    full_name              text NOT NULL,
    description            text,
    language               text,
    stars_count            integer NOT NULL DEFAULT 0,
    forks_count            integer NOT NULL DEFAULT 0,
    watchers_count         integer NOT NULL DEFAULT 0,
    open_issues_count      integer NOT NULL DEFAULT 0,
    is_private             boolean NOT NULL DEFAULT false,
    is_fork                boolean NOT NULL DEFAULT false,
    default_branch         text NOT NULL DEFAULT 'main',
    html_url               text NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX github_repositories_platform_connection_id_idx
    ON github_repositories (platform_connection_id);
CREATE UNIQUE INDEX github_repositories_github_repo_id_idx
    ON github_repositories (github_repo_id);
CREATE INDEX github_repositories_full_name_idx ON github_repositories (full_name);

-- step: create table github_contributions
-- when: to_regclass('github_contributions') IS NULL
-- 6. github_contributions
CREATE TABLE github_contributions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform_connection_id      uuid NOT NULL REFERENCES platform_connections (id),
    date                        date NOT NULL,
    commits_count               integer NOT NULL DEFAULT 0,
    pull_requests_count         integer NOT NULL DEFAULT 0,
    issues_count                integer NOT NULL DEFAULT 0,
    repositories_contributed_to integer NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX github_contributions_platform_connection_id_idx
    ON github_contributions (platform_connection_id);
CREATE INDEX github_contributions_date_idx ON github_contributions (date);
CREATE UNIQUE INDEX github_contributions_connection_date_idx
    ON github_contributions (platform_connection_id, date);

-- step: create table youtube_videos
-- when: to_regclass('youtube_videos') IS NULL
-- 7. youtube_videos
CREATE TABLE youtube_videos (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform_connection_id uuid NOT NULL REFERENCES platform_connections (id),
    youtube_video_id       text NOT NULL,
    title                  text NOT NULL,
    description            text,
    thumbnail_url          text,
    duration_seconds       integer,
    view_count             bigint NOT NULL DEFAULT 0,
    like_count             integer NOT NULL DEFAULT 0,
    comment_count          integer NOT NULL DEFAULT 0,
    published_at           timestamptz NOT NULL,
    synced_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX youtube_videos_platform_connection_id_idx
    ON youtube_videos (platform_connection_id);
CREATE UNIQUE INDEX youtube_videos_youtube_video_id_idx
    ON youtube_videos (youtube_video_id);
CREATE INDEX youtube_videos_published_at_idx ON youtube_videos (published_at);

-- step: create table youtube_channel_stats
-- when: to_regclass('youtube_channel_stats') IS NULL
-- 8. youtube_channel_stats
CREATE TABLE youtube_channel_stats (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform_connection_id uuid NOT NULL REFERENCES platform_connections (id),
    date                   date NOT NULL,
    subscriber_count       bigint NOT NULL DEFAULT 0,
    total_views            bigint NOT NULL DEFAULT 0,
    video_count            integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX youtube_channel_stats_platform_connection_id_idx
    ON youtube_channel_stats (platform_connection_id);
CREATE INDEX youtube_channel_stats_date_idx ON youtube_channel_stats (date);
CREATE UNIQUE INDEX youtube_channel_stats_connection_date_idx
    ON youtube_channel_stats (platform_connection_id, date);

-- step: create table devto_articles
-- when: to_regclass('devto_articles') IS NULL
-- 9. devto_articles
CREATE TABLE devto_articles (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform_connection_id uuid NOT NULL REFERENCES platform_connections (id),
    devto_article_id       integer NOT NULL,
    title                  text NOT NULL,
    description            text,
    published_at           timestamptz,
    reading_time_minutes   integer,
    view_count             integer NOT NULL DEFAULT 0,
    reaction_count         integer NOT NULL DEFAULT 0,
    comment_count          integer NOT NULL DEFAULT 0,
    url                    text NOT NULL,
    tags                   text[],
    synced_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devto_articles_platform_connection_id_idx
    ON devto_articles (platform_connection_id);
CREATE UNIQUE INDEX devto_articles_devto_article_id_idx
    ON devto_articles (devto_article_id);
CREATE INDEX devto_articles_published_at_idx ON devto_articles (published_at);
CREATE INDEX devto_articles_tags_idx ON devto_articles USING gin (tags);

-- step: create table analytics_snapshots
-- when: to_regclass('analytics_snapshots') IS NULL
-- 10. analytics_snapshots
CREATE TABLE analytics_snapshots (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES profiles (id),
    workspace_id  uuid REFERENCES workspaces (id),
    platform      text NOT NULL,
    snapshot_type text NOT NULL,
    snapshot_date date NOT NULL,
    metrics       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_snapshots_user_id_idx ON analytics_snapshots (user_id);
CREATE INDEX analytics_snapshots_workspace_id_idx ON analytics_snapshots (workspace_id);
CREATE INDEX analytics_snapshots_platform_idx ON analytics_snapshots (platform);
CREATE INDEX analytics_snapshots_date_idx ON analytics_snapshots (snapshot_date);
-- SPEC.md section 5: the seed's unique index cannot hold a personal and a
-- workspace row of the same owner, so it becomes two partial unique indexes.
-- The personal one keeps the seed's name.
CREATE UNIQUE INDEX analytics_snapshots_user_platform_date_idx
    ON analytics_snapshots (user_id, platform, snapshot_date, snapshot_type)
    WHERE workspace_id IS NULL;
CREATE UNIQUE INDEX analytics_snapshots_workspace_platform_date_idx
    ON analytics_snapshots (workspace_id, platform, snapshot_date, snapshot_type)
    WHERE workspace_id IS NOT NULL;

-- Clients read their own personal rows and those of every workspace they own
-- or belong to, and write nothing.  Supabase grants its API roles everything
-- on new public tables by default; TRUNCATE would ignore row level security.
ALTER TABLE analytics_snapshots ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON analytics_snapshots FROM PUBLIC, authenticated;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON analytics_snapshots FROM anon;
    END IF;
END $$;
GRANT SELECT ON analytics_snapshots TO authenticated;
CREATE POLICY devpulse_etl_client_read ON analytics_snapshots FOR SELECT TO authenticated
    USING (CASE WHEN workspace_id IS NULL THEN user_id = auth.uid()
                ELSE devpulse_etl.reads_workspace(workspace_id) END);

-- step: create table goals
-- when: to_regclass('goals') IS NULL
-- 11. goals
CREATE TABLE goals (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES profiles (id),
    workspace_id  uuid REFERENCES workspaces (id),
    platform      text NOT NULL,
    goal_type     text NOT NULL,
    target_value  numeric NOT NULL,
    current_value numeric NOT NULL DEFAULT 0,
    unit          text NOT NULL,
    start_date    date NOT NULL,
    end_date      date,
    is_achieved   boolean NOT NULL DEFAULT false,
    achieved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_user_id_idx ON goals (user_id);
CREATE INDEX goals_workspace_id_idx ON goals (workspace_id);
CREATE INDEX goals_platform_idx ON goals (platform);
CREATE INDEX goals_is_achieved_idx ON goals (is_achieved);
CREATE INDEX goals_user_active_idx ON goals (user_id, is_achieved)
    WHERE is_achieved = false;

-- Clients read their own personal rows and those of every workspace they own
-- or belong to, and write nothing.  Supabase grants its API roles everything
-- on new public tables by default; TRUNCATE would ignore row level security.
ALTER TABLE goals ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON goals FROM PUBLIC, authenticated;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON goals FROM anon;
    END IF;
END $$;
GRANT SELECT ON goals TO authenticated;
CREATE POLICY devpulse_etl_client_read ON goals FOR SELECT TO authenticated
    USING (CASE WHEN workspace_id IS NULL THEN user_id = auth.uid()
                ELSE devpulse_etl.reads_workspace(workspace_id) END);
