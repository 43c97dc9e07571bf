-- tests/reference_selftest.sql: checks of tests/reference.sql.
--
-- Run after sql/001_schema.sql and tests/reference.sql on a throwaway
-- database:
--   tests/with-pg bash -c 'psql -q -v ON_ERROR_STOP=1 -f sql/001_schema.sql &&
--       psql -q -v ON_ERROR_STOP=1 -f tests/reference.sql &&
--       psql -v ON_ERROR_STOP=1 -f tests/reference_selftest.sql'
--
-- Everything happens in one transaction that is rolled back at the end, so
-- the database is left as it was.
--
-- Part 1: a second, deliberately naive implementation (schema reftest):
--         row-by-row plpgsql, each metric a literal subquery of its SPEC
--         sentence.  Slow, but written differently from ref.* (no running
--         totals, no deltas), so the two can be compared.
-- Part 2: a small hand-made data set with hand-computed expectations, plus
--         a full comparison of ref.* with the naive implementation.
-- Part 3: a random data set (many time zones, DST, invalid zone names,
--         random monitors) and a full comparison of ref.* with the naive
--         implementation for nightly and backfill runs.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;

CREATE SCHEMA reftest;

------------------------------------------------------------------------------
-- Part 1: naive implementation
------------------------------------------------------------------------------

-- assertion helper
CREATE FUNCTION reftest.check(label text, got anyelement, want anyelement)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION 'selftest FAILED: %: got %, want %', label, got, want;
    END IF;
END $$;

-- subjects, computed once per as_of into a table (pg_timezone_names is slow)
CREATE TABLE reftest.subj (kind text, sid uuid, user_id uuid, workspace_id uuid,
                           owner uuid, zone text, cutoff date);

CREATE FUNCTION reftest.load_subjects(as_of timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    z text;
BEGIN
    DELETE FROM reftest.subj;
    FOR r IN SELECT 'p' AS kind, p.id AS sid, p.id AS user_id, NULL::uuid AS ws,
                    p.id AS owner, p.timezone AS tz
             FROM profiles p
             UNION ALL
             SELECT 'w', w.id, w.owner_id, w.id, w.owner_id, p.timezone
             FROM workspaces w JOIN profiles p ON p.id = w.owner_id
    LOOP
        IF EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = r.tz) THEN
            z := r.tz;
        ELSE
            z := 'UTC';
        END IF;
        INSERT INTO reftest.subj
        VALUES (r.kind, r.sid, r.user_id, r.ws, r.owner, z,
                (as_of AT TIME ZONE z)::date - 1);
    END LOOP;
END $$;

-- is monitor m live and in the scope of subject (kind, sid)?
CREATE FUNCTION reftest.in_scope(p_kind text, p_sid uuid, m monitors)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    c platform_connections;
    owner uuid;
BEGIN
    SELECT * INTO c FROM platform_connections WHERE id = m.platform_connection_id;
    IF NOT m.is_active OR NOT c.is_active THEN RETURN false; END IF;
    IF m.platform <> c.platform OR m.user_id <> c.user_id THEN RETURN false; END IF;
    IF NOT (m.platform = 'github' AND m.monitor_type IN ('all', 'user', 'repository')
         OR m.platform = 'youtube' AND m.monitor_type IN ('all', 'user', 'channel')
         OR m.platform = 'devto' AND m.monitor_type IN ('all', 'user')) THEN
        RETURN false;
    END IF;
    IF p_kind = 'p' THEN
        RETURN m.user_id = p_sid;
    END IF;
    SELECT owner_id INTO owner FROM workspaces WHERE id = p_sid;
    RETURN m.workspace_id = p_sid
       AND (m.user_id = owner
            OR EXISTS (SELECT 1 FROM workspace_members wm
                       WHERE wm.workspace_id = p_sid AND wm.user_id = m.user_id));
END $$;

-- connections of in-scope monitors of a platform with the given types
CREATE FUNCTION reftest.conns(p_kind text, p_sid uuid, p_platform text, p_types text[])
RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT m.platform_connection_id), '{}')
    FROM monitors m
    WHERE m.platform = p_platform AND m.monitor_type = ANY (p_types)
      AND reftest.in_scope(p_kind, p_sid, m)
$$;

-- in-scope repositories (ids), rows after the cutoff included (callers filter)
CREATE FUNCTION reftest.repos(p_kind text, p_sid uuid)
RETURNS SETOF github_repositories LANGUAGE sql STABLE AS $$
    SELECT r.* FROM github_repositories r
    WHERE EXISTS (SELECT 1 FROM monitors m
                  WHERE m.platform = 'github'
                    AND m.platform_connection_id = r.platform_connection_id
                    AND (m.monitor_type IN ('all', 'user')
                         OR (m.monitor_type = 'repository'
                             AND m.platform_resource_id = r.github_repo_id::text))
                    AND reftest.in_scope(p_kind, p_sid, m))
$$;

-- the first day of a platform ('all' = any), NULL when no in-scope row
CREATE FUNCTION reftest.first_day(p_kind text, p_sid uuid, p_platform text)
RETURNS date LANGUAGE plpgsql STABLE AS $$
DECLARE
    sj reftest.subj;
    d date;
    best date := NULL;
BEGIN
    SELECT * INTO sj FROM reftest.subj WHERE kind = p_kind AND sid = p_sid;
    IF p_platform IN ('github', 'all') THEN
        SELECT min(date) INTO d FROM github_contributions
        WHERE platform_connection_id = ANY (reftest.conns(p_kind, p_sid, 'github', '{all,user}'))
          AND date <= sj.cutoff;
        best := least(best, d);
        SELECT min((created_at AT TIME ZONE sj.zone)::date) INTO d
        FROM reftest.repos(p_kind, p_sid)
        WHERE (created_at AT TIME ZONE sj.zone)::date <= sj.cutoff;
        best := least(best, d);
    END IF;
    IF p_platform IN ('youtube', 'all') THEN
        SELECT min(date) INTO d FROM youtube_channel_stats
        WHERE platform_connection_id = ANY (reftest.conns(p_kind, p_sid, 'youtube', '{all,user,channel}'))
          AND date <= sj.cutoff;
        best := least(best, d);
        SELECT min((published_at AT TIME ZONE sj.zone)::date) INTO d FROM youtube_videos
        WHERE platform_connection_id = ANY (reftest.conns(p_kind, p_sid, 'youtube', '{all,user,channel}'))
          AND (published_at AT TIME ZONE sj.zone)::date <= sj.cutoff;
        best := least(best, d);
    END IF;
    IF p_platform IN ('devto', 'all') THEN
        SELECT min((published_at AT TIME ZONE sj.zone)::date) INTO d FROM devto_articles
        WHERE platform_connection_id = ANY (reftest.conns(p_kind, p_sid, 'devto', '{all,user}'))
          AND published_at IS NOT NULL
          AND (published_at AT TIME ZONE sj.zone)::date <= sj.cutoff;
        best := least(best, d);
    END IF;
    RETURN best;
END $$;

-- the metric object of platform p for subject (kind, sid) and the bucket
-- [s, last]; end = min(last, cutoff)
CREATE FUNCTION reftest.obj(p_kind text, p_sid uuid, p text, s date, last date)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    sj reftest.subj;
    e date;
    cs uuid[];
    res jsonb;
BEGIN
    SELECT * INTO sj FROM reftest.subj WHERE kind = p_kind AND sid = p_sid;
    e := least(last, sj.cutoff);
    IF p = 'github' THEN
        cs := reftest.conns(p_kind, p_sid, 'github', '{all,user}');
        SELECT jsonb_build_object(
            'commits', (SELECT coalesce(sum(commits_count), 0) FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date BETWEEN s AND e),
            'pull_requests', (SELECT coalesce(sum(pull_requests_count), 0) FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date BETWEEN s AND e),
            'issues', (SELECT coalesce(sum(issues_count), 0) FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date BETWEEN s AND e),
            'active_days', (SELECT count(*) FROM (
                        SELECT date FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date BETWEEN s AND e
                        GROUP BY date
                        HAVING sum(commits_count + pull_requests_count + issues_count) > 0) x),
            'repositories_contributed_to', (SELECT coalesce(sum(mx), 0) FROM (
                        SELECT max(repositories_contributed_to) AS mx FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date BETWEEN s AND e
                        GROUP BY platform_connection_id) x),
            'total_commits', (SELECT coalesce(sum(commits_count), 0) FROM github_contributions
                        WHERE platform_connection_id = ANY (cs) AND date <= e),
            'repositories_count', (SELECT count(*) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date <= e),
            'new_repositories', (SELECT count(*) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date BETWEEN s AND e),
            'total_stars', (SELECT coalesce(sum(stars_count), 0) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date <= e),
            'total_forks', (SELECT coalesce(sum(forks_count), 0) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date <= e),
            'total_watchers', (SELECT coalesce(sum(watchers_count), 0) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date <= e),
            'total_open_issues', (SELECT coalesce(sum(open_issues_count), 0) FROM reftest.repos(p_kind, p_sid) r
                        WHERE (r.created_at AT TIME ZONE sj.zone)::date <= e))
        INTO res;
    ELSIF p = 'youtube' THEN
        cs := reftest.conns(p_kind, p_sid, 'youtube', '{all,user,channel}');
        SELECT jsonb_build_object(
            'total_subscribers', (SELECT coalesce(sum((SELECT subscriber_count FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= e ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c),
            'total_views', (SELECT coalesce(sum((SELECT total_views FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= e ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c),
            'subscribers_gained',
                (SELECT coalesce(sum((SELECT subscriber_count FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= e ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c)
              - (SELECT coalesce(sum((SELECT subscriber_count FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= s - 1 ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c),
            'views_gained',
                (SELECT coalesce(sum((SELECT total_views FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= e ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c)
              - (SELECT coalesce(sum((SELECT total_views FROM youtube_channel_stats st
                        WHERE st.platform_connection_id = c AND st.date <= s - 1 ORDER BY st.date DESC LIMIT 1)), 0)
                        FROM unnest(cs) c),
            'total_videos', (SELECT count(*) FROM youtube_videos
                        WHERE platform_connection_id = ANY (cs)
                          AND (published_at AT TIME ZONE sj.zone)::date <= e),
            'videos_published', (SELECT count(*) FROM youtube_videos
                        WHERE platform_connection_id = ANY (cs)
                          AND (published_at AT TIME ZONE sj.zone)::date BETWEEN s AND e),
            'video_likes', (SELECT coalesce(sum(like_count), 0) FROM youtube_videos
                        WHERE platform_connection_id = ANY (cs)
                          AND (published_at AT TIME ZONE sj.zone)::date <= e),
            'video_comments', (SELECT coalesce(sum(comment_count), 0) FROM youtube_videos
                        WHERE platform_connection_id = ANY (cs)
                          AND (published_at AT TIME ZONE sj.zone)::date <= e))
        INTO res;
    ELSE
        cs := reftest.conns(p_kind, p_sid, 'devto', '{all,user}');
        SELECT jsonb_build_object(
            'total_articles', (SELECT count(*) FROM devto_articles
                        WHERE platform_connection_id = ANY (cs) AND published_at IS NOT NULL
                          AND (published_at AT TIME ZONE sj.zone)::date <= e),
            'articles_published', (SELECT count(*) FROM devto_articles
                        WHERE platform_connection_id = ANY (cs) AND published_at IS NOT NULL
                          AND (published_at AT TIME ZONE sj.zone)::date BETWEEN s AND e),
            'total_views', (SELECT coalesce(sum(view_count), 0) FROM devto_articles
                        WHERE platform_connection_id = ANY (cs) AND published_at IS NOT NULL
                          AND (published_at AT TIME ZONE sj.zone)::date <= e),
            'total_reactions', (SELECT coalesce(sum(reaction_count), 0) FROM devto_articles
                        WHERE platform_connection_id = ANY (cs) AND published_at IS NOT NULL
                          AND (published_at AT TIME ZONE sj.zone)::date <= e),
            'total_comments', (SELECT coalesce(sum(comment_count), 0) FROM devto_articles
                        WHERE platform_connection_id = ANY (cs) AND published_at IS NOT NULL
                          AND (published_at AT TIME ZONE sj.zone)::date <= e))
        INTO res;
    END IF;
    RETURN res;
END $$;

-- naive snapshot rows of a run: lookback not NULL = nightly, else backfill
CREATE FUNCTION reftest.snapshots(as_of timestamptz, lookback int, a date, b date)
RETURNS TABLE(user_id uuid, workspace_id uuid, platform text,
              snapshot_type text, snapshot_date date, metrics jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    sj reftest.subj;
    lo date;
    hi date;
    bk record;
    p text;
    plats text[];
    fd date;
    allobj jsonb;
BEGIN
    PERFORM reftest.load_subjects(as_of);
    FOR sj IN SELECT * FROM reftest.subj LOOP
        IF lookback IS NOT NULL THEN
            lo := sj.cutoff - lookback + 1; hi := sj.cutoff;
        ELSE
            lo := a; hi := least(b, sj.cutoff);
        END IF;
        CONTINUE WHEN lo > hi;
        SELECT coalesce(array_agg(DISTINCT m.platform), '{}') INTO plats
        FROM monitors m WHERE reftest.in_scope(sj.kind, sj.sid, m);
        FOR bk IN
            SELECT 'daily' AS t, d AS k, d AS f, d AS l
            FROM generate_series(lo, hi, '1 day') g, LATERAL (SELECT g::date AS d) x
            UNION
            SELECT 'weekly', date_trunc('week', g)::date, date_trunc('week', g)::date,
                   date_trunc('week', g)::date + 6
            FROM generate_series(lo, hi, '1 day') g
            UNION
            SELECT 'monthly', date_trunc('month', g)::date, date_trunc('month', g)::date,
                   (date_trunc('month', g) + '1 month')::date - 1
            FROM generate_series(lo, hi, '1 day') g
        LOOP
            FOREACH p IN ARRAY ARRAY['github', 'youtube', 'devto'] LOOP
                IF p = ANY (plats) THEN
                    fd := reftest.first_day(sj.kind, sj.sid, p);
                    IF fd IS NOT NULL AND bk.l >= fd THEN
                        user_id := sj.user_id; workspace_id := sj.workspace_id;
                        platform := p; snapshot_type := bk.t; snapshot_date := bk.k;
                        metrics := jsonb_build_object(p, reftest.obj(sj.kind, sj.sid, p, bk.f, bk.l));
                        RETURN NEXT;
                    END IF;
                END IF;
            END LOOP;
            fd := reftest.first_day(sj.kind, sj.sid, 'all');
            IF fd IS NOT NULL AND bk.l >= fd THEN
                allobj := '{}';
                FOREACH p IN ARRAY plats LOOP
                    allobj := allobj || jsonb_build_object(p, reftest.obj(sj.kind, sj.sid, p, bk.f, bk.l));
                END LOOP;
                user_id := sj.user_id; workspace_id := sj.workspace_id;
                platform := 'all'; snapshot_type := bk.t; snapshot_date := bk.k;
                metrics := allobj;
                RETURN NEXT;
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- compare ref with naive for one run; raises on any difference
CREATE FUNCTION reftest.compare(label text, as_of timestamptz, lookback int, a date, b date)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n_ref bigint;
    n_naive bigint;
    diff record;
BEGIN
    IF lookback IS NOT NULL THEN
        CREATE TEMP TABLE cmp_ref ON COMMIT DROP AS
            SELECT * FROM ref.snapshots_nightly(as_of, lookback);
    ELSE
        CREATE TEMP TABLE cmp_ref ON COMMIT DROP AS
            SELECT * FROM ref.snapshots_backfill(as_of, a, b);
    END IF;
    CREATE TEMP TABLE cmp_naive ON COMMIT DROP AS
        SELECT * FROM reftest.snapshots(as_of, lookback, a, b);
    SELECT count(*) INTO n_ref FROM cmp_ref;
    SELECT count(*) INTO n_naive FROM cmp_naive;
    FOR diff IN
        (SELECT 'ref only' AS side, * FROM (TABLE cmp_ref EXCEPT TABLE cmp_naive) x
         UNION ALL
         SELECT 'naive only', * FROM (TABLE cmp_naive EXCEPT TABLE cmp_ref) y)
        ORDER BY 2, 3, 4, 5, 6, 1 LIMIT 6
    LOOP
        RAISE WARNING '% %: % % % % % %', label, diff.side, diff.user_id, diff.workspace_id,
            diff.platform, diff.snapshot_type, diff.snapshot_date, diff.metrics;
    END LOOP;
    IF EXISTS (TABLE cmp_ref EXCEPT TABLE cmp_naive) OR EXISTS (TABLE cmp_naive EXCEPT TABLE cmp_ref)
       OR n_ref <> n_naive THEN
        RAISE EXCEPTION 'selftest FAILED: % differs from naive (% ref rows, % naive rows)',
            label, n_ref, n_naive;
    END IF;
    -- no duplicate keys (the unique indexes of S5 must be able to hold them)
    IF EXISTS (SELECT 1 FROM cmp_ref
               GROUP BY user_id, workspace_id, platform, snapshot_type, snapshot_date
               HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'selftest FAILED: % has duplicate keys', label;
    END IF;
    DROP TABLE cmp_ref;
    DROP TABLE cmp_naive;
    RAISE NOTICE 'compare %: % rows equal', label, n_ref;
    RETURN n_ref;
END $$;

------------------------------------------------------------------------------
-- Part 2: hand-made data set
--
-- as_of = 2024-03-13 02:00 UTC (a Wednesday).
--   A  America/New_York: local 2024-03-12 22:00 EDT -> cutoff 2024-03-11 (Mon)
--   B  'europe/berlin' (invalid: wrong case) -> UTC  -> cutoff 2024-03-12
--   C  Asia/Tokyo: local 2024-03-13 11:00            -> cutoff 2024-03-12
--   D  NULL -> UTC                                    -> cutoff 2024-03-12
--   E  ''   -> UTC                                    -> cutoff 2024-03-12
--   W  workspace owned by A (zone of A)               -> cutoff 2024-03-11
--      members: D.  E has a monitor in W but is not a member.
------------------------------------------------------------------------------
SAVEPOINT hand;

INSERT INTO auth.users(id) VALUES
 ('a0000000-0000-0000-0000-000000000000'), ('b0000000-0000-0000-0000-000000000000'),
 ('c0000000-0000-0000-0000-000000000000'), ('d0000000-0000-0000-0000-000000000000'),
 ('e0000000-0000-0000-0000-000000000000');
INSERT INTO profiles(id, display_name, timezone) VALUES
 ('a0000000-0000-0000-0000-000000000000', 'A', 'America/New_York'),
 ('b0000000-0000-0000-0000-000000000000', 'B', 'europe/berlin'),
 ('c0000000-0000-0000-0000-000000000000', 'C', 'Asia/Tokyo'),
 ('d0000000-0000-0000-0000-000000000000', 'D', NULL),
 ('e0000000-0000-0000-0000-000000000000', 'E', '');
INSERT INTO workspaces(id, name, slug, owner_id) VALUES
 ('f0000000-0000-0000-0000-000000000000', 'W', 'w', 'a0000000-0000-0000-0000-000000000000');
INSERT INTO workspace_members(workspace_id, user_id, role) VALUES
 ('f0000000-0000-0000-0000-000000000000', 'a0000000-0000-0000-0000-000000000000', 'owner'),
 ('f0000000-0000-0000-0000-000000000000', 'd0000000-0000-0000-0000-000000000000', 'member');

INSERT INTO platform_connections(id, user_id, platform, platform_user_id, platform_username, access_token, is_active) VALUES
 ('00000000-0000-0000-0000-0000000000a1', 'a0000000-0000-0000-0000-000000000000', 'github',  'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000a2', 'a0000000-0000-0000-0000-000000000000', 'youtube', 'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000a3', 'a0000000-0000-0000-0000-000000000000', 'devto',   'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000a4', 'a0000000-0000-0000-0000-000000000000', 'twitter', 'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000b1', 'b0000000-0000-0000-0000-000000000000', 'github',  'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000c2', 'c0000000-0000-0000-0000-000000000000', 'youtube', 'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000d1', 'd0000000-0000-0000-0000-000000000000', 'github',  'x', 'x', 't', true),
 ('00000000-0000-0000-0000-0000000000e3', 'e0000000-0000-0000-0000-000000000000', 'devto',   'x', 'x', 't', true);

INSERT INTO monitors(user_id, workspace_id, platform, platform_connection_id, monitor_type, platform_resource_id, is_active) VALUES
 -- A: github all in W; github repository 101 in W (duplicate cover of repo 101)
 ('a0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'github',  '00000000-0000-0000-0000-0000000000a1', 'all', NULL, true),
 ('a0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'github',  '00000000-0000-0000-0000-0000000000a1', 'repository', '101', true),
 -- A: youtube channel, personal only
 ('a0000000-0000-0000-0000-000000000000', NULL, 'youtube', '00000000-0000-0000-0000-0000000000a2', 'channel', NULL, true),
 -- A: devto user in W
 ('a0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'devto',   '00000000-0000-0000-0000-0000000000a3', 'user', NULL, true),
 -- A: unknown platform (not live)
 ('a0000000-0000-0000-0000-000000000000', NULL, 'twitter', '00000000-0000-0000-0000-0000000000a4', 'all', NULL, true),
 -- B: github repository 201 only (no contributions); an inactive 'all'
 ('b0000000-0000-0000-0000-000000000000', NULL, 'github',  '00000000-0000-0000-0000-0000000000b1', 'repository', '201', true),
 ('b0000000-0000-0000-0000-000000000000', NULL, 'github',  '00000000-0000-0000-0000-0000000000b1', 'all', NULL, false),
 -- C: youtube all; a 'repository' monitor on youtube (unusable)
 ('c0000000-0000-0000-0000-000000000000', NULL, 'youtube', '00000000-0000-0000-0000-0000000000c2', 'all', NULL, true),
 ('c0000000-0000-0000-0000-000000000000', NULL, 'youtube', '00000000-0000-0000-0000-0000000000c2', 'repository', '1', true),
 -- D: github all in W (member); D monitoring A's youtube in W (not live: other person's connection)
 ('d0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'github',  '00000000-0000-0000-0000-0000000000d1', 'all', NULL, true),
 ('d0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'youtube', '00000000-0000-0000-0000-0000000000a2', 'all', NULL, true),
 -- E: devto all in W, but E is not a member of W
 ('e0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'devto',   '00000000-0000-0000-0000-0000000000e3', 'all', NULL, true);

INSERT INTO github_contributions(platform_connection_id, date, commits_count, pull_requests_count, issues_count, repositories_contributed_to) VALUES
 ('00000000-0000-0000-0000-0000000000a1', '2024-02-28', 1, 0, 0, 0),
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-04', 3, 1, 0, 2),
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-05', 0, 0, 0, 5),  -- not active, rct 5
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-06', 2, 0, 1, 4),
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-10', 5, 0, 0, 1),
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-11', 7, 0, 0, 3),
 ('00000000-0000-0000-0000-0000000000a1', '2024-03-12', 100, 0, 0, 9),  -- after A's cutoff
 ('00000000-0000-0000-0000-0000000000b1', '2024-03-11', 9, 0, 0, 1),  -- B: not in scope
 ('00000000-0000-0000-0000-0000000000d1', '2024-03-05', 4, 0, 0, 1),
 ('00000000-0000-0000-0000-0000000000d1', '2024-03-06', 1, 0, 0, 2);

INSERT INTO github_repositories(platform_connection_id, github_repo_id, name, full_name, html_url,
                                stars_count, forks_count, watchers_count, open_issues_count, created_at, updated_at) VALUES
 -- 2024-03-05 03:30 UTC = 2024-03-04 22:30 EST: local date 03-04
 ('00000000-0000-0000-0000-0000000000a1', 101, 'r101', 'a/r101', 'u', 10, 2, 3, 1, '2024-03-05 03:30+00', now()),
 ('00000000-0000-0000-0000-0000000000a1', 102, 'r102', 'a/r102', 'u',  5, 0, 1, 0, '2023-12-01 12:00+00', now()),
 -- 2024-03-12 01:00 UTC = 2024-03-11 21:00 EDT: local date 03-11 (<= cutoff)
 ('00000000-0000-0000-0000-0000000000a1', 103, 'r103', 'a/r103', 'u',  7, 1, 0, 2, '2024-03-12 01:00+00', now()),
 -- 2024-03-12 05:00 UTC = 2024-03-12 01:00 EDT: after A's cutoff
 ('00000000-0000-0000-0000-0000000000a1', 104, 'r104', 'a/r104', 'u', 50, 0, 0, 0, '2024-03-12 05:00+00', now()),
 -- B (UTC): 2024-03-10 23:30 UTC -> 03-10 (would be 03-11 in Berlin)
 ('00000000-0000-0000-0000-0000000000b1', 201, 'r201', 'b/r201', 'u',  4, 0, 0, 0, '2024-03-10 23:30+00', now()),
 ('00000000-0000-0000-0000-0000000000b1', 202, 'r202', 'b/r202', 'u', 100, 0, 0, 0, '2024-01-01 00:00+00', now());

INSERT INTO youtube_channel_stats(platform_connection_id, date, subscriber_count, total_views, video_count) VALUES
 ('00000000-0000-0000-0000-0000000000a2', '2024-02-29', 100, 1000, 0),
 ('00000000-0000-0000-0000-0000000000a2', '2024-03-03', 110, 1500, 0),
 ('00000000-0000-0000-0000-0000000000a2', '2024-03-05', 120, 1700, 1),
 ('00000000-0000-0000-0000-0000000000a2', '2024-03-12', 999, 9999, 2),  -- after A's cutoff
 ('00000000-0000-0000-0000-0000000000c2', '2024-03-10',  50,  500, 0),
 ('00000000-0000-0000-0000-0000000000c2', '2024-03-12',  55,  600, 1);

INSERT INTO youtube_videos(platform_connection_id, youtube_video_id, title, like_count, comment_count, view_count, published_at) VALUES
 -- 2024-03-06 04:00 UTC = 03-05 23:00 EST
 ('00000000-0000-0000-0000-0000000000a2', 'v1', 'v1', 5, 1, 10, '2024-03-06 04:00+00'),
 -- 2024-03-12 03:00 UTC = 03-11 23:00 EDT
 ('00000000-0000-0000-0000-0000000000a2', 'v2', 'v2', 2, 0, 10, '2024-03-12 03:00+00'),
 -- C: 2024-03-11 16:00 UTC = 03-12 01:00 JST
 ('00000000-0000-0000-0000-0000000000c2', 'v3', 'v3', 1, 1, 10, '2024-03-11 16:00+00');

INSERT INTO devto_articles(platform_connection_id, devto_article_id, title, url, view_count, reaction_count, comment_count, published_at) VALUES
 ('00000000-0000-0000-0000-0000000000a3', 1, 'a1', 'u', 50, 5, 2, '2024-03-01 10:00+00'),
 ('00000000-0000-0000-0000-0000000000a3', 2, 'draft', 'u', 999, 99, 9, NULL),
 ('00000000-0000-0000-0000-0000000000e3', 3, 'e1', 'u', 7, 1, 1, '2024-03-02 10:00+00');

-- goals (ids g0..: '00000000-0000-0000-0000-0000000000NN' with NN the goal number)
INSERT INTO goals(id, user_id, workspace_id, platform, goal_type, target_value, current_value, unit,
                  start_date, end_date, is_achieved, achieved_at, updated_at) VALUES
 -- 1: A commits 03-05..03-11 = 0+2+5+7 = 14 >= 10: achieved now
 ('00000000-0000-0000-0000-000000000001', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', 10, 0, 'count', '2024-03-05', NULL, false, NULL, '2020-01-01'),
 -- 2: A subscribers %: b (02-29) = 100, v (03-11) = 120 -> 20.00
 ('00000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000000', NULL, 'youtube', 'subscribers', 50, 0, 'percentage', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 3: C subscribers %: b (03-10) = 50, v (03-12) = 55 -> 10.00 >= 5
 ('00000000-0000-0000-0000-000000000003', 'c0000000-0000-0000-0000-000000000000', NULL, 'youtube', 'subscribers', 5, 0, 'percentage', '2024-03-11', NULL, false, NULL, '2020-01-01'),
 -- 4: percentage on a flow metric: skipped
 ('00000000-0000-0000-0000-000000000004', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', 10, 7, 'percentage', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 5: W all comments = devto 2 (no youtube in W's scope; E's article not in W)
 ('00000000-0000-0000-0000-000000000005', 'a0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'all', 'comments', 2, 0, 'count', '2024-01-01', NULL, false, NULL, '2020-01-01'),
 -- 6: same value 14 as 14.00, already achieved: unchanged
 ('00000000-0000-0000-0000-000000000006', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', 10, 14.00, 'count', '2024-03-05', NULL, true, '2024-03-01 00:00+00', '2020-01-01'),
 -- 7: percentage with b = 0: skipped
 ('00000000-0000-0000-0000-000000000007', 'a0000000-0000-0000-0000-000000000000', NULL, 'devto', 'views', 10, 3, 'percentage', '2024-02-01', NULL, false, NULL, '2020-01-01'),
 -- 8: start after evaluation day: 0 >= 0 achieved
 ('00000000-0000-0000-0000-000000000008', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'stars', 0, 5, 'count', '2024-04-01', NULL, false, NULL, '2020-01-01'),
 -- 9: unknown goal_type: skipped
 ('00000000-0000-0000-0000-000000000009', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'foo', 1, 0, 'count', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 10: end before start: skipped
 ('00000000-0000-0000-0000-000000000010', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', 1, 0, 'count', '2024-03-05', '2024-03-04', false, NULL, '2020-01-01'),
 -- 11: ended 03-04: repositories as of 03-04 = 2 (102, and 101 at local 03-04)
 ('00000000-0000-0000-0000-000000000011', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'repositories', 10, 0, 'count', '2024-01-01', '2024-03-04', false, NULL, '2020-01-01'),
 -- 12: already achieved, achieved_at NULL, below target: stays achieved, achieved_at := as_of, value 22
 ('00000000-0000-0000-0000-000000000012', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'stars', 1000, 0, 'count', '2024-01-01', NULL, true, NULL, '2020-01-01'),
 -- 13: C all views = youtube total_views as of 03-12 = 600
 ('00000000-0000-0000-0000-000000000013', 'c0000000-0000-0000-0000-000000000000', NULL, 'all', 'views', 1000000, 0, 'count', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 14: A youtube views %: b (03-03) = 1500, v (03-11) = 1700 -> 13.33
 ('00000000-0000-0000-0000-000000000014', 'a0000000-0000-0000-0000-000000000000', NULL, 'youtube', 'views', 50, 0, 'percentage', '2024-03-04', NULL, false, NULL, '2020-01-01'),
 -- 15: unknown unit (case matters): skipped
 ('00000000-0000-0000-0000-000000000015', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', 1, 0, 'Count', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 16: negative target: skipped
 ('00000000-0000-0000-0000-000000000016', 'a0000000-0000-0000-0000-000000000000', NULL, 'github', 'commits', -1, 0, 'count', '2024-03-01', NULL, false, NULL, '2020-01-01'),
 -- 17: W commits 03-04..03-10 (end_date) = A 10 + D 5 = 15
 ('00000000-0000-0000-0000-000000000017', 'a0000000-0000-0000-0000-000000000000', 'f0000000-0000-0000-0000-000000000000', 'github', 'commits', 100, 0, 'count', '2024-03-04', '2024-03-10', false, NULL, '2020-01-01'),
 -- 18: C views % going down is impossible here; B stars % from 03-11: b (03-10) = 4, v (03-12) = 4 -> 0.00, old 0: unchanged
 ('00000000-0000-0000-0000-000000000018', 'b0000000-0000-0000-0000-000000000000', NULL, 'github', 'stars', 10, 0, 'percentage', '2024-03-11', NULL, false, NULL, '2020-01-01'),
 -- 19: unknown platform: skipped
 ('00000000-0000-0000-0000-000000000019', 'a0000000-0000-0000-0000-000000000000', NULL, 'twitter', 'views', 1, 0, 'count', '2024-03-01', NULL, false, NULL, '2020-01-01');

CREATE TABLE reftest.n AS SELECT * FROM ref.snapshots_nightly('2024-03-13 02:00+00', 3);
CREATE TABLE reftest.b AS SELECT * FROM ref.snapshots_backfill('2024-03-13 02:00+00', '2024-03-01', '2024-03-09');
CREATE TABLE reftest.g AS SELECT * FROM ref.goals_after('2024-03-13 02:00+00');

-- value of one metric of one row: t = table (n/b), u = user, w = workspace or NULL
CREATE FUNCTION reftest.v(t text, u text, w text, p text, st text, d text, obj text, k text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE format('SELECT metrics -> %L ->> %L FROM reftest.%I
                    WHERE user_id = %L AND workspace_id IS NOT DISTINCT FROM %L::uuid
                      AND platform = %L AND snapshot_type = %L AND snapshot_date = %L',
                   obj, k, t, u, w, p, st, d) INTO r;
    RETURN r;
END $$;

DO $$
DECLARE
    ua text := 'a0000000-0000-0000-0000-000000000000';
    ub text := 'b0000000-0000-0000-0000-000000000000';
    uc text := 'c0000000-0000-0000-0000-000000000000';
    ud text := 'd0000000-0000-0000-0000-000000000000';
    ue text := 'e0000000-0000-0000-0000-000000000000';
    ws text := 'f0000000-0000-0000-0000-000000000000';
BEGIN
    -- A personal, weekly 03-04 (Mon..Sun 03-10), github
    PERFORM reftest.check('A wk commits', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'commits'), '10');
    PERFORM reftest.check('A wk prs', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'pull_requests'), '1');
    PERFORM reftest.check('A wk issues', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'issues'), '1');
    PERFORM reftest.check('A wk active_days', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'active_days'), '3');
    PERFORM reftest.check('A wk rct', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'repositories_contributed_to'), '5');
    PERFORM reftest.check('A wk total_commits', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'total_commits'), '11');
    PERFORM reftest.check('A wk repos', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'repositories_count'), '2');
    PERFORM reftest.check('A wk new repos', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'new_repositories'), '1');
    PERFORM reftest.check('A wk stars', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-04', 'github', 'total_stars'), '15');
    -- A weekly 03-11, to date (cutoff 03-11): repo 103 counts (local 03-11 21:00), 104 does not
    PERFORM reftest.check('A wk2 commits', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-11', 'github', 'commits'), '7');
    PERFORM reftest.check('A wk2 repos', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-11', 'github', 'repositories_count'), '3');
    PERFORM reftest.check('A wk2 new repos', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-11', 'github', 'new_repositories'), '1');
    PERFORM reftest.check('A wk2 stars', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-11', 'github', 'total_stars'), '22');
    PERFORM reftest.check('A wk2 total_commits', reftest.v('n', ua, NULL, 'github', 'weekly', '2024-03-11', 'github', 'total_commits'), '18');
    PERFORM reftest.check('A no daily 03-12', (SELECT count(*) FROM reftest.n WHERE user_id = ua::uuid AND snapshot_date = '2024-03-12'), 0::bigint);
    -- A daily across local midnight (backfill 03-01..03-09)
    PERFORM reftest.check('A d0304 repos', reftest.v('b', ua, NULL, 'github', 'daily', '2024-03-04', 'github', 'repositories_count'), '2');
    PERFORM reftest.check('A d0304 new', reftest.v('b', ua, NULL, 'github', 'daily', '2024-03-04', 'github', 'new_repositories'), '1');
    PERFORM reftest.check('A d0305 new', reftest.v('b', ua, NULL, 'github', 'daily', '2024-03-05', 'github', 'new_repositories'), '0');
    PERFORM reftest.check('A d0305 active', reftest.v('b', ua, NULL, 'github', 'daily', '2024-03-05', 'github', 'active_days'), '0');
    PERFORM reftest.check('A d0305 rct', reftest.v('b', ua, NULL, 'github', 'daily', '2024-03-05', 'github', 'repositories_contributed_to'), '5');
    -- A youtube (channel monitor, personal)
    PERFORM reftest.check('A yt wk subs', reftest.v('n', ua, NULL, 'youtube', 'weekly', '2024-03-04', 'youtube', 'total_subscribers'), '120');
    PERFORM reftest.check('A yt wk gained', reftest.v('n', ua, NULL, 'youtube', 'weekly', '2024-03-04', 'youtube', 'subscribers_gained'), '10');
    PERFORM reftest.check('A yt wk views_gained', reftest.v('n', ua, NULL, 'youtube', 'weekly', '2024-03-04', 'youtube', 'views_gained'), '200');
    PERFORM reftest.check('A yt wk views', reftest.v('n', ua, NULL, 'youtube', 'weekly', '2024-03-04', 'youtube', 'total_views'), '1700');
    PERFORM reftest.check('A yt wk videos', reftest.v('n', ua, NULL, 'youtube', 'weekly', '2024-03-04', 'youtube', 'total_videos'), '1');
    PERFORM reftest.check('A yt mo gained', reftest.v('n', ua, NULL, 'youtube', 'monthly', '2024-03-01', 'youtube', 'subscribers_gained'), '20');
    PERFORM reftest.check('A yt mo videos_published', reftest.v('n', ua, NULL, 'youtube', 'monthly', '2024-03-01', 'youtube', 'videos_published'), '2');
    PERFORM reftest.check('A yt mo likes', reftest.v('n', ua, NULL, 'youtube', 'monthly', '2024-03-01', 'youtube', 'video_likes'), '7');
    PERFORM reftest.check('A yt d0311 published', reftest.v('n', ua, NULL, 'youtube', 'daily', '2024-03-11', 'youtube', 'videos_published'), '1');
    PERFORM reftest.check('A yt d0311 gained', reftest.v('n', ua, NULL, 'youtube', 'daily', '2024-03-11', 'youtube', 'subscribers_gained'), '0');
    -- A devto: draft excluded
    PERFORM reftest.check('A dv mo articles', reftest.v('n', ua, NULL, 'devto', 'monthly', '2024-03-01', 'devto', 'total_articles'), '1');
    PERFORM reftest.check('A dv mo views', reftest.v('n', ua, NULL, 'devto', 'monthly', '2024-03-01', 'devto', 'total_views'), '50');
    -- A 'all' row holds github, youtube, devto (twitter monitor is not live)
    PERFORM reftest.check('A all keys', (SELECT array_agg(k ORDER BY k) FROM reftest.n, jsonb_object_keys(metrics) k
        WHERE user_id = ua::uuid AND workspace_id IS NULL AND platform = 'all' AND snapshot_type = 'monthly'),
        ARRAY['devto', 'github', 'youtube']);
    PERFORM reftest.check('A all = parts', (SELECT metrics FROM reftest.n WHERE user_id = ua::uuid AND workspace_id IS NULL
            AND platform = 'all' AND snapshot_type = 'weekly' AND snapshot_date = '2024-03-04'),
        (SELECT jsonb_object_agg(platform, metrics -> platform) FROM reftest.n WHERE user_id = ua::uuid AND workspace_id IS NULL
            AND platform <> 'all' AND snapshot_type = 'weekly' AND snapshot_date = '2024-03-04'));
    -- 3 daily + 2 weekly + 1 monthly, times github/youtube/devto/all
    PERFORM reftest.check('A row count', (SELECT count(*) FROM reftest.n WHERE user_id = ua::uuid AND workspace_id IS NULL), 24::bigint);
    PERFORM reftest.check('every key present', (SELECT count(*) FROM reftest.n, jsonb_each(metrics) o
        WHERE (o.key = 'github' AND (SELECT count(*) FROM jsonb_object_keys(o.value)) <> 12)
           OR (o.key = 'youtube' AND (SELECT count(*) FROM jsonb_object_keys(o.value)) <> 8)
           OR (o.key = 'devto' AND (SELECT count(*) FROM jsonb_object_keys(o.value)) <> 5)), 0::bigint);

    -- B: invalid zone -> UTC; repository monitor only: repo 201 at 03-10, no contributions
    PERFORM reftest.check('B d0310 repos', reftest.v('n', ub, NULL, 'github', 'daily', '2024-03-10', 'github', 'repositories_count'), '1');
    PERFORM reftest.check('B d0310 new', reftest.v('n', ub, NULL, 'github', 'daily', '2024-03-10', 'github', 'new_repositories'), '1');
    PERFORM reftest.check('B mo commits', reftest.v('n', ub, NULL, 'github', 'monthly', '2024-03-01', 'github', 'commits'), '0');
    PERFORM reftest.check('B mo stars', reftest.v('n', ub, NULL, 'github', 'monthly', '2024-03-01', 'github', 'total_stars'), '4');
    PERFORM reftest.check('B nightly rows', (SELECT count(*) FROM reftest.n WHERE user_id = ub::uuid), 12::bigint);
    -- backfill 03-01..03-09: first day 03-10, so only week 03-04 and month 03-01
    PERFORM reftest.check('B backfill rows', (SELECT string_agg(platform || ' ' || snapshot_type || ' ' || snapshot_date, ', '
            ORDER BY platform, snapshot_type, snapshot_date) FROM reftest.b WHERE user_id = ub::uuid),
        'all monthly 2024-03-01, all weekly 2024-03-04, github monthly 2024-03-01, github weekly 2024-03-04');

    -- C: Tokyo; video at 03-11 16:00 UTC is local 03-12
    PERFORM reftest.check('C d0312 published', reftest.v('n', uc, NULL, 'youtube', 'daily', '2024-03-12', 'youtube', 'videos_published'), '1');
    PERFORM reftest.check('C d0311 published', reftest.v('n', uc, NULL, 'youtube', 'daily', '2024-03-11', 'youtube', 'videos_published'), '0');
    PERFORM reftest.check('C d0312 gained', reftest.v('n', uc, NULL, 'youtube', 'daily', '2024-03-12', 'youtube', 'subscribers_gained'), '5');
    PERFORM reftest.check('C d0311 subs', reftest.v('n', uc, NULL, 'youtube', 'daily', '2024-03-11', 'youtube', 'total_subscribers'), '50');

    -- W: owner A's zone (cutoff 03-11), user_id = owner; scope = A (github, devto) + D (github)
    PERFORM reftest.check('W wk commits', reftest.v('n', ua, ws, 'github', 'weekly', '2024-03-04', 'github', 'commits'), '15');
    PERFORM reftest.check('W wk active', reftest.v('n', ua, ws, 'github', 'weekly', '2024-03-04', 'github', 'active_days'), '4');
    PERFORM reftest.check('W wk rct', reftest.v('n', ua, ws, 'github', 'weekly', '2024-03-04', 'github', 'repositories_contributed_to'), '7');
    PERFORM reftest.check('W mo articles', reftest.v('n', ua, ws, 'devto', 'monthly', '2024-03-01', 'devto', 'total_articles'), '1');
    PERFORM reftest.check('W all keys', (SELECT array_agg(k ORDER BY k) FROM reftest.n, jsonb_object_keys(metrics) k
        WHERE workspace_id = ws::uuid AND platform = 'all' AND snapshot_type = 'monthly'), ARRAY['devto', 'github']);
    PERFORM reftest.check('W no youtube', (SELECT count(*) FROM reftest.n WHERE workspace_id = ws::uuid AND platform = 'youtube'), 0::bigint);
    PERFORM reftest.check('W user_id', (SELECT count(*) FROM reftest.n WHERE workspace_id = ws::uuid AND user_id <> ua::uuid), 0::bigint);
    PERFORM reftest.check('W last daily', (SELECT max(snapshot_date) FROM reftest.n WHERE workspace_id = ws::uuid AND snapshot_type = 'daily'), '2024-03-11'::date);

    -- D (NULL zone) and E ('' zone): personal rows
    PERFORM reftest.check('D d0312 commits', reftest.v('n', ud, NULL, 'github', 'monthly', '2024-03-01', 'github', 'commits'), '5');
    PERFORM reftest.check('E mo articles', reftest.v('n', ue, NULL, 'devto', 'monthly', '2024-03-01', 'devto', 'total_articles'), '1');
    PERFORM reftest.check('E d0312 exists', (SELECT count(*) FROM reftest.n WHERE user_id = ue::uuid AND snapshot_date = '2024-03-12' AND snapshot_type = 'daily'), 2::bigint);
END $$;

-- goals
CREATE FUNCTION reftest.goal(n int) RETURNS reftest.g LANGUAGE sql AS $$
    SELECT * FROM reftest.g WHERE id = ('00000000-0000-0000-0000-0000000000' || lpad(n::text, 2, '0'))::uuid
$$;

DO $$
DECLARE
    asof timestamptz := '2024-03-13 02:00+00';
    old  timestamptz := '2020-01-01';
BEGIN
    PERFORM reftest.check('goal count', (SELECT count(*) FROM reftest.g), 19::bigint);
    PERFORM reftest.check('g1', reftest.goal(1)::text, ROW('00000000-0000-0000-0000-000000000001'::uuid, 14::numeric, true, asof, asof, true)::reftest.g::text);
    PERFORM reftest.check('g2 value', (reftest.goal(2)).current_value::text, '20.00');
    PERFORM reftest.check('g2', ((reftest.goal(2)).is_achieved, (reftest.goal(2)).achieved_at, (reftest.goal(2)).updated_at, (reftest.goal(2)).changed)::text,
                                (false, NULL::timestamptz, asof, true)::text);
    PERFORM reftest.check('g3 value', (reftest.goal(3)).current_value::text, '10.00');
    PERFORM reftest.check('g3 achieved', ((reftest.goal(3)).is_achieved, (reftest.goal(3)).achieved_at)::text, (true, asof)::text);
    PERFORM reftest.check('g4 skipped', ((reftest.goal(4)).current_value, (reftest.goal(4)).updated_at, (reftest.goal(4)).changed)::text, (7, old, false)::text);
    PERFORM reftest.check('g5', ((reftest.goal(5)).current_value, (reftest.goal(5)).is_achieved, (reftest.goal(5)).changed)::text, (2, true, true)::text);
    PERFORM reftest.check('g6 unchanged', ((reftest.goal(6)).current_value::text, (reftest.goal(6)).achieved_at, (reftest.goal(6)).updated_at, (reftest.goal(6)).changed)::text,
                                          ('14.00', '2024-03-01 00:00+00'::timestamptz, old, false)::text);
    PERFORM reftest.check('g7 skipped', ((reftest.goal(7)).current_value, (reftest.goal(7)).changed)::text, (3, false)::text);
    PERFORM reftest.check('g8 zero', ((reftest.goal(8)).current_value, (reftest.goal(8)).is_achieved, (reftest.goal(8)).achieved_at, (reftest.goal(8)).changed)::text,
                                     (0, true, asof, true)::text);
    PERFORM reftest.check('g9 skipped', (reftest.goal(9)).changed, false);
    PERFORM reftest.check('g10 skipped', (reftest.goal(10)).changed, false);
    PERFORM reftest.check('g11', ((reftest.goal(11)).current_value, (reftest.goal(11)).is_achieved, (reftest.goal(11)).changed)::text, (2, false, true)::text);
    PERFORM reftest.check('g12', ((reftest.goal(12)).current_value, (reftest.goal(12)).is_achieved, (reftest.goal(12)).achieved_at, (reftest.goal(12)).changed)::text,
                                 (22, true, asof, true)::text);
    PERFORM reftest.check('g13', (reftest.goal(13)).current_value, 600::numeric);
    PERFORM reftest.check('g14', (reftest.goal(14)).current_value::text, '13.33');
    PERFORM reftest.check('g15 skipped', (reftest.goal(15)).changed, false);
    PERFORM reftest.check('g16 skipped', (reftest.goal(16)).changed, false);
    PERFORM reftest.check('g17', (reftest.goal(17)).current_value, 15::numeric);
    PERFORM reftest.check('g18 unchanged', ((reftest.goal(18)).current_value, (reftest.goal(18)).updated_at, (reftest.goal(18)).changed)::text, (0, old, false)::text);
    PERFORM reftest.check('g19 skipped', (reftest.goal(19)).changed, false);
END $$;

-- errors of S6
DO $$
BEGIN
    BEGIN
        PERFORM * FROM ref.snapshots_nightly('2024-03-13', 0);
        RAISE EXCEPTION 'selftest FAILED: lookback 0 accepted';
    EXCEPTION WHEN raise_exception THEN
        IF SQLERRM LIKE 'selftest FAILED%' THEN RAISE; END IF;
    END;
    BEGIN
        PERFORM * FROM ref.snapshots_backfill('2024-03-13', '2024-03-02', '2024-03-01');
        RAISE EXCEPTION 'selftest FAILED: from > to accepted';
    EXCEPTION WHEN raise_exception THEN
        IF SQLERRM LIKE 'selftest FAILED%' THEN RAISE; END IF;
    END;
    -- a range wholly after every cutoff writes nothing
    PERFORM reftest.check('future backfill', (SELECT count(*) FROM ref.snapshots_backfill('2024-03-13 02:00+00', '2024-03-13', '2024-04-01')), 0::bigint);
END $$;

-- the hand data set against the naive implementation
SELECT reftest.compare('hand nightly 3', '2024-03-13 02:00+00', 3, NULL, NULL);
SELECT reftest.compare('hand nightly 1', '2024-03-13 02:00+00', 1, NULL, NULL);
SELECT reftest.compare('hand nightly 40', '2024-03-13 02:00+00', 40, NULL, NULL);
SELECT reftest.compare('hand backfill', '2024-03-13 02:00+00', NULL, '2023-11-20', '2024-04-02');
SELECT reftest.compare('hand backfill late as_of', '2024-03-13 05:00+00', NULL, '2024-02-25', '2024-03-31');

ROLLBACK TO SAVEPOINT hand;

------------------------------------------------------------------------------
-- Part 3: random data set, compared with the naive implementation
------------------------------------------------------------------------------
SELECT setseed(0.4242);

CREATE TEMP TABLE tzs(i int, tz text);
INSERT INTO tzs SELECT row_number() OVER () - 1, tz FROM unnest(ARRAY[
    'UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Chatham',
    'Australia/Lord_Howe', 'America/Sao_Paulo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago',
    'America/St_Johns', 'europe/berlin', ' UTC', '', NULL, 'Not/AZone', 'EST5EDT',
    'Etc/GMT-14', 'Etc/GMT+12', 'Asia/Tehran', 'America/Santiago']) tz;

INSERT INTO auth.users(id) SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(i), 12, '0'))::uuid FROM generate_series(1, 14) i;
INSERT INTO profiles(id, timezone)
SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(i), 12, '0'))::uuid, (SELECT tz FROM tzs WHERE tzs.i = (s.i - 1) % 20)
FROM generate_series(1, 14) s(i);

INSERT INTO workspaces(id, name, slug, owner_id)
SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(i), 12, '0'))::uuid, 'w' || i, 'w' || i,
       ('00000000-0000-0000-0001-' || lpad(to_hex(i * 3), 12, '0'))::uuid
FROM generate_series(1, 4) i;
INSERT INTO workspace_members(workspace_id, user_id)
SELECT w.id, p.id FROM workspaces w, profiles p WHERE random() < 0.35 AND p.id <> w.owner_id;

INSERT INTO platform_connections(user_id, platform, platform_user_id, platform_username, access_token, is_active)
SELECT p.id, pl, 'x', 'x', 't', random() < 0.9
FROM profiles p, unnest(ARRAY['github', 'youtube', 'devto', 'mastodon']) pl
WHERE random() < 0.75;

-- monitors: mostly valid, some odd ones; some in workspaces
INSERT INTO monitors(user_id, workspace_id, platform, platform_connection_id, monitor_type, platform_resource_id, is_active)
SELECT CASE WHEN random() < 0.05 THEN (SELECT id FROM profiles ORDER BY random() LIMIT 1) ELSE c.user_id END,
       CASE WHEN random() < 0.6 THEN (SELECT id FROM workspaces ORDER BY random() + (c.user_id::text < '')::int LIMIT 1) END,
       CASE WHEN random() < 0.05 THEN 'github' ELSE c.platform END,
       c.id,
       (ARRAY['all', 'user', 'repository', 'channel', 'all', 'user', 'bogus'])[1 + floor(random() * 7)::int],
       NULL,
       random() < 0.9
FROM platform_connections c, generate_series(1, 3) k
WHERE random() < 0.7;

INSERT INTO github_contributions(platform_connection_id, date, commits_count, pull_requests_count, issues_count, repositories_contributed_to)
SELECT c.id, d::date,
       CASE WHEN random() < 0.4 THEN 0 ELSE floor(random() * 6)::int END,
       CASE WHEN random() < 0.8 THEN 0 ELSE floor(random() * 3)::int END,
       CASE WHEN random() < 0.8 THEN 0 ELSE floor(random() * 3)::int END,
       floor(random() * 5)::int
FROM platform_connections c, generate_series('2024-01-20'::date, '2024-04-05', '1 day') d
WHERE c.platform IN ('github', 'mastodon') AND random() < 0.6;

INSERT INTO github_repositories(platform_connection_id, github_repo_id, name, full_name, html_url,
                                stars_count, forks_count, watchers_count, open_issues_count, created_at, updated_at)
SELECT c.id, 1000 * row_number() OVER () + k, 'r', 'r', 'u',
       floor(random() * 50)::int, floor(random() * 5)::int, floor(random() * 9)::int, floor(random() * 4)::int,
       '2024-01-15'::timestamptz + random() * interval '85 days', now()
FROM platform_connections c, generate_series(1, 6) k
WHERE c.platform = 'github';

-- repository monitors point at some of the connection's repositories (or nowhere)
UPDATE monitors m SET platform_resource_id =
    CASE WHEN random() < 0.2 THEN 'nope'
         ELSE (SELECT r.github_repo_id::text FROM github_repositories r
               WHERE r.platform_connection_id = m.platform_connection_id
               ORDER BY random() + (m.id::text < '')::int LIMIT 1) END
WHERE m.monitor_type = 'repository';

INSERT INTO youtube_channel_stats(platform_connection_id, date, subscriber_count, total_views, video_count)
SELECT c.id, d::date, floor(random() * 1000)::int, floor(random() * 100000)::int, 0
FROM platform_connections c, generate_series('2024-01-25'::date, '2024-04-05', '1 day') d
WHERE c.platform = 'youtube' AND random() < 0.3;

INSERT INTO youtube_videos(platform_connection_id, youtube_video_id, title, like_count, comment_count, published_at)
SELECT c.id, c.id::text || k, 't', floor(random() * 30)::int, floor(random() * 10)::int,
       '2024-01-20'::timestamptz + random() * interval '80 days'
FROM platform_connections c, generate_series(1, 8) k
WHERE c.platform = 'youtube';

INSERT INTO devto_articles(platform_connection_id, devto_article_id, title, url, view_count, reaction_count, comment_count, published_at)
SELECT c.id, row_number() OVER (), 't', 'u', floor(random() * 300)::int, floor(random() * 30)::int, floor(random() * 10)::int,
       CASE WHEN random() < 0.15 THEN NULL ELSE '2024-01-20'::timestamptz + random() * interval '80 days' END
FROM platform_connections c, generate_series(1, 8) k
WHERE c.platform = 'devto';

SELECT (SELECT count(*) FROM monitors) AS monitors, (SELECT count(*) FROM github_contributions) AS contributions,
       (SELECT count(*) FROM github_repositories) AS repos, (SELECT count(*) FROM youtube_channel_stats) AS stats,
       (SELECT count(*) FROM youtube_videos) AS videos, (SELECT count(*) FROM devto_articles) AS articles;

SELECT reftest.compare('random nightly 3', '2024-03-13 02:00+00', 3, NULL, NULL);
SELECT reftest.compare('random nightly 10 (DST week)', '2024-03-31 23:30+00', 10, NULL, NULL);
SELECT reftest.compare('random backfill', '2024-03-20 11:00+00', NULL, '2024-01-10', '2024-04-10');
SELECT reftest.compare('random backfill 2', '2024-04-01 13:45+00', NULL, '2024-02-27', '2024-03-03');

ROLLBACK;
\echo 'reference selftest: all checks passed'
