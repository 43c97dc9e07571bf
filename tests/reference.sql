-- tests/reference.sql: an independent reference implementation, in plain SQL,
-- of SPEC.md (/work/shared/SPEC.md, "DevPulse snapshot and goal semantics").
--
-- It is written from the SPEC text alone (no engine code was read), so that
-- the C engine's output can be compared with it row by row.  Section numbers
-- in the comments ("S3") refer to SPEC.md.
--
-- Usage: psql -v ON_ERROR_STOP=1 -f tests/reference.sql  (on a database with
-- sql/001_schema.sql applied).  It (re)creates schema `ref` with:
--
--   ref.snapshots_nightly(as_of timestamptz, lookback int)
--   ref.snapshots_backfill(as_of timestamptz, from_date date, to_date date)
--       RETURNS TABLE(user_id uuid, workspace_id uuid, platform text,
--                     snapshot_type text, snapshot_date date, metrics jsonb)
--   ref.goals_after(as_of timestamptz)
--       RETURNS TABLE(id uuid, current_value numeric, is_achieved boolean,
--                     achieved_at timestamptz, updated_at timestamptz,
--                     changed boolean)
--
-- Nothing here writes to the database's tables: the functions only say what
-- a run must write.  tests/reference_selftest.sql checks them.
--
-- Building blocks, in order:
--   ref.subjects             S1  subjects, their zone and cutoff day
--   ref.live_monitors        S3  monitors that are live
--   ref.scope_monitors       S3  live monitors in each subject's scope
--   ref.scope_rows           S3  in-scope source rows with their local dates
--   ref.first_days           S5  first day per subject and platform (and 'all')
--   ref.interval_metrics     S4  metric objects of intervals [s, e]
--   ref.buckets_of_range     S2  the buckets containing a day of a range
--   ref.snapshots_core       S5,S6  buckets and rows of a run
--   ref.snapshots_nightly / ref.snapshots_backfill   S6
--   ref.goal_metric, ref.goals_after                 S7

SET client_min_messages = warning;   -- quiet the DROP ... CASCADE notices
DROP SCHEMA IF EXISTS ref CASCADE;
CREATE SCHEMA ref;

-- An interval of days [s, e] of one subject.  A bucket is the interval
-- [first day of bucket, min(last day of bucket, cutoff)] (S2, S4); a goal
-- uses [start_date, evaluation day] and, for percentages, the one-day
-- interval [start_date - 1, start_date - 1] (S7).
CREATE TYPE ref.iv AS (kind text, sid uuid, s date, e date);

------------------------------------------------------------------------------
-- S1. Subjects and time.
--
-- kind 'p': a personal subject, sid = profiles.id, zone from profiles.timezone.
-- kind 'w': a workspace subject, sid = workspaces.id, zone from the OWNER's
--           profiles.timezone.
-- A zone name is valid only when byte-for-byte equal to a name in
-- pg_timezone_names; NULL, '' and invalid names count as 'UTC'.  (The database
-- collation is deterministic, so text '=' is byte equality.)
-- cutoff = local date of as_of minus one day; local date of t is
-- (t AT TIME ZONE zone)::date.
-- user_id / workspace_id are the values the subject's snapshot rows carry (S5):
-- personal (profile, NULL); workspace (current owner, workspace).
-- subj: a number for the subject, used internally as a compact key (the
-- same in every call within one statement).
------------------------------------------------------------------------------
CREATE FUNCTION ref.subjects(as_of timestamptz)
RETURNS TABLE(subj int, kind text, sid uuid, user_id uuid, workspace_id uuid,
              zone text, cutoff date)
LANGUAGE sql STABLE AS $$
    WITH zone_names AS (
        SELECT DISTINCT z.name FROM pg_timezone_names z
    ),
    profile_zone AS (
        SELECT p.id,
               CASE WHEN zn.name IS NOT NULL THEN p.timezone ELSE 'UTC' END AS zone
        FROM profiles p
        LEFT JOIN zone_names zn ON zn.name = p.timezone
    ),
    s AS (
        SELECT 'p' AS kind, pz.id AS sid, pz.id AS user_id,
               NULL::uuid AS workspace_id, pz.zone
        FROM profile_zone pz
        UNION ALL
        SELECT 'w', w.id, w.owner_id, w.id, pz.zone
        FROM workspaces w
        JOIN profile_zone pz ON pz.id = w.owner_id
    )
    SELECT (row_number() OVER (ORDER BY s.kind, s.sid))::int,
           s.kind, s.sid, s.user_id, s.workspace_id, s.zone,
           (as_of AT TIME ZONE s.zone)::date - 1
    FROM s
$$;

------------------------------------------------------------------------------
-- S3. Live monitors: monitors.is_active and the connection's is_active;
-- monitors.platform = connection platform; monitors.user_id = connection
-- user_id; platform one of github/youtube/devto (S1) and monitor_type usable
-- on it: all/user on any of the three, repository on github only, channel on
-- youtube only.
------------------------------------------------------------------------------
CREATE FUNCTION ref.live_monitors()
RETURNS TABLE(monitor_id uuid, user_id uuid, workspace_id uuid, platform text,
              connection_id uuid, monitor_type text, platform_resource_id text)
LANGUAGE sql STABLE AS $$
    SELECT m.id, m.user_id, m.workspace_id, m.platform,
           m.platform_connection_id, m.monitor_type, m.platform_resource_id
    FROM monitors m
    JOIN platform_connections c ON c.id = m.platform_connection_id
    WHERE m.is_active
      AND c.is_active
      AND m.platform = c.platform
      AND m.user_id = c.user_id
      AND (   (m.monitor_type IN ('all', 'user')
               AND m.platform IN ('github', 'youtube', 'devto'))
           OR (m.monitor_type = 'repository' AND m.platform = 'github')
           OR (m.monitor_type = 'channel'    AND m.platform = 'youtube'))
$$;

------------------------------------------------------------------------------
-- S3. Scope: which live monitors belong to which subject.
--   personal subject P: live monitors with user_id = P (any workspace_id).
--   workspace W: live monitors with workspace_id = W whose user_id is W's
--   owner or has a workspace_members row for W.
------------------------------------------------------------------------------
CREATE FUNCTION ref.scope_monitors()
RETURNS TABLE(kind text, sid uuid, monitor_id uuid, platform text,
              connection_id uuid, monitor_type text, platform_resource_id text)
LANGUAGE sql STABLE AS $$
    SELECT 'p', lm.user_id, lm.monitor_id, lm.platform, lm.connection_id,
           lm.monitor_type, lm.platform_resource_id
    FROM ref.live_monitors() lm
    UNION ALL
    SELECT 'w', w.id, lm.monitor_id, lm.platform, lm.connection_id,
           lm.monitor_type, lm.platform_resource_id
    FROM ref.live_monitors() lm
    JOIN workspaces w ON w.id = lm.workspace_id
    WHERE lm.user_id = w.owner_id
       OR EXISTS (SELECT 1 FROM workspace_members wm
                  WHERE wm.workspace_id = w.id AND wm.user_id = lm.user_id)
$$;

------------------------------------------------------------------------------
-- S3. In-scope source rows, all five tables in one list (one branch per
-- table), each with the subject it is in scope of and its local date "day".
--
--   source        table                   resources of which live monitors
--   contribution  github_contributions    github all/user: every row of the
--                                         connection ('repository' gives none)
--   repository    github_repositories     github all/user: every repository of
--                                         the connection; github repository:
--                                         those with github_repo_id::text =
--                                         platform_resource_id
--   channel_stat  youtube_channel_stats   youtube all/user/channel: every row
--   video         youtube_videos          youtube all/user/channel: every row
--   article       devto_articles          devto all/user: every row except
--                                         drafts (published_at IS NULL)
--
-- Each resource is listed once per subject (S3 dedupe): repositories, videos
-- and articles by row, contributions and channel stats by connection (the
-- DISTINCT sets below).  day: the date column as it is for contributions and
-- channel stats; the local date of created_at / published_at otherwise
-- (S1).  Rows whose day is after the subject's cutoff are dropped here, so
-- they are ignored everywhere (S1), first days included.
--
-- Value columns (NULL where the table has no such column):
--   contribution: commits, pull_requests, issues, repositories_contributed_to
--   repository:   stars, forks, watchers, open_issues
--   channel_stat: subscribers (subscriber_count), views (total_views)
--   video:        likes (like_count), comments (comment_count)
--   article:      views (view_count), reactions (reaction_count),
--                 comments (comment_count)
------------------------------------------------------------------------------
CREATE FUNCTION ref.scope_rows(as_of timestamptz)
RETURNS TABLE(subj int, kind text, sid uuid, source text, platform text,
              row_id uuid, connection_id uuid, day date,
              commits bigint, pull_requests bigint, issues bigint,
              repositories_contributed_to bigint,
              stars bigint, forks bigint, watchers bigint, open_issues bigint,
              subscribers bigint, views bigint, likes bigint, comments bigint,
              reactions bigint)
LANGUAGE sql STABLE AS $$
    WITH subj AS MATERIALIZED (
        SELECT * FROM ref.subjects(as_of)
    ),
    sm AS MATERIALIZED (
        SELECT s.subj, m.*
        FROM ref.scope_monitors() m
        JOIN subj s ON s.kind = m.kind AND s.sid = m.sid
    ),
    -- connections whose every row of a table is in scope, per subject
    contribution_conns AS (
        SELECT DISTINCT sm.subj, sm.connection_id FROM sm
        WHERE sm.platform = 'github' AND sm.monitor_type IN ('all', 'user')
    ),
    youtube_conns AS (
        SELECT DISTINCT sm.subj, sm.connection_id FROM sm
        WHERE sm.platform = 'youtube' AND sm.monitor_type IN ('all', 'user', 'channel')
    ),
    devto_conns AS (
        SELECT DISTINCT sm.subj, sm.connection_id FROM sm
        WHERE sm.platform = 'devto' AND sm.monitor_type IN ('all', 'user')
    ),
    -- repositories in scope, per subject (by row)
    repos AS (
        SELECT DISTINCT sm.subj, r.id
        FROM sm
        JOIN github_repositories r ON r.platform_connection_id = sm.connection_id
        WHERE sm.platform = 'github'
          AND (   sm.monitor_type IN ('all', 'user')
               OR (sm.monitor_type = 'repository'
                   AND r.github_repo_id::text = sm.platform_resource_id))
    ),
    rows_localized AS (
        SELECT c.subj, 'contribution' AS source, 'github' AS platform,
               gc.id AS row_id, gc.platform_connection_id AS connection_id,
               gc.date AS day,
               gc.commits_count::bigint AS commits,
               gc.pull_requests_count::bigint AS pull_requests,
               gc.issues_count::bigint AS issues,
               gc.repositories_contributed_to::bigint AS repositories_contributed_to,
               NULL::bigint AS stars, NULL::bigint AS forks,
               NULL::bigint AS watchers, NULL::bigint AS open_issues,
               NULL::bigint AS subscribers, NULL::bigint AS views,
               NULL::bigint AS likes, NULL::bigint AS comments,
               NULL::bigint AS reactions
        FROM contribution_conns c
        JOIN github_contributions gc ON gc.platform_connection_id = c.connection_id
        UNION ALL
        SELECT rp.subj, 'repository', 'github',
               r.id, r.platform_connection_id,
               (r.created_at AT TIME ZONE s.zone)::date,
               NULL, NULL, NULL, NULL,
               r.stars_count, r.forks_count, r.watchers_count, r.open_issues_count,
               NULL, NULL, NULL, NULL, NULL
        FROM repos rp
        JOIN subj s ON s.subj = rp.subj
        JOIN github_repositories r ON r.id = rp.id
        UNION ALL
        SELECT c.subj, 'channel_stat', 'youtube',
               st.id, st.platform_connection_id,
               st.date,
               NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL,
               st.subscriber_count, st.total_views, NULL, NULL, NULL
        FROM youtube_conns c
        JOIN youtube_channel_stats st ON st.platform_connection_id = c.connection_id
        UNION ALL
        SELECT c.subj, 'video', 'youtube',
               v.id, v.platform_connection_id,
               (v.published_at AT TIME ZONE s.zone)::date,
               NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL,
               NULL, NULL, v.like_count, v.comment_count, NULL
        FROM youtube_conns c
        JOIN subj s ON s.subj = c.subj
        JOIN youtube_videos v ON v.platform_connection_id = c.connection_id
        UNION ALL
        SELECT c.subj, 'article', 'devto',
               a.id, a.platform_connection_id,
               (a.published_at AT TIME ZONE s.zone)::date,
               NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL,
               NULL, a.view_count, NULL, a.comment_count, a.reaction_count
        FROM devto_conns c
        JOIN subj s ON s.subj = c.subj
        JOIN devto_articles a ON a.platform_connection_id = c.connection_id
        WHERE a.published_at IS NOT NULL
    )
    SELECT x.subj, s.kind, s.sid, x.source, x.platform, x.row_id,
           x.connection_id, x.day,
           x.commits, x.pull_requests, x.issues, x.repositories_contributed_to,
           x.stars, x.forks, x.watchers, x.open_issues,
           x.subscribers, x.views, x.likes, x.comments, x.reactions
    FROM rows_localized x
    JOIN subj s ON s.subj = x.subj
    WHERE x.day <= s.cutoff
$$;

------------------------------------------------------------------------------
-- S5. First day of a subject for a platform: the earliest local date among
-- its in-scope rows of that platform (contribution and channel-stat dates,
-- repository created_at, video and article published_at), rows after the
-- cutoff ignored (S1).  Platform 'all': over every platform.  No row here
-- means the subject has no in-scope row of that platform.
------------------------------------------------------------------------------
CREATE FUNCTION ref.first_days(as_of timestamptz)
RETURNS TABLE(kind text, sid uuid, platform text, first_day date)
LANGUAGE sql STABLE AS $$
    WITH per_platform AS (
        SELECT r.kind, r.sid, r.platform, min(r.day) AS first_day
        FROM ref.scope_rows(as_of) r
        GROUP BY r.kind, r.sid, r.platform
    )
    SELECT pp.kind, pp.sid, pp.platform, pp.first_day FROM per_platform pp
    UNION ALL
    SELECT pp.kind, pp.sid, 'all', min(pp.first_day)
    FROM per_platform pp
    GROUP BY pp.kind, pp.sid
$$;

------------------------------------------------------------------------------
-- S4. Metrics of intervals.
--
-- For each interval [s, e] of a subject (callers guarantee s <= e and
-- e <= the subject's cutoff), one row per platform (github, youtube, devto)
-- with that platform's metric object, every key present.  "in bucket" means
-- local date in s..e; "before end" means local date <= e.
--
-- How: every additive quantity Q (a count of rows or a sum of a column) is
-- turned into its running total CUM_Q(d) = sum of Q over in-scope rows with
-- local date <= d.  Then
--     value "before end"   = CUM_Q(e)
--     value "in bucket"    = CUM_Q(e) - CUM_Q(s - 1)
-- which is exact integer arithmetic (numeric: sums of bigints are numeric,
-- and channel stats' deltas are taken in numeric, so nothing is limited to
-- 64 bits).  CUM_Q is evaluated only where needed:
-- each interval puts two "query points" on its subject's timeline, at e
-- (role 'end') and at s - 1 (role 'before'), next to the per-day totals of
-- the source rows; a running SUM over (subject, ordered by day) is read off
-- at the query points.  The default window frame includes every row of the
-- same day, so a query point sees all rows dated on or before it.
--
-- Special cases:
-- * active_days: a day is active when the sum over connections of
--   commits + pull_requests + issues on that day is > 0; one 0/1 value per
--   subject-day, so the number of active days is additive too.
-- * youtube "latest S before end, per connection, summed over connections":
--   per connection, give each channel-stats row the value
--   delta = value - (value of the connection's previous row, 0 if none).
--   The sum of a connection's deltas dated <= d telescopes to the value of its
--   latest row dated <= d (0 if none), so CUM_delta(d) is exactly the sum over
--   connections of the latest value on or before d.  *_gained is
--   CUM_delta(e) - CUM_delta(s - 1) (S4: "as of the day before the bucket's
--   first day").
-- * repositories_contributed_to is not additive: per connection the max of
--   the column over rows dated s..e (0 when none), then summed over the
--   subject's contribution connections.
--
-- Planner settings: the row estimate of unnest(ivs) is a constant (10), so
-- left alone the planner picks nested loops over CTE scans, which are
-- quadratic for real inputs; hash joins are forced instead (here and in the
-- callers).  These settings change speed only, never results.
------------------------------------------------------------------------------
CREATE FUNCTION ref.interval_metrics(as_of timestamptz, ivs ref.iv[])
RETURNS TABLE(kind text, sid uuid, s date, e date, platform text, obj jsonb)
LANGUAGE sql STABLE
SET enable_nestloop = off
SET jit = off
AS $$
    WITH subj AS MATERIALIZED (
        SELECT * FROM ref.subjects(as_of)
    ),
    iv AS MATERIALIZED (
        SELECT row_number() OVER () AS iv_id, sj.subj, d.kind, d.sid, d.s, d.e
        FROM (SELECT DISTINCT x.kind, x.sid, x.s, x.e FROM unnest(ivs) x) d
        JOIN subj sj ON sj.kind = d.kind AND sj.sid = d.sid
    ),
    -- the query points of every interval
    qp AS (
        SELECT iv.iv_id, iv.subj, iv.e AS day, 'end' AS role FROM iv
        UNION ALL
        SELECT iv.iv_id, iv.subj, iv.s - 1, 'before' FROM iv
    ),
    -- in-scope rows of the subjects asked about; channel stats get their
    -- per-connection deltas (see above)
    sr AS MATERIALIZED (
        SELECT r.*,
               CASE WHEN r.source = 'channel_stat' THEN
                   r.subscribers::numeric - coalesce(lag(r.subscribers) OVER per_conn, 0) END
                   AS subscribers_delta,
               CASE WHEN r.source = 'channel_stat' THEN
                   r.views::numeric - coalesce(lag(r.views) OVER per_conn, 0) END
                   AS views_delta
        FROM ref.scope_rows(as_of) r
        WHERE r.subj IN (SELECT iv.subj FROM iv)
        WINDOW per_conn AS (PARTITION BY r.subj, r.source, r.connection_id
                            ORDER BY r.day)
    ),
    -- per subject and day: the increments of every running total
    daily AS (
        SELECT r.subj, r.day,
               -- github contributions (summed over connections)
               coalesce(sum(r.commits)       FILTER (WHERE r.source = 'contribution'), 0) AS commits,
               coalesce(sum(r.pull_requests) FILTER (WHERE r.source = 'contribution'), 0) AS pull_requests,
               coalesce(sum(r.issues)        FILTER (WHERE r.source = 'contribution'), 0) AS issues,
               CASE WHEN sum(r.commits + r.pull_requests + r.issues)
                             FILTER (WHERE r.source = 'contribution') > 0
                    THEN 1 ELSE 0 END                                                   AS active,
               -- github repositories (by local created day)
               count(*)                      FILTER (WHERE r.source = 'repository')        AS repositories,
               coalesce(sum(r.stars)         FILTER (WHERE r.source = 'repository'), 0)   AS stars,
               coalesce(sum(r.forks)         FILTER (WHERE r.source = 'repository'), 0)   AS forks,
               coalesce(sum(r.watchers)      FILTER (WHERE r.source = 'repository'), 0)   AS watchers,
               coalesce(sum(r.open_issues)   FILTER (WHERE r.source = 'repository'), 0)   AS open_issues,
               -- youtube channel stats (deltas)
               coalesce(sum(r.subscribers_delta) FILTER (WHERE r.source = 'channel_stat'), 0) AS subscribers,
               coalesce(sum(r.views_delta)   FILTER (WHERE r.source = 'channel_stat'), 0) AS channel_views,
               -- youtube videos (by local published day)
               count(*)                      FILTER (WHERE r.source = 'video')             AS videos,
               coalesce(sum(r.likes)         FILTER (WHERE r.source = 'video'), 0)        AS video_likes,
               coalesce(sum(r.comments)      FILTER (WHERE r.source = 'video'), 0)        AS video_comments,
               -- devto articles (by local published day; drafts already excluded)
               count(*)                      FILTER (WHERE r.source = 'article')           AS articles,
               coalesce(sum(r.views)         FILTER (WHERE r.source = 'article'), 0)      AS article_views,
               coalesce(sum(r.reactions)     FILTER (WHERE r.source = 'article'), 0)      AS article_reactions,
               coalesce(sum(r.comments)      FILTER (WHERE r.source = 'article'), 0)      AS article_comments
        FROM sr r
        GROUP BY r.subj, r.day
    ),
    -- running totals, read at the query points
    tl AS (
        SELECT t.iv_id, t.role,
               sum(t.commits)           OVER w AS commits,
               sum(t.pull_requests)     OVER w AS pull_requests,
               sum(t.issues)            OVER w AS issues,
               sum(t.active)            OVER w AS active,
               sum(t.repositories)      OVER w AS repositories,
               sum(t.stars)             OVER w AS stars,
               sum(t.forks)             OVER w AS forks,
               sum(t.watchers)          OVER w AS watchers,
               sum(t.open_issues)       OVER w AS open_issues,
               sum(t.subscribers)       OVER w AS subscribers,
               sum(t.channel_views)     OVER w AS channel_views,
               sum(t.videos)            OVER w AS videos,
               sum(t.video_likes)       OVER w AS video_likes,
               sum(t.video_comments)    OVER w AS video_comments,
               sum(t.articles)          OVER w AS articles,
               sum(t.article_views)     OVER w AS article_views,
               sum(t.article_reactions) OVER w AS article_reactions,
               sum(t.article_comments)  OVER w AS article_comments
        FROM (SELECT d.subj, d.day, NULL::bigint AS iv_id, NULL::text AS role,
                     d.commits, d.pull_requests, d.issues, d.active,
                     d.repositories, d.stars, d.forks, d.watchers, d.open_issues,
                     d.subscribers, d.channel_views,
                     d.videos, d.video_likes, d.video_comments,
                     d.articles, d.article_views, d.article_reactions,
                     d.article_comments
              FROM daily d
              UNION ALL
              -- a query point adds nothing (18 zeros)
              SELECT q.subj, q.day, q.iv_id, q.role,
                     0, 0, 0, 0,
                     0, 0, 0, 0, 0,
                     0, 0,
                     0, 0, 0,
                     0, 0, 0,
                     0
              FROM qp q) t
        WINDOW w AS (PARTITION BY t.subj ORDER BY t.day)
    ),
    at_end AS (SELECT * FROM tl WHERE tl.role = 'end'),
    at_before AS (SELECT * FROM tl WHERE tl.role = 'before'),

    -- repositories_contributed_to: per connection, the max over its rows
    -- dated s..e (0 when none), summed over the subject's contribution
    -- connections (S3: contributions deduplicated by connection).  The
    -- interval is expanded into its days and joined on the day.
    iv_day AS MATERIALIZED (
        SELECT iv.iv_id, iv.subj, iv.s + i AS day
        FROM iv, generate_series(0, iv.e - iv.s) i
    ),
    rct AS (
        SELECT pc.iv_id, sum(pc.mx) AS rct
        FROM (SELECT d.iv_id, r.connection_id,
                     max(r.repositories_contributed_to) AS mx
              FROM iv_day d
              JOIN sr r ON r.subj = d.subj AND r.day = d.day
              WHERE r.source = 'contribution'
              GROUP BY d.iv_id, r.connection_id) pc
        GROUP BY pc.iv_id
    ),

    vals AS (
        SELECT iv.kind, iv.sid, iv.s, iv.e,
               -- github
               (te.commits - tb.commits)                AS commits,
               (te.pull_requests - tb.pull_requests)    AS pull_requests,
               (te.issues - tb.issues)                  AS issues,
               (te.active - tb.active)                  AS active_days,
               coalesce(rct.rct, 0)                     AS repositories_contributed_to,
               te.commits                               AS total_commits,
               te.repositories                          AS repositories_count,
               (te.repositories - tb.repositories)      AS new_repositories,
               te.stars                                 AS total_stars,
               te.forks                                 AS total_forks,
               te.watchers                              AS total_watchers,
               te.open_issues                           AS total_open_issues,
               -- youtube
               te.subscribers                           AS total_subscribers,
               te.channel_views                         AS yt_total_views,
               (te.subscribers - tb.subscribers)        AS subscribers_gained,
               (te.channel_views - tb.channel_views)    AS views_gained,
               te.videos                                AS total_videos,
               (te.videos - tb.videos)                  AS videos_published,
               te.video_likes                           AS video_likes,
               te.video_comments                        AS video_comments,
               -- devto
               te.articles                              AS total_articles,
               (te.articles - tb.articles)              AS articles_published,
               te.article_views                         AS dv_total_views,
               te.article_reactions                     AS total_reactions,
               te.article_comments                      AS total_comments
        FROM iv
        JOIN at_end te    ON te.iv_id = iv.iv_id
        JOIN at_before tb ON tb.iv_id = iv.iv_id
        LEFT JOIN rct     ON rct.iv_id = iv.iv_id
    )
    SELECT v.kind, v.sid, v.s, v.e, 'github',
           jsonb_build_object(
               'commits', v.commits,
               'pull_requests', v.pull_requests,
               'issues', v.issues,
               'active_days', v.active_days,
               'repositories_contributed_to', v.repositories_contributed_to,
               'total_commits', v.total_commits,
               'repositories_count', v.repositories_count,
               'new_repositories', v.new_repositories,
               'total_stars', v.total_stars,
               'total_forks', v.total_forks,
               'total_watchers', v.total_watchers,
               'total_open_issues', v.total_open_issues)
    FROM vals v
    UNION ALL
    SELECT v.kind, v.sid, v.s, v.e, 'youtube',
           jsonb_build_object(
               'total_subscribers', v.total_subscribers,
               'total_views', v.yt_total_views,
               'subscribers_gained', v.subscribers_gained,
               'views_gained', v.views_gained,
               'total_videos', v.total_videos,
               'videos_published', v.videos_published,
               'video_likes', v.video_likes,
               'video_comments', v.video_comments)
    FROM vals v
    UNION ALL
    SELECT v.kind, v.sid, v.s, v.e, 'devto',
           jsonb_build_object(
               'total_articles', v.total_articles,
               'articles_published', v.articles_published,
               'total_views', v.dv_total_views,
               'total_reactions', v.total_reactions,
               'total_comments', v.total_comments)
    FROM vals v
$$;

------------------------------------------------------------------------------
-- S2 + S6: the buckets containing a day of the range lo .. hi (empty when
-- lo > hi): (snapshot_type, snapshot_date, first day, last day).
--   daily:   every day of the range;
--   weekly:  ISO weeks keyed by their Monday (Monday .. Sunday): the weeks
--            from the week of lo to the week of hi;
--   monthly: keyed by the 1st (the calendar month): the months from the
--            month of lo to the month of hi.
------------------------------------------------------------------------------
CREATE FUNCTION ref.monday(d date) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT d - (extract(isodow FROM d)::int - 1)
$$;

CREATE FUNCTION ref.buckets_of_range(lo date, hi date)
RETURNS TABLE(snapshot_type text, snapshot_date date, first_day date, last_day date)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'daily', lo + i, lo + i, lo + i
    FROM generate_series(0, hi - lo) i
    UNION ALL
    SELECT 'weekly', ref.monday(lo) + 7 * k, ref.monday(lo) + 7 * k,
           ref.monday(lo) + 7 * k + 6
    FROM generate_series(0, (ref.monday(hi) - ref.monday(lo)) / 7) k
    WHERE lo <= hi
    UNION ALL
    SELECT 'monthly', f::date, f::date, (f + interval '1 month')::date - 1
    FROM generate_series(date_trunc('month', lo::timestamp),
                         date_trunc('month', hi::timestamp),
                         interval '1 month') f
    WHERE lo <= hi
$$;

------------------------------------------------------------------------------
-- S5 + S6: the rows of a snapshot run.
--
-- Each subject gets a day range [lo, hi]:
--   nightly (lookback N):  [cutoff - N + 1, cutoff]
--   backfill (A, B):       [A, min(B, cutoff)]   (empty when A > that)
-- Buckets: the daily bucket of every day in the range, and every weekly and
-- monthly bucket containing a day of the range, each computed whole up to
-- the cutoff: interval [first day, min(last day, cutoff)] (S2).
-- Rows (S5):
--   platform p: the subject has a live monitor on p in scope AND a first day
--     for p (= has an in-scope row of p); only buckets whose last day is on
--     or after that first day; metrics {"p": {...}}.
--   'all': the subject has any in-scope row; buckets whose last day is on or
--     after the first day over all platforms; metrics hold one object per
--     platform the subject has a live monitor on in scope.
------------------------------------------------------------------------------
CREATE FUNCTION ref.snapshots_core(as_of timestamptz, lookback int,
                                   from_date date, to_date date)
RETURNS TABLE(user_id uuid, workspace_id uuid, platform text,
              snapshot_type text, snapshot_date date, metrics jsonb)
LANGUAGE sql STABLE
SET enable_nestloop = off      -- speed only; see ref.interval_metrics
SET jit = off
AS $$
    WITH subj AS (
        SELECT * FROM ref.subjects(as_of)
    ),
    rng AS (
        SELECT s.kind, s.sid, s.cutoff,
               CASE WHEN lookback IS NOT NULL THEN s.cutoff - (lookback - 1)
                    ELSE from_date END AS lo,
               CASE WHEN lookback IS NOT NULL THEN s.cutoff
                    ELSE least(to_date, s.cutoff) END AS hi
        FROM subj s
    ),
    buckets AS (
        SELECT r.kind, r.sid, b.snapshot_type, b.snapshot_date,
               b.first_day, b.last_day,
               least(b.last_day, r.cutoff) AS end_day
        FROM rng r, ref.buckets_of_range(r.lo, r.hi) b
    ),
    -- platforms with a live monitor in scope
    plat AS (
        SELECT DISTINCT sm.kind, sm.sid, sm.platform FROM ref.scope_monitors() sm
    ),
    fd AS (
        SELECT * FROM ref.first_days(as_of)
    ),
    out_rows AS (
        SELECT b.*, p.platform
        FROM buckets b
        JOIN plat p ON p.kind = b.kind AND p.sid = b.sid
        JOIN fd ON fd.kind = b.kind AND fd.sid = b.sid AND fd.platform = p.platform
        WHERE b.last_day >= fd.first_day
        UNION ALL
        SELECT b.*, 'all'
        FROM buckets b
        JOIN fd ON fd.kind = b.kind AND fd.sid = b.sid AND fd.platform = 'all'
        WHERE b.last_day >= fd.first_day
    ),
    m AS (
        SELECT * FROM ref.interval_metrics(
            as_of,
            (SELECT array_agg(ROW(i.kind, i.sid, i.first_day, i.end_day)::ref.iv)
             FROM (SELECT DISTINCT o.kind, o.sid, o.first_day, o.end_day
                   FROM out_rows o) i))
    ),
    -- platform rows: {"p": {...}}
    platform_rows AS (
        SELECT o.kind, o.sid, o.platform, o.snapshot_type, o.snapshot_date,
               jsonb_build_object(o.platform, m.obj) AS metrics
        FROM out_rows o
        JOIN m ON (m.kind, m.sid, m.s, m.e, m.platform)
                = (o.kind, o.sid, o.first_day, o.end_day, o.platform)
        WHERE o.platform <> 'all'
    ),
    -- 'all' rows: one object per platform with a live monitor in scope
    all_rows AS (
        SELECT o.kind, o.sid, o.platform, o.snapshot_type, o.snapshot_date,
               jsonb_object_agg(p.platform, m.obj) AS metrics
        FROM out_rows o
        JOIN plat p ON p.kind = o.kind AND p.sid = o.sid
        JOIN m ON (m.kind, m.sid, m.s, m.e, m.platform)
                = (o.kind, o.sid, o.first_day, o.end_day, p.platform)
        WHERE o.platform = 'all'
        GROUP BY o.kind, o.sid, o.platform, o.snapshot_type, o.snapshot_date
    )
    SELECT s.user_id, s.workspace_id, r.platform, r.snapshot_type,
           r.snapshot_date, r.metrics
    FROM (SELECT * FROM platform_rows UNION ALL SELECT * FROM all_rows) r
    JOIN subj s ON s.kind = r.kind AND s.sid = r.sid
$$;

-- S6 nightly [--lookback N]: N >= 1, default 3.
CREATE FUNCTION ref.snapshots_nightly(as_of timestamptz, lookback int DEFAULT 3)
RETURNS TABLE(user_id uuid, workspace_id uuid, platform text,
              snapshot_type text, snapshot_date date, metrics jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF lookback IS NULL THEN
        lookback := 3;
    END IF;
    IF lookback < 1 THEN
        RAISE EXCEPTION 'lookback must be >= 1 (got %)', lookback;
    END IF;
    RETURN QUERY SELECT * FROM ref.snapshots_core(as_of, lookback, NULL, NULL);
END
$$;

-- S6 backfill --from A --to B: A > B is an error.
CREATE FUNCTION ref.snapshots_backfill(as_of timestamptz, from_date date, to_date date)
RETURNS TABLE(user_id uuid, workspace_id uuid, platform text,
              snapshot_type text, snapshot_date date, metrics jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RAISE EXCEPTION 'backfill needs --from and --to';
    END IF;
    IF from_date > to_date THEN
        RAISE EXCEPTION 'backfill: --from % is after --to %', from_date, to_date;
    END IF;
    RETURN QUERY SELECT * FROM ref.snapshots_core(as_of, NULL, from_date, to_date);
END
$$;

------------------------------------------------------------------------------
-- S7. Goals.
--
-- goal_metric: for each known (goal platform, goal_type) pair, the metric(s)
-- it reads (metric platform, key) and whether it is a flow metric.  Platform
-- 'all' reads, for a goal_type, the metric of every platform that defines
-- that goal_type, summed (a platform without in-scope rows gives 0).
------------------------------------------------------------------------------
CREATE VIEW ref.goal_metric(goal_platform, goal_type, metric_platform, metric_key, is_flow) AS
    WITH per_platform(goal_platform, goal_type, metric_platform, metric_key, is_flow) AS (
        VALUES
        ('github',  'stars',         'github',  'total_stars',        false),
        ('github',  'forks',         'github',  'total_forks',        false),
        ('github',  'watchers',      'github',  'total_watchers',     false),
        ('github',  'repositories',  'github',  'repositories_count', false),
        ('github',  'commits',       'github',  'commits',            true),
        ('github',  'pull_requests', 'github',  'pull_requests',      true),
        ('github',  'issues',        'github',  'issues',             true),
        ('youtube', 'subscribers',   'youtube', 'total_subscribers',  false),
        ('youtube', 'views',         'youtube', 'total_views',        false),
        ('youtube', 'videos',        'youtube', 'total_videos',       false),
        ('youtube', 'likes',         'youtube', 'video_likes',        false),
        ('youtube', 'comments',      'youtube', 'video_comments',     false),
        ('devto',   'views',         'devto',   'total_views',        false),
        ('devto',   'reactions',     'devto',   'total_reactions',    false),
        ('devto',   'articles',      'devto',   'total_articles',     false),
        ('devto',   'comments',      'devto',   'total_comments',     false)
    )
    SELECT * FROM per_platform
    UNION ALL
    SELECT 'all', goal_type, metric_platform, metric_key, is_flow FROM per_platform;

-- 100 * (v - b) / b rounded to 2 decimals, half away from zero as
-- round(numeric, 2) rounds, exactly: numeric division keeps fewer digits the
-- larger the quotient (none past 10^16: 100 * (2^63 - 4) / 3 comes out as
-- ...133, not ...133.33), so the cents are the integer quotient of
-- 10000 * (v - b) by b, plus one away from zero when the remainder is at
-- least half of b.
CREATE FUNCTION ref.percentage(v numeric, b numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (div(10000 * (v - b), b)
            + CASE WHEN 2 * abs(mod(10000 * (v - b), b)) >= abs(b)
                   THEN sign(v - b) * sign(b) ELSE 0 END) * 0.01
$$;

-- Goal rules, in the SPEC's order:
--  1. skipped (row unchanged, changed=false): unknown platform/goal_type pair,
--     unit not 'count'/'percentage', 'percentage' on a flow metric, negative
--     target_value, end_date before start_date.
--  2. start_date after the evaluation day: current_value = 0.
--  3. otherwise 'percentage' with b = 0: skipped like rule 1.
--  4. otherwise computed:
--       count, flow:   sum of the daily values over start_date .. eval day
--                      (= the metric of interval [start_date, eval day]);
--       count, stock:  value as of the evaluation day;
--       percentage:    round(100 * (v - b) / b, 2), exactly (ref.percentage),
--                      v as of the evaluation day, b as of start_date - 1.
--  Evaluation day = min(end_date, subject cutoff); NULL end_date = cutoff.
--  Subject: personal (goals.user_id) when workspace_id IS NULL, else the
--  workspace (zone and scope of the workspace).
--  is_achieved: old OR current_value >= target_value (never turns false).
--  achieved_at: as_of the first time the goal is seen achieved (it was not
--  achieved before: a leftover achieved_at of a goal that is not achieved
--  does not count), and for an achieved goal whose achieved_at is NULL;
--  otherwise unchanged.
--  A row is written (changed) only when current_value (numerically),
--  is_achieved or achieved_at changes; then updated_at = as_of.
CREATE FUNCTION ref.goals_after(as_of timestamptz)
RETURNS TABLE(id uuid, current_value numeric, is_achieved boolean,
              achieved_at timestamptz, updated_at timestamptz, changed boolean)
LANGUAGE sql STABLE
SET enable_nestloop = off      -- speed only; see ref.interval_metrics
SET jit = off
AS $$
    WITH pair AS (
        SELECT gm.goal_platform, gm.goal_type, bool_or(gm.is_flow) AS is_flow
        FROM ref.goal_metric gm
        GROUP BY gm.goal_platform, gm.goal_type
    ),
    g AS (
        SELECT gl.*, s.kind, s.sid,
               CASE WHEN gl.end_date IS NULL THEN s.cutoff
                    ELSE least(gl.end_date, s.cutoff) END AS eval_day,
               pr.goal_type IS NOT NULL AS known_pair,
               coalesce(pr.is_flow, false) AS is_flow
        FROM goals gl
        JOIN ref.subjects(as_of) s
          ON (gl.workspace_id IS NULL AND s.kind = 'p' AND s.sid = gl.user_id)
          OR (gl.workspace_id IS NOT NULL AND s.kind = 'w' AND s.sid = gl.workspace_id)
        LEFT JOIN pair pr
          ON pr.goal_platform = gl.platform AND pr.goal_type = gl.goal_type
    ),
    st AS (
        SELECT g.*,
               CASE WHEN NOT g.known_pair
                      OR g.unit NOT IN ('count', 'percentage')
                      OR (g.unit = 'percentage' AND g.is_flow)
                      OR g.target_value < 0
                      OR (g.end_date IS NOT NULL AND g.end_date < g.start_date)
                    THEN 'skip'                                   -- rule 1
                    WHEN g.start_date > g.eval_day THEN 'zero'    -- rule 2
                    ELSE 'compute'
               END AS status
        FROM g
    ),
    ivs AS (
        SELECT st.kind, st.sid, st.start_date AS s, st.eval_day AS e
        FROM st WHERE st.status = 'compute'
        UNION
        SELECT st.kind, st.sid, st.start_date - 1, st.start_date - 1
        FROM st WHERE st.status = 'compute' AND st.unit = 'percentage'
    ),
    m AS (
        SELECT * FROM ref.interval_metrics(
            as_of, (SELECT array_agg(ROW(i.kind, i.sid, i.s, i.e)::ref.iv) FROM ivs i))
    ),
    -- v: the goal's metric(s) on [start_date, eval day]; b: as of start_date - 1
    vb AS (
        SELECT st.id,
               sum(CASE WHEN (m.s, m.e) = (st.start_date, st.eval_day)
                        THEN (m.obj ->> gm.metric_key)::numeric END) AS v,
               sum(CASE WHEN (m.s, m.e) = (st.start_date - 1, st.start_date - 1)
                        THEN (m.obj ->> gm.metric_key)::numeric END) AS b
        FROM st
        JOIN ref.goal_metric gm
          ON gm.goal_platform = st.platform AND gm.goal_type = st.goal_type
        JOIN m ON m.kind = st.kind AND m.sid = st.sid
              AND m.platform = gm.metric_platform
        WHERE st.status = 'compute'
        GROUP BY st.id
    ),
    calc AS (
        SELECT st.id, st.current_value AS old_cv, st.is_achieved AS old_ach,
               st.achieved_at AS old_at, st.updated_at AS old_upd,
               st.target_value,
               CASE WHEN st.status = 'skip' THEN true
                    WHEN st.status = 'compute' AND st.unit = 'percentage'
                         AND vb.b = 0 THEN true                   -- rule 3
                    ELSE false END AS skipped,
               CASE WHEN st.status = 'zero' THEN 0::numeric       -- rule 2
                    WHEN st.status = 'compute' AND st.unit = 'count'
                         THEN vb.v::numeric                       -- rule 4
                    WHEN st.status = 'compute' AND st.unit = 'percentage'
                         AND vb.b <> 0
                         THEN ref.percentage(vb.v, vb.b)
               END AS new_cv
        FROM st LEFT JOIN vb ON vb.id = st.id
    ),
    res AS (
        SELECT c.*,
               (c.old_ach OR c.new_cv >= c.target_value) AS new_ach
        FROM calc c
    ),
    res2 AS (
        SELECT r.*,
               CASE WHEN r.new_ach AND NOT r.old_ach THEN as_of
                    WHEN r.old_ach AND r.old_at IS NULL THEN as_of
                    ELSE r.old_at END AS new_at
        FROM res r
    ),
    fin AS (
        SELECT r.*,
               NOT r.skipped
               AND (   r.new_cv <> r.old_cv
                    OR r.new_ach <> r.old_ach
                    OR r.new_at IS DISTINCT FROM r.old_at) AS chg
        FROM res2 r
    )
    SELECT f.id,
           CASE WHEN f.chg THEN f.new_cv  ELSE f.old_cv  END,
           CASE WHEN f.chg THEN f.new_ach ELSE f.old_ach END,
           CASE WHEN f.chg THEN f.new_at  ELSE f.old_at  END,
           CASE WHEN f.chg THEN as_of     ELSE f.old_upd END,
           f.chg
    FROM fin f
$$;
