-- bench/sql/nightly.sql: the SQL peer of `devpulse-etl nightly` (SPEC.md
-- sections 6 and 7), as a user would schedule it with pg_cron: set-based
-- statements in one transaction, no procedural code.
--
--   psql -v ON_ERROR_STOP=1 -v as_of=TS -v lookback=N -f nightly.sql
--
-- Upserts, per subject, the daily buckets of the lookback days ending at its
-- cutoff day and every weekly and monthly bucket containing one of them
-- (unchanged rows are not rewritten); then recomputes every goal.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL work_mem = '256MB';
SET LOCAL jit = off;

SELECT set_config('bench.bad_lookback', (:'lookback'::int < 1)::text, true);
DO $$ BEGIN
    IF current_setting('bench.bad_lookback')::boolean THEN
        RAISE EXCEPTION 'nightly: lookback must be at least 1';
    END IF;
END $$;

\ir subjects.sql
\ir scope.sql

CREATE TEMP TABLE rng AS
SELECT subj, cutoff - (:'lookback'::int - 1) AS lo, cutoff AS hi FROM subj;

-- Goals (section 7).  The pairs SPEC.md knows; 'all' reads every platform
-- that defines the goal type.
CREATE TEMP TABLE goal_pair AS
WITH p(platform, goal_type, flow) AS (VALUES
    ('github', 'stars', false), ('github', 'forks', false),
    ('github', 'watchers', false), ('github', 'repositories', false),
    ('github', 'commits', true), ('github', 'pull_requests', true),
    ('github', 'issues', true),
    ('youtube', 'subscribers', false), ('youtube', 'views', false),
    ('youtube', 'videos', false), ('youtube', 'likes', false),
    ('youtube', 'comments', false),
    ('devto', 'views', false), ('devto', 'reactions', false),
    ('devto', 'articles', false), ('devto', 'comments', false))
SELECT * FROM p
UNION
SELECT 'all', goal_type, flow FROM p;

-- Each goal with its subject, evaluation day and status (rules 1 and 2).
CREATE TEMP TABLE goal_eval AS
SELECT g.*,
       CASE WHEN x.flow IS NULL
              OR g.unit NOT IN ('count', 'percentage')
              OR (g.unit = 'percentage' AND x.flow)
              OR g.target_value < 0
              OR g.end_date < g.start_date THEN 'skip'
            WHEN g.start_date > g.eval_day THEN 'zero'
            ELSE 'compute' END AS status,
       coalesce(x.flow, false) AS flow
FROM (SELECT gl.id, gl.platform, gl.goal_type, gl.unit, gl.target_value,
             gl.start_date, gl.end_date, s.subj,
             least(coalesce(gl.end_date, s.cutoff), s.cutoff) AS eval_day
      FROM goals gl
      JOIN subj s ON (s.workspace_id IS NULL, coalesce(s.workspace_id, s.user_id))
                   = (gl.workspace_id IS NULL, coalesce(gl.workspace_id, gl.user_id))) g
LEFT JOIN goal_pair x ON x.platform = g.platform AND x.goal_type = g.goal_type;

-- Goals want the running totals at the day before start_date and at the
-- evaluation day.
CREATE TEMP TABLE extra_pt AS
SELECT subj, start_date - 1 AS day FROM goal_eval WHERE status = 'compute'
UNION
SELECT subj, eval_day FROM goal_eval WHERE status = 'compute';

\ir snapshots.sql
CREATE TEMP TABLE snap_rows AS SELECT * FROM snap;

INSERT INTO analytics_snapshots AS a (user_id, workspace_id, platform, snapshot_type,
                                      snapshot_date, metrics)
SELECT user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics
FROM snap_rows WHERE workspace_id IS NULL
ON CONFLICT (user_id, platform, snapshot_date, snapshot_type) WHERE workspace_id IS NULL
DO UPDATE SET metrics = EXCLUDED.metrics
WHERE a.metrics IS DISTINCT FROM EXCLUDED.metrics;

-- A replaced workspace row takes the current owner.
INSERT INTO analytics_snapshots AS a (user_id, workspace_id, platform, snapshot_type,
                                      snapshot_date, metrics)
SELECT user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics
FROM snap_rows WHERE workspace_id IS NOT NULL
ON CONFLICT (workspace_id, platform, snapshot_date, snapshot_type) WHERE workspace_id IS NOT NULL
DO UPDATE SET metrics = EXCLUDED.metrics, user_id = EXCLUDED.user_id
WHERE (a.metrics, a.user_id) IS DISTINCT FROM (EXCLUDED.metrics, EXCLUDED.user_id);

-- Goal values (rules 2-4): v as of the evaluation day, b as of the day
-- before start_date; a flow is v - b, a stock v, a percentage
-- round(100 (v - b) / b, 2), skipped when b = 0.
CREATE TEMP TABLE goal_value AS
WITH point AS (
    SELECT g.id, p.role,
           CASE g.goal_type
               WHEN 'stars' THEN c.c_stars WHEN 'forks' THEN c.c_forks
               WHEN 'watchers' THEN c.c_watchers WHEN 'repositories' THEN c.c_repos
               WHEN 'commits' THEN c.c_commits WHEN 'pull_requests' THEN c.c_prs
               WHEN 'issues' THEN c.c_issues WHEN 'subscribers' THEN c.c_subs
               WHEN 'videos' THEN c.c_videos WHEN 'likes' THEN c.c_vlikes
               WHEN 'reactions' THEN c.c_areactions WHEN 'articles' THEN c.c_articles
               WHEN 'views' THEN CASE g.platform WHEN 'youtube' THEN c.c_views
                                   WHEN 'devto' THEN c.c_aviews
                                   ELSE c.c_views + c.c_aviews END
               WHEN 'comments' THEN CASE g.platform WHEN 'youtube' THEN c.c_vcomments
                                      WHEN 'devto' THEN c.c_acomments
                                      ELSE c.c_vcomments + c.c_acomments END
           END AS value
    FROM goal_eval g
    CROSS JOIN LATERAL (VALUES ('v', g.eval_day), ('b', g.start_date - 1)) p(role, day)
    LEFT JOIN cum c ON c.subj = g.subj AND c.day = p.day
    WHERE g.status = 'compute'
), vb AS (
    SELECT id, coalesce(sum(value) FILTER (WHERE role = 'v'), 0) AS v,
               coalesce(sum(value) FILTER (WHERE role = 'b'), 0) AS b
    FROM point GROUP BY id
)
SELECT g.id,
       CASE WHEN g.status = 'zero' THEN 0
            WHEN g.unit = 'count' AND g.flow THEN vb.v - vb.b
            WHEN g.unit = 'count' THEN vb.v
            ELSE round(100 * (vb.v - vb.b) / vb.b::numeric, 2) END AS current_value
FROM goal_eval g LEFT JOIN vb USING (id)
WHERE g.status = 'zero'
   OR (g.status = 'compute' AND NOT (g.unit = 'percentage' AND vb.b = 0));

-- is_achieved never turns false; achieved_at is set the first time the goal
-- is seen achieved; a row is written only when something changes.
UPDATE goals g
SET current_value = n.current_value,
    is_achieved = n.achieved,
    achieved_at = CASE WHEN g.achieved_at IS NULL AND n.achieved
                       THEN :'as_of'::timestamptz ELSE g.achieved_at END,
    updated_at = :'as_of'::timestamptz
FROM (SELECT v.id, v.current_value, gl.is_achieved OR v.current_value >= gl.target_value AS achieved
      FROM goal_value v JOIN goals gl USING (id)) n
WHERE g.id = n.id
  AND (g.current_value <> n.current_value OR g.is_achieved <> n.achieved
       OR (g.achieved_at IS NULL AND n.achieved));

COMMIT;
