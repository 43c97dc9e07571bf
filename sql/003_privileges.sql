-- 003_privileges.sql: least privilege for the engine, and row level security
-- for Supabase clients (README: "Least privilege and Supabase").
--
-- devpulse_etl is a NOLOGIN group role: the operator grants it to the login
-- the engine connects as (GRANT devpulse_etl TO etl_login).  It reads the
-- source tables (never access_token or refresh_token, nor profile details),
-- inserts and updates analytics_snapshots, updates only the computed columns
-- of goals, and owns the run ledger.
--
-- Supabase clients connect as `authenticated`, with auth.uid() the user's id.
-- Under RLS they read their own personal rows and the rows of the workspaces
-- they own or belong to, nothing else; they write nothing here.  The engine
-- (a member of devpulse_etl, or the tables' owner) is not affected.
-- On plain PostgreSQL, `authenticated` and auth.uid() are created when absent
-- (auth.uid() reads request.jwt.claims as PostgREST sets it); on Supabase the
-- existing ones are used unchanged.

-- Roles belong to the cluster, not the database: another database of the
-- same cluster may be creating them at this moment.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devpulse_etl') THEN
        BEGIN
            CREATE ROLE devpulse_etl NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        BEGIN
            CREATE ROLE authenticated NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    -- As Supabase's: a setting once set in a session reads '' afterwards.
    IF to_regprocedure('auth.uid()') IS NULL THEN
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
            SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
        $f$;
    END IF;
END $$;

-- The engine.
GRANT USAGE ON SCHEMA public, devpulse_etl TO devpulse_etl;
GRANT SELECT ON devpulse_etl.schema_migrations TO devpulse_etl;
GRANT SELECT (id, timezone) ON profiles TO devpulse_etl;
GRANT SELECT (id, owner_id) ON workspaces TO devpulse_etl;
GRANT SELECT (workspace_id, user_id) ON workspace_members TO devpulse_etl;
GRANT SELECT (id, user_id, platform, is_active) ON platform_connections TO devpulse_etl;
GRANT SELECT ON monitors, github_repositories, github_contributions, youtube_videos,
                youtube_channel_stats, devto_articles TO devpulse_etl;
GRANT SELECT, INSERT, UPDATE ON analytics_snapshots TO devpulse_etl;
GRANT SELECT ON goals TO devpulse_etl;
GRANT UPDATE (current_value, is_achieved, achieved_at, updated_at) ON goals TO devpulse_etl;
GRANT SELECT, INSERT, UPDATE, DELETE ON devpulse_etl.runs TO devpulse_etl;
GRANT USAGE ON SEQUENCE devpulse_etl.runs_id_seq TO devpulse_etl;
-- Owning the ledger needs membership in the role (always true for a
-- superuser); where the migrating role lacks it, the grants above suffice.
DO $$
BEGIN
    IF pg_has_role(current_user, 'devpulse_etl', 'USAGE') THEN
        ALTER TABLE devpulse_etl.runs OWNER TO devpulse_etl;
    END IF;
END $$;

-- Supabase clients.
CREATE FUNCTION devpulse_etl.reads_workspace(ws uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ws AND w.owner_id = auth.uid())
        OR EXISTS (SELECT 1 FROM workspace_members m
                   WHERE m.workspace_id = ws AND m.user_id = auth.uid())
$$;
REVOKE ALL ON FUNCTION devpulse_etl.reads_workspace(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA devpulse_etl TO authenticated;
GRANT EXECUTE ON FUNCTION devpulse_etl.reads_workspace(uuid) TO authenticated;
-- Supabase grants its API roles everything on public tables by default;
-- TRUNCATE would ignore row level security.  Clients only read these.
REVOKE ALL ON analytics_snapshots, goals FROM PUBLIC, authenticated;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON analytics_snapshots, goals FROM anon;
    END IF;
END $$;
GRANT SELECT ON analytics_snapshots, goals TO authenticated;

ALTER TABLE analytics_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE goals ENABLE ROW LEVEL SECURITY;
CREATE POLICY engine_all ON analytics_snapshots TO devpulse_etl USING (true) WITH CHECK (true);
CREATE POLICY engine_all ON goals TO devpulse_etl USING (true) WITH CHECK (true);
CREATE POLICY read_own_and_workspaces ON analytics_snapshots FOR SELECT TO authenticated
    USING (CASE WHEN workspace_id IS NULL THEN user_id = auth.uid()
                ELSE devpulse_etl.reads_workspace(workspace_id) END);
CREATE POLICY read_own_and_workspaces ON goals FOR SELECT TO authenticated
    USING (CASE WHEN workspace_id IS NULL THEN user_id = auth.uid()
                ELSE devpulse_etl.reads_workspace(workspace_id) END);
