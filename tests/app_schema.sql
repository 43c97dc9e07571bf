-- tests/app_schema.sql: a database as the DevPulse app makes it from the
-- seed (shared/seed/database-schema.md), before devpulse-etl ever ran: the
-- seed's tables and indexes (its non-partial unique index on
-- analytics_snapshots included, no CHECK constraints), and an updated_at
-- trigger of the app's.  Used by tests/test_adopt.c; with
-- tests/app_supabase.sql before it and tests/app_rls.sql after it, the
-- database is the one a Supabase app ships.

CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY);

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
CREATE INDEX profiles_id_idx ON profiles (id);

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

CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id      uuid NOT NULL REFERENCES profiles (id),
    role         text NOT NULL DEFAULT 'member',
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);

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
-- The seed's unique index, as the seed has it (not SPEC.md section 5's).
CREATE UNIQUE INDEX analytics_snapshots_user_platform_date_idx
    ON analytics_snapshots (user_id, platform, snapshot_date, snapshot_type);

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

-- The app keeps updated_at current (Supabase's moddatetime does the same).
CREATE FUNCTION public.handle_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END $$;
CREATE TRIGGER profiles_updated_at BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION public.handle_updated_at();
CREATE TRIGGER workspaces_updated_at BEFORE UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION public.handle_updated_at();
CREATE TRIGGER platform_connections_updated_at BEFORE UPDATE ON platform_connections
    FOR EACH ROW EXECUTE FUNCTION public.handle_updated_at();
CREATE TRIGGER monitors_updated_at BEFORE UPDATE ON monitors
    FOR EACH ROW EXECUTE FUNCTION public.handle_updated_at();
