-- 004_operations.sql: what an operator needs (README: "Operating it").
--
-- Every run leaves a row in the ledger: a run refused by the lock is
-- 'skipped' (blocked_by: the run that held it, by the ledger), and a run that
-- failed or was cancelled before it held the lock is recorded with
-- held_lock false, so that `backfill --resume` never takes it for work done.
-- Each row says which build ran it (engine_version) and, once the run has
-- planned its work, how many subjects it has to do (subjects_total).
--
-- devpulse_etl_monitor is a NOLOGIN group role for monitoring logins: it
-- reads the ledger and calls devpulse_etl.freshness(), which returns counts
-- only, never a row of analytics_snapshots (RLS keeps those from it).

-- step: allow the ledger status 'skipped'
-- when: NOT EXISTS (SELECT FROM pg_constraint
-- when:             WHERE conrelid = to_regclass('devpulse_etl.runs') AND contype = 'c'
-- when:               AND pg_get_constraintdef(oid) LIKE '%skipped%')
ALTER TABLE devpulse_etl.runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE devpulse_etl.runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'skipped'));

-- step: add the ledger columns engine_version, subjects_total, held_lock, blocked_by
-- when: NOT EXISTS (SELECT FROM pg_attribute
-- when:             WHERE attrelid = to_regclass('devpulse_etl.runs')
-- when:               AND attname = 'engine_version' AND NOT attisdropped)
ALTER TABLE devpulse_etl.runs
    ADD COLUMN engine_version text,
    ADD COLUMN subjects_total integer,
    ADD COLUMN held_lock boolean NOT NULL DEFAULT true,
    ADD COLUMN blocked_by bigint REFERENCES devpulse_etl.runs (id) ON DELETE SET NULL;

-- Per snapshot type: the subjects (profiles and workspaces), those with no
-- row of that type, and those whose latest bucket (platform 'all', which
-- every subject with rows has) is older than the bucket of the cutoff day a
-- nightly run at as_of would compute: the subject's local date of as_of
-- minus one, in its zone (a workspace: its owner's; NULL, empty or unknown
-- zone names count as UTC, as for the engine, SPEC.md section 1).
-- step: create function devpulse_etl.freshness(timestamptz)
-- when: to_regprocedure('devpulse_etl.freshness(timestamptz)') IS NULL
CREATE FUNCTION devpulse_etl.freshness(as_of timestamptz DEFAULT now())
RETURNS TABLE (snapshot_type text, subjects bigint, without_snapshots bigint, behind bigint,
               oldest_latest date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
-- One index probe per subject and type: compiling it (JIT) costs more than
-- it saves (22,000 subjects, 2.1 million rows, a loaded 2-core machine:
-- 1.2 to 1.6 s without, 1.5 to 2.7 s with, three runs each).
SET jit = off AS $$
    WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names),
    subjects AS (
        SELECT p.id AS user_id, NULL::uuid AS workspace_id, p.timezone AS tz FROM profiles p
        UNION ALL
        SELECT w.owner_id, w.id, p.timezone FROM workspaces w JOIN profiles p ON p.id = w.owner_id
    ),
    cutoffs AS (
        SELECT s.user_id, s.workspace_id,
               (as_of AT TIME ZONE CASE WHEN s.tz IN (SELECT name FROM zones) THEN s.tz
                                        ELSE 'UTC' END)::date - 1 AS cutoff
        FROM subjects s
    ),
    types (snapshot_type) AS (VALUES ('daily'), ('weekly'), ('monthly')),
    latest AS (
        SELECT t.snapshot_type,
               CASE t.snapshot_type
                   WHEN 'daily' THEN c.cutoff
                   WHEN 'weekly' THEN c.cutoff - (extract(isodow FROM c.cutoff)::int - 1)
                   ELSE c.cutoff - (extract(day FROM c.cutoff)::int - 1)
               END AS bucket,
               CASE WHEN c.workspace_id IS NULL THEN
                   (SELECT max(a.snapshot_date) FROM analytics_snapshots a
                    WHERE a.user_id = c.user_id AND a.workspace_id IS NULL
                      AND a.platform = 'all' AND a.snapshot_type = t.snapshot_type)
               ELSE
                   (SELECT max(a.snapshot_date) FROM analytics_snapshots a
                    WHERE a.workspace_id = c.workspace_id
                      AND a.platform = 'all' AND a.snapshot_type = t.snapshot_type)
               END AS latest
        FROM cutoffs c CROSS JOIN types t
    )
    SELECT t.snapshot_type, count(l.snapshot_type), count(*) FILTER (WHERE l.snapshot_type IS NOT NULL AND l.latest IS NULL),
           count(*) FILTER (WHERE l.latest < l.bucket), min(l.latest)
    FROM types t LEFT JOIN latest l USING (snapshot_type)
    GROUP BY t.snapshot_type
    ORDER BY min(CASE t.snapshot_type WHEN 'daily' THEN 1 WHEN 'weekly' THEN 2 ELSE 3 END)
$$;
REVOKE ALL ON FUNCTION devpulse_etl.freshness(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devpulse_etl.freshness(timestamptz) TO devpulse_etl;

-- step: create role devpulse_etl_monitor
-- when: NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devpulse_etl_monitor')
-- Roles belong to the cluster: another database may be creating it now.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devpulse_etl_monitor') THEN
        BEGIN
            CREATE ROLE devpulse_etl_monitor NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END $$;

-- step: grant devpulse_etl_monitor the ledger and devpulse_etl.freshness()
-- when: CASE WHEN NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devpulse_etl_monitor')
-- when:        OR to_regclass('devpulse_etl.runs') IS NULL
-- when:        OR to_regprocedure('devpulse_etl.freshness(timestamptz)') IS NULL THEN true
-- when:      ELSE NOT (has_schema_privilege('devpulse_etl_monitor', 'devpulse_etl', 'USAGE')
-- when:                AND has_table_privilege('devpulse_etl_monitor', 'devpulse_etl.runs', 'SELECT')
-- when:                AND has_table_privilege('devpulse_etl_monitor',
-- when:                                        'devpulse_etl.schema_migrations', 'SELECT')
-- when:                AND has_function_privilege('devpulse_etl_monitor',
-- when:                                           'devpulse_etl.freshness(timestamptz)', 'EXECUTE'))
-- when: END
GRANT USAGE ON SCHEMA devpulse_etl TO devpulse_etl_monitor;
GRANT SELECT ON devpulse_etl.runs, devpulse_etl.schema_migrations TO devpulse_etl_monitor;
GRANT EXECUTE ON FUNCTION devpulse_etl.freshness(timestamptz) TO devpulse_etl_monitor;
