-- bench/sql/backfill.sql: the SQL peer of `devpulse-etl backfill` (SPEC.md
-- section 6), as a user would schedule it with pg_cron: set-based
-- statements in one transaction, no procedural code.
--
--   psql -v ON_ERROR_STOP=1 -v as_of=TS -v from=DATE -v to=DATE -f backfill.sql
--
-- Writes every daily bucket of from .. min(to, cutoff) per subject and every
-- weekly and monthly bucket containing one of those days; existing rows are
-- kept (ON CONFLICT DO NOTHING on either partial unique index).  Goals are
-- not touched.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL work_mem = '256MB';
SET LOCAL jit = off;

SELECT set_config('bench.bad_range', (:'from'::date > :'to'::date)::text, true);
DO $$ BEGIN
    IF current_setting('bench.bad_range')::boolean THEN
        RAISE EXCEPTION 'backfill: from is after to';
    END IF;
END $$;

\ir subjects.sql
\ir scope.sql

-- The range of each subject, cut at its cutoff day; empty ranges write nothing.
CREATE TEMP TABLE rng AS
SELECT subj, :'from'::date AS lo, least(:'to'::date, cutoff) AS hi
FROM subj
WHERE :'from'::date <= least(:'to'::date, cutoff);
CREATE TEMP TABLE extra_pt (subj int, day date);

\ir snapshots.sql

INSERT INTO analytics_snapshots (user_id, workspace_id, platform, snapshot_type,
                                 snapshot_date, metrics)
SELECT user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics FROM snap
ON CONFLICT DO NOTHING;

COMMIT;
