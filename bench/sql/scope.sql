-- bench/sql/scope.sql: what each subject covers (SPEC.md section 3).  Part
-- of the SQL peer, included after subjects.sql.
--
-- Creates (temporary tables, gone with the session):
--   subj_plat (subj, platform)        platforms with a live monitor in scope
--   subj_conn (subj, conn, platform)  connections covered whole (each once)
--   subj_repo (subj, repo)            repositories in scope (each row once)

-- Live monitors and the subjects whose scope they are in.
CREATE TEMP TABLE subj_mon AS
WITH live AS (
    SELECT m.user_id, m.workspace_id, m.platform, m.platform_connection_id AS conn,
           m.monitor_type, m.platform_resource_id
    FROM monitors m
    JOIN platform_connections c ON c.id = m.platform_connection_id
    WHERE m.is_active AND c.is_active
      AND m.platform = c.platform AND m.user_id = c.user_id
      AND (   (m.monitor_type IN ('all', 'user') AND m.platform IN ('github', 'youtube', 'devto'))
           OR (m.monitor_type = 'repository' AND m.platform = 'github')
           OR (m.monitor_type = 'channel' AND m.platform = 'youtube'))
)
SELECT s.subj, l.platform, l.conn, l.monitor_type, l.platform_resource_id
FROM live l JOIN subj s ON s.workspace_id IS NULL AND s.user_id = l.user_id
UNION ALL
SELECT s.subj, l.platform, l.conn, l.monitor_type, l.platform_resource_id
FROM live l JOIN subj s ON s.workspace_id = l.workspace_id
WHERE l.user_id = s.user_id
   OR EXISTS (SELECT 1 FROM workspace_members wm
              WHERE wm.workspace_id = l.workspace_id AND wm.user_id = l.user_id);

CREATE TEMP TABLE subj_plat AS
SELECT DISTINCT subj, platform FROM subj_mon;

-- all / user / channel monitors cover every row of their connection.
CREATE TEMP TABLE subj_conn AS
SELECT DISTINCT subj, conn, platform FROM subj_mon WHERE monitor_type <> 'repository';

-- Repositories by row: those of covered connections, and those a repository
-- monitor names by github_repo_id.
CREATE TEMP TABLE subj_repo AS
SELECT sc.subj, r.id AS repo
FROM subj_conn sc JOIN github_repositories r ON r.platform_connection_id = sc.conn
WHERE sc.platform = 'github'
UNION
SELECT sm.subj, r.id
FROM subj_mon sm JOIN github_repositories r ON r.platform_connection_id = sm.conn
WHERE sm.monitor_type = 'repository' AND r.github_repo_id::text = sm.platform_resource_id;

ANALYZE subj_plat, subj_conn, subj_repo;
