-- tests/app_rls.sql: the app's own row level security, as a Supabase app
-- turns it on for every table its API exposes, source tables included, with
-- policies keyed on auth.uid().  A login that none of them names reads
-- nothing here, silently (policies without TO apply to PUBLIC, so to any
-- login, and let it see only the rows of the user in its JWT: none).

ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE monitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE github_repositories ENABLE ROW LEVEL SECURITY;
ALTER TABLE github_contributions ENABLE ROW LEVEL SECURITY;
ALTER TABLE youtube_videos ENABLE ROW LEVEL SECURITY;
ALTER TABLE youtube_channel_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE devto_articles ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE goals ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Profiles are readable by their user" ON profiles
    FOR SELECT USING (auth.uid() = id);
CREATE POLICY "Users update their own profile" ON profiles
    FOR UPDATE TO authenticated USING (auth.uid() = id);
CREATE POLICY "Owners manage their workspaces" ON workspaces
    FOR ALL TO authenticated USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());
CREATE POLICY "Members see their memberships" ON workspace_members
    FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY "Users manage their connections" ON platform_connections
    FOR ALL TO authenticated USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
-- Tokens only with a second factor: restrictive, and only for the API role.
CREATE POLICY "Connections need aal2" ON platform_connections AS RESTRICTIVE
    FOR ALL TO authenticated USING (coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2');
CREATE POLICY "Users manage their monitors" ON monitors
    FOR ALL TO authenticated USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
CREATE POLICY "Users read their repositories" ON github_repositories
    FOR SELECT USING (EXISTS (SELECT 1 FROM platform_connections c
                              WHERE c.id = platform_connection_id AND c.user_id = auth.uid()));
CREATE POLICY "Users read their contributions" ON github_contributions
    FOR SELECT USING (EXISTS (SELECT 1 FROM platform_connections c
                              WHERE c.id = platform_connection_id AND c.user_id = auth.uid()));
CREATE POLICY "Users read their videos" ON youtube_videos
    FOR SELECT USING (EXISTS (SELECT 1 FROM platform_connections c
                              WHERE c.id = platform_connection_id AND c.user_id = auth.uid()));
CREATE POLICY "Users read their channel stats" ON youtube_channel_stats
    FOR SELECT USING (EXISTS (SELECT 1 FROM platform_connections c
                              WHERE c.id = platform_connection_id AND c.user_id = auth.uid()));
CREATE POLICY "Users read their articles" ON devto_articles
    FOR SELECT USING (EXISTS (SELECT 1 FROM platform_connections c
                              WHERE c.id = platform_connection_id AND c.user_id = auth.uid()));
CREATE POLICY "Users read their snapshots" ON analytics_snapshots
    FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY "Users manage their goals" ON goals
    FOR ALL TO authenticated USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
