-- bench/sql/nightly_rows.sql: copies the rows of analytics_snapshots that a
-- nightly run at as_of with lookback owns (SPEC.md section 6: per subject the
-- daily buckets of the lookback days ending at its cutoff day, and the weeks
-- and months containing one of them) into bench.nightly_rows.  bench/run
-- uses it to dump the nightly row set for the limit and to compare the
-- peer's nightly with the engine's.
--
--   psql -v as_of=TS -v lookback=N -f nightly_rows.sql
\set ON_ERROR_STOP on
BEGIN;
\ir subjects.sql

CREATE TEMP TABLE nightly_range AS
SELECT subj, user_id, workspace_id, cutoff, lo,
       least(lo - (extract(isodow FROM lo)::int - 1),
             date_trunc('month', lo::timestamp)::date) AS first_bucket
FROM (SELECT s.*, s.cutoff - (:'lookback'::int - 1) AS lo FROM subj s) s;

DROP TABLE IF EXISTS bench.nightly_rows CASCADE;   -- and bench/run's view on it
CREATE TABLE bench.nightly_rows AS
SELECT a.id, a.user_id, a.workspace_id, a.platform, a.snapshot_type, a.snapshot_date, a.metrics
FROM analytics_snapshots a
JOIN nightly_range s
  ON (s.workspace_id IS NULL, coalesce(s.workspace_id, s.user_id))
   = (a.workspace_id IS NULL, coalesce(a.workspace_id, a.user_id))
WHERE a.snapshot_date >= (SELECT min(first_bucket) FROM nightly_range)
  AND a.snapshot_date <= s.cutoff
  AND CASE a.snapshot_type
          WHEN 'daily' THEN a.snapshot_date >= s.lo
          WHEN 'weekly' THEN a.snapshot_date >= s.lo - (extract(isodow FROM s.lo)::int - 1)
          ELSE a.snapshot_date >= date_trunc('month', s.lo::timestamp)::date
      END;
COMMIT;
