-- 003_privileges.sql: least privilege for the engine (README: "Least
-- privilege and Supabase").
--
-- devpulse_etl is a NOLOGIN group role (created by 001_schema.sql): the
-- operator grants it to the login the engine connects as (GRANT devpulse_etl
-- TO etl_login).  It reads the source tables (never access_token or
-- refresh_token, nor profile details), inserts and updates
-- analytics_snapshots, updates only the computed columns of goals, and owns
-- the run ledger.  Its grants, and its policies on every table it uses
-- (devpulse_etl_read, devpulse_etl_write: USING (true), so that row level
-- security on an app's tables hides nothing from it), are made by
-- src/migrate_access.c (and include/schema.h's tables), each only when missing.
--
-- The steps below rename what earlier versions of this file created under
-- names an app could use too.  An app's policy of the same name is never
-- touched: the old ones are found by what they are (the engine's role, the
-- engine's function), not by name alone.

-- step: rename policy engine_all on analytics_snapshots to devpulse_etl_write
-- when: EXISTS (SELECT FROM pg_policy p JOIN pg_roles r ON p.polroles = ARRAY[r.oid]
-- when:         WHERE p.polname = 'engine_all' AND r.rolname = 'devpulse_etl'
-- when:           AND p.polrelid = to_regclass('analytics_snapshots'))
ALTER POLICY engine_all ON analytics_snapshots RENAME TO devpulse_etl_write;

-- step: rename policy engine_all on goals to devpulse_etl_write
-- when: EXISTS (SELECT FROM pg_policy p JOIN pg_roles r ON p.polroles = ARRAY[r.oid]
-- when:         WHERE p.polname = 'engine_all' AND r.rolname = 'devpulse_etl'
-- when:           AND p.polrelid = to_regclass('goals'))
ALTER POLICY engine_all ON goals RENAME TO devpulse_etl_write;

-- step: rename policy read_own_and_workspaces on analytics_snapshots to devpulse_etl_client_read
-- when: EXISTS (SELECT FROM pg_policy WHERE polname = 'read_own_and_workspaces'
-- when:           AND polrelid = to_regclass('analytics_snapshots')
-- when:           AND pg_get_expr(polqual, polrelid) LIKE '%devpulse_etl.reads_workspace(%')
ALTER POLICY read_own_and_workspaces ON analytics_snapshots RENAME TO devpulse_etl_client_read;

-- step: rename policy read_own_and_workspaces on goals to devpulse_etl_client_read
-- when: EXISTS (SELECT FROM pg_policy WHERE polname = 'read_own_and_workspaces'
-- when:           AND polrelid = to_regclass('goals')
-- when:           AND pg_get_expr(polqual, polrelid) LIKE '%devpulse_etl.reads_workspace(%')
ALTER POLICY read_own_and_workspaces ON goals RENAME TO devpulse_etl_client_read;
