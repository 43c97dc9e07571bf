-- bench/sql/snapshots.sql: the snapshot rows of a run (SPEC.md sections 2, 4,
-- 5), set-based.  Part of the SQL peer; nightly.sql and backfill.sql include
-- it after subjects.sql, inside their transaction.
--
-- Input (temp tables made by the caller):
--   rng      (subj, lo, hi)  the days whose buckets a subject gets (lo <= hi)
--   extra_pt (subj, day)     more days whose running totals are wanted (goals)
-- Output (temporary, gone with the session):
--   cum  (subj, day, c_*, d_*, rct_day)  running totals of the 18 series at
--        every wanted day: c_x = sum of x over in-scope rows dated <= day,
--        d_x = the part of c_x dated on day itself
--   snap, a view (user_id, workspace_id, platform, snapshot_type, snapshot_date,
--        metrics): the rows to write
--
-- How: every metric but repositories_contributed_to is a running total C(d)
-- of a per-day series: "before end" is C(e), "in bucket" is C(e) - C(s - 1).
-- Channel stats become per-connection changes (value minus the previous
-- row's), so their running total is "the latest row on or before d", summed
-- over connections.  The running totals are taken once, by a window over the
-- days of each subject, and read at the days buckets ask for.

-- Weekly and monthly buckets containing a day of lo .. hi (daily buckets are
-- the days themselves), with e = min(last day, cutoff).
CREATE TEMP TABLE bkt AS
WITH b AS (
    SELECT r.subj, 'weekly' AS snapshot_type, m.monday + 7 * k AS snapshot_date,
           m.monday + 7 * k + 6 AS last_day
    FROM rng r
    CROSS JOIN LATERAL (SELECT r.lo - (extract(isodow FROM r.lo)::int - 1) AS monday) m
    CROSS JOIN LATERAL generate_series(0, (r.hi - m.monday) / 7) k
    UNION ALL
    SELECT r.subj, 'monthly', f::date, (f + interval '1 month')::date - 1
    FROM rng r
    CROSS JOIN LATERAL generate_series(date_trunc('month', r.lo::timestamp),
                                       r.hi::timestamp, interval '1 month') f
)
SELECT b.*, least(b.last_day, s.cutoff) AS e
FROM b JOIN subj s USING (subj);

-- Per subject: cutoff, zone, the first bucket day minus one (gd: running
-- totals are wanted every day from gd to the cutoff) and g0, the earliest
-- wanted day (rows dated before it only matter through their sum).
CREATE TEMP TABLE sub AS
WITH want AS (
    SELECT subj, min(snapshot_date) - 1 AS gd FROM bkt GROUP BY subj
), extra AS (
    SELECT subj, min(day) AS first_extra FROM extra_pt GROUP BY subj
)
SELECT s.subj, s.zone, s.cutoff, w.gd, least(w.gd, x.first_extra) AS g0
FROM subj s
LEFT JOIN want w USING (subj)
LEFT JOIN extra x USING (subj)
WHERE w.gd IS NOT NULL OR x.first_extra IS NOT NULL;
ANALYZE bkt, sub;

-- The in-scope rows (each resource once per subject), dated <= the cutoff,
-- summed per subject and day; days before g0 fold into g0.  min_* keep the
-- real first day per platform (SPEC.md section 5).
CREATE TEMP TABLE inc AS
WITH stat AS (
    SELECT platform_connection_id AS conn, date,
           subscriber_count - coalesce(lag(subscriber_count) OVER w, 0) AS subs,
           total_views - coalesce(lag(total_views) OVER w, 0) AS views
    FROM youtube_channel_stats
    WINDOW w AS (PARTITION BY platform_connection_id ORDER BY date)
), rows_in_scope AS (
    SELECT sc.subj, 'github' AS platform, gc.date AS day,
           gc.commits_count AS commits, gc.pull_requests_count AS prs,
           gc.issues_count AS issues, gc.repositories_contributed_to AS rct,
           NULL::int AS repos, NULL::int AS stars, NULL::int AS forks,
           NULL::int AS watchers, NULL::int AS open_issues,
           NULL::bigint AS subs, NULL::bigint AS views,
           NULL::int AS videos, NULL::int AS vlikes, NULL::int AS vcomments,
           NULL::int AS articles, NULL::int AS aviews, NULL::int AS areactions,
           NULL::int AS acomments
    FROM subj_conn sc JOIN github_contributions gc ON gc.platform_connection_id = sc.conn
    WHERE sc.platform = 'github'
    UNION ALL
    SELECT sr.subj, 'github', (r.created_at AT TIME ZONE s.zone)::date,
           NULL, NULL, NULL, NULL,
           1, r.stars_count, r.forks_count, r.watchers_count, r.open_issues_count,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM subj_repo sr JOIN sub s USING (subj)
    JOIN github_repositories r ON r.id = sr.repo
    UNION ALL
    SELECT sc.subj, 'youtube', st.date,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           st.subs, st.views, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM subj_conn sc JOIN stat st ON st.conn = sc.conn
    WHERE sc.platform = 'youtube'
    UNION ALL
    SELECT sc.subj, 'youtube', (v.published_at AT TIME ZONE s.zone)::date,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           1, v.like_count, v.comment_count, NULL, NULL, NULL, NULL
    FROM subj_conn sc JOIN sub s USING (subj)
    JOIN youtube_videos v ON v.platform_connection_id = sc.conn
    WHERE sc.platform = 'youtube'
    UNION ALL
    -- drafts (published_at IS NULL) never count
    SELECT sc.subj, 'devto', (a.published_at AT TIME ZONE s.zone)::date,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL,
           1, a.view_count, a.reaction_count, a.comment_count
    FROM subj_conn sc JOIN sub s USING (subj)
    JOIN devto_articles a ON a.platform_connection_id = sc.conn
    WHERE sc.platform = 'devto' AND a.published_at IS NOT NULL
)
SELECT x.subj, greatest(x.day, s.g0) AS day,
       coalesce(sum(commits), 0) AS commits, coalesce(sum(prs), 0) AS prs,
       coalesce(sum(issues), 0) AS issues,
       -- (conn, date) is unique in github_contributions, so per day the sum
       -- over connections of their maximum is this sum
       coalesce(sum(rct), 0) AS rct,
       coalesce(sum(repos), 0) AS repos, coalesce(sum(stars), 0) AS stars,
       coalesce(sum(forks), 0) AS forks, coalesce(sum(watchers), 0) AS watchers,
       coalesce(sum(open_issues), 0) AS open_issues,
       coalesce(sum(subs), 0) AS subs, coalesce(sum(views), 0) AS views,
       coalesce(sum(videos), 0) AS videos, coalesce(sum(vlikes), 0) AS vlikes,
       coalesce(sum(vcomments), 0) AS vcomments,
       coalesce(sum(articles), 0) AS articles, coalesce(sum(aviews), 0) AS aviews,
       coalesce(sum(areactions), 0) AS areactions,
       coalesce(sum(acomments), 0) AS acomments,
       min(x.day) FILTER (WHERE x.platform = 'github') AS min_github,
       min(x.day) FILTER (WHERE x.platform = 'youtube') AS min_youtube,
       min(x.day) FILTER (WHERE x.platform = 'devto') AS min_devto
FROM rows_in_scope x JOIN sub s USING (subj)
WHERE x.day <= s.cutoff
GROUP BY x.subj, greatest(x.day, s.g0);

-- Per subject: the platforms with a live monitor, and the first day of each
-- platform with in-scope rows (NULL: none); first_all over every platform.
CREATE TEMP TABLE fd AS
SELECT p.subj,
       bool_or(p.platform = 'github') AS live_github,
       bool_or(p.platform = 'youtube') AS live_youtube,
       bool_or(p.platform = 'devto') AS live_devto,
       min(i.first_github) AS first_github, min(i.first_youtube) AS first_youtube,
       min(i.first_devto) AS first_devto,
       least(min(i.first_github), min(i.first_youtube), min(i.first_devto)) AS first_all
FROM subj_plat p
LEFT JOIN (SELECT subj, min(min_github) AS first_github, min(min_youtube) AS first_youtube,
                  min(min_devto) AS first_devto
           FROM inc GROUP BY subj) i USING (subj)
GROUP BY p.subj;

-- The wanted days: every day from gd to the cutoff for subjects with rows,
-- and the extra days.
CREATE TEMP TABLE pt AS
SELECT s.subj, d::date AS day
FROM sub s JOIN fd USING (subj)
CROSS JOIN LATERAL generate_series(s.gd::timestamp, s.cutoff::timestamp, interval '1 day') d
WHERE fd.first_all IS NOT NULL AND s.gd IS NOT NULL
UNION
SELECT subj, day FROM extra_pt;

-- Running totals over each subject's days, kept at the wanted days.
CREATE TEMP TABLE cum AS
SELECT * FROM (
    SELECT subj, day, p.subj IS NOT NULL AS wanted,
           (sum(coalesce(i.commits, 0)) OVER w)::bigint AS c_commits,
           (sum(coalesce(i.prs, 0)) OVER w)::bigint AS c_prs,
           (sum(coalesce(i.issues, 0)) OVER w)::bigint AS c_issues,
           (sum((coalesce(i.commits + i.prs + i.issues, 0) > 0)::int) OVER w)::bigint AS c_active,
           (sum(coalesce(i.repos, 0)) OVER w)::bigint AS c_repos,
           (sum(coalesce(i.stars, 0)) OVER w)::bigint AS c_stars,
           (sum(coalesce(i.forks, 0)) OVER w)::bigint AS c_forks,
           (sum(coalesce(i.watchers, 0)) OVER w)::bigint AS c_watchers,
           (sum(coalesce(i.open_issues, 0)) OVER w)::bigint AS c_open_issues,
           (sum(coalesce(i.subs, 0)) OVER w)::bigint AS c_subs,
           (sum(coalesce(i.views, 0)) OVER w)::bigint AS c_views,
           (sum(coalesce(i.videos, 0)) OVER w)::bigint AS c_videos,
           (sum(coalesce(i.vlikes, 0)) OVER w)::bigint AS c_vlikes,
           (sum(coalesce(i.vcomments, 0)) OVER w)::bigint AS c_vcomments,
           (sum(coalesce(i.articles, 0)) OVER w)::bigint AS c_articles,
           (sum(coalesce(i.aviews, 0)) OVER w)::bigint AS c_aviews,
           (sum(coalesce(i.areactions, 0)) OVER w)::bigint AS c_areactions,
           (sum(coalesce(i.acomments, 0)) OVER w)::bigint AS c_acomments,
           -- the day's own part of the flows, for daily buckets
           coalesce(i.commits, 0) AS d_commits, coalesce(i.prs, 0) AS d_prs,
           coalesce(i.issues, 0) AS d_issues,
           (coalesce(i.commits + i.prs + i.issues, 0) > 0)::int AS d_active,
           coalesce(i.repos, 0) AS d_repos, coalesce(i.subs, 0) AS d_subs,
           coalesce(i.views, 0) AS d_views, coalesce(i.videos, 0) AS d_videos,
           coalesce(i.articles, 0) AS d_articles, coalesce(i.rct, 0) AS rct_day
    FROM inc i FULL JOIN pt p USING (subj, day)
    WINDOW w AS (PARTITION BY subj ORDER BY day ROWS UNBOUNDED PRECEDING)
) t
WHERE wanted;
ANALYZE cum;

-- repositories_contributed_to of weekly and monthly buckets: per connection
-- the maximum over the bucket's days (<= cutoff), summed over connections.
CREATE TEMP TABLE rct_wm AS
SELECT subj, snapshot_type, snapshot_date, sum(mx) AS rct
FROM (
    SELECT sc.subj,
           CASE WHEN GROUPING(date_trunc('week', gc.date::timestamp)) = 0
                THEN 'weekly' ELSE 'monthly' END AS snapshot_type,
           coalesce(date_trunc('week', gc.date::timestamp),
                    date_trunc('month', gc.date::timestamp))::date AS snapshot_date,
           max(gc.repositories_contributed_to) AS mx
    FROM subj_conn sc JOIN sub s USING (subj)
    JOIN github_contributions gc ON gc.platform_connection_id = sc.conn
    WHERE sc.platform = 'github' AND gc.date > s.gd AND gc.date <= s.cutoff
    GROUP BY GROUPING SETS ((sc.subj, sc.conn, date_trunc('week', gc.date::timestamp)),
                            (sc.subj, sc.conn, date_trunc('month', gc.date::timestamp)))
) per_conn
GROUP BY subj, snapshot_type, snapshot_date;

-- The rows, as a view: backfill streams it into its INSERT, nightly keeps it
-- in a table for its two upserts.  One row per bucket with its values: e_*
-- as of the end, b_* as of the day before its first day (flows are e - b).
CREATE TEMP VIEW snap AS
WITH v AS (
    SELECT c.subj, 'daily' AS snapshot_type, c.day AS snapshot_date, c.day AS last_day,
           c.c_commits AS e_commits, c.c_prs AS e_prs, c.c_issues AS e_issues,
           c.c_active AS e_active, c.c_repos AS e_repos, c.c_stars, c.c_forks,
           c.c_watchers, c.c_open_issues, c.c_subs AS e_subs, c.c_views AS e_views,
           c.c_videos AS e_videos, c.c_vlikes, c.c_vcomments, c.c_articles AS e_articles,
           c.c_aviews, c.c_areactions, c.c_acomments,
           c.c_commits - c.d_commits AS b_commits, c.c_prs - c.d_prs AS b_prs,
           c.c_issues - c.d_issues AS b_issues, c.c_active - c.d_active AS b_active,
           c.c_repos - c.d_repos AS b_repos, c.c_subs - c.d_subs AS b_subs,
           c.c_views - c.d_views AS b_views, c.c_videos - c.d_videos AS b_videos,
           c.c_articles - c.d_articles AS b_articles, c.rct_day AS rct
    FROM cum c JOIN rng r USING (subj)
    WHERE c.day BETWEEN r.lo AND r.hi
    UNION ALL
    SELECT b.subj, b.snapshot_type, b.snapshot_date, b.last_day,
           e.c_commits, e.c_prs, e.c_issues, e.c_active, e.c_repos, e.c_stars, e.c_forks,
           e.c_watchers, e.c_open_issues, e.c_subs, e.c_views, e.c_videos, e.c_vlikes,
           e.c_vcomments, e.c_articles, e.c_aviews, e.c_areactions, e.c_acomments,
           s.c_commits, s.c_prs, s.c_issues, s.c_active, s.c_repos, s.c_subs, s.c_views,
           s.c_videos, s.c_articles, coalesce(x.rct, 0)
    FROM bkt b
    JOIN cum e ON e.subj = b.subj AND e.day = b.e
    JOIN cum s ON s.subj = b.subj AND s.day = b.snapshot_date - 1
    LEFT JOIN rct_wm x ON x.subj = b.subj AND x.snapshot_type = b.snapshot_type
                       AND x.snapshot_date = b.snapshot_date
), obj AS (
    -- OFFSET 0 keeps each object built once, however often it is used below
    SELECT v.subj, v.snapshot_type, v.snapshot_date,
           fd.live_github AND v.last_day >= fd.first_github AS row_github,
           fd.live_youtube AND v.last_day >= fd.first_youtube AS row_youtube,
           fd.live_devto AND v.last_day >= fd.first_devto AS row_devto,
           CASE WHEN fd.live_github THEN jsonb_build_object(
               'commits', e_commits - b_commits,
               'pull_requests', e_prs - b_prs,
               'issues', e_issues - b_issues,
               'active_days', e_active - b_active,
               'repositories_contributed_to', rct,
               'total_commits', e_commits,
               'repositories_count', e_repos,
               'new_repositories', e_repos - b_repos,
               'total_stars', c_stars,
               'total_forks', c_forks,
               'total_watchers', c_watchers,
               'total_open_issues', c_open_issues) END AS github,
           CASE WHEN fd.live_youtube THEN jsonb_build_object(
               'total_subscribers', e_subs,
               'total_views', e_views,
               'subscribers_gained', e_subs - b_subs,
               'views_gained', e_views - b_views,
               'total_videos', e_videos,
               'videos_published', e_videos - b_videos,
               'video_likes', c_vlikes,
               'video_comments', c_vcomments) END AS youtube,
           CASE WHEN fd.live_devto THEN jsonb_build_object(
               'total_articles', e_articles,
               'articles_published', e_articles - b_articles,
               'total_views', c_aviews,
               'total_reactions', c_areactions,
               'total_comments', c_acomments) END AS devto
    FROM v JOIN fd USING (subj)
    WHERE v.last_day >= fd.first_all
    OFFSET 0
)
SELECT s.user_id, s.workspace_id, r.platform, o.snapshot_type, o.snapshot_date, r.metrics
FROM obj o
JOIN subj s USING (subj)
CROSS JOIN LATERAL (VALUES
    ('github', CASE WHEN o.row_github THEN jsonb_build_object('github', o.github) END),
    ('youtube', CASE WHEN o.row_youtube THEN jsonb_build_object('youtube', o.youtube) END),
    ('devto', CASE WHEN o.row_devto THEN jsonb_build_object('devto', o.devto) END),
    -- an 'all' row shows every platform with a live monitor (NULLs dropped)
    ('all', jsonb_strip_nulls(jsonb_build_object('github', o.github, 'youtube', o.youtube,
                                                 'devto', o.devto)))
) r(platform, metrics)
WHERE r.metrics IS NOT NULL;
