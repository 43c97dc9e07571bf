-- bench/sql/subjects.sql: subjects, their zone and cutoff day (SPEC.md
-- section 1).  Part of the SQL peer (nightly.sql and backfill.sql include it
-- with \ir, and so does nightly_rows.sql); runs inside their transaction.
--
-- psql variables: as_of (timestamptz text).
-- Creates the temporary table subj (subj, user_id, workspace_id, zone,
-- cutoff), one row per subject: every profile, then every workspace.

-- pg_timezone_names reads the zone files on every scan: read it once.
CREATE TEMP TABLE tz_name AS
SELECT DISTINCT name FROM pg_timezone_names;

-- Personal subjects, then workspaces (rows carry the owner's user_id).  A
-- zone is valid only when equal, byte for byte, to a pg_timezone_names name
-- (the database collation is deterministic); anything else counts as UTC.
CREATE TEMP TABLE subj AS
WITH profile_zone AS (
    SELECT p.id, CASE WHEN z.name IS NULL THEN 'UTC' ELSE p.timezone END AS zone
    FROM profiles p LEFT JOIN tz_name z ON z.name = p.timezone
), s AS (
    SELECT id AS user_id, NULL::uuid AS workspace_id, zone FROM profile_zone
    UNION ALL
    SELECT w.owner_id, w.id, pz.zone
    FROM workspaces w JOIN profile_zone pz ON pz.id = w.owner_id
)
SELECT (row_number() OVER (ORDER BY workspace_id NULLS FIRST, user_id))::int AS subj,
       user_id, workspace_id, zone,
       (:'as_of'::timestamptz AT TIME ZONE zone)::date - 1 AS cutoff
FROM s;
ANALYZE subj;
