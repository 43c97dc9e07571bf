/*
 * metrics.c: cells -> JSON documents; goals.
 *
 * Entry points: metrics_plan_buckets, metrics_count_rows, metrics_format_rows,
 * metrics_goal_value.  Every metric of SPEC.md section 4 is one line of the
 * tables below: a flow over the bucket's days, a stock as of its end, or the
 * per-connection maximum of repositories_contributed_to.  Goals read the same
 * tables, so a goal and a snapshot never disagree on what a metric means.
 *
 * The JSON holds only fixed keys and integers, so it is written directly (no
 * escaping can be needed); this runs per subject on any thread, sharing nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

enum metric_kind { FLOW, STOCK, CONTRIBUTED };

struct metric_def {
    const char *key;
    size_t key_len;
    enum metric_kind kind;
    enum series series;
};

#define METRIC(key, kind, series) {key, sizeof key - 1, kind, series}

static const struct metric_def github_defs[] = {
    METRIC("commits", FLOW, S_COMMITS),
    METRIC("pull_requests", FLOW, S_PULL_REQUESTS),
    METRIC("issues", FLOW, S_ISSUES),
    METRIC("active_days", FLOW, S_ACTIVE_DAYS),
    METRIC("repositories_contributed_to", CONTRIBUTED, S_COMMITS),
    METRIC("total_commits", STOCK, S_COMMITS),
    METRIC("repositories_count", STOCK, S_REPOSITORIES),
    METRIC("new_repositories", FLOW, S_REPOSITORIES),
    METRIC("total_stars", STOCK, S_STARS),
    METRIC("total_forks", STOCK, S_FORKS),
    METRIC("total_watchers", STOCK, S_WATCHERS),
    METRIC("total_open_issues", STOCK, S_OPEN_ISSUES),
    {NULL, 0, FLOW, 0}
};

/* Channel totals are sums of deltas, so "gained" is a flow of the same series. */
static const struct metric_def youtube_defs[] = {
    METRIC("total_subscribers", STOCK, S_SUBSCRIBERS),
    METRIC("total_views", STOCK, S_CHANNEL_VIEWS),
    METRIC("subscribers_gained", FLOW, S_SUBSCRIBERS),
    METRIC("views_gained", FLOW, S_CHANNEL_VIEWS),
    METRIC("total_videos", STOCK, S_VIDEOS),
    METRIC("videos_published", FLOW, S_VIDEOS),
    METRIC("video_likes", STOCK, S_VIDEO_LIKES),
    METRIC("video_comments", STOCK, S_VIDEO_COMMENTS),
    {NULL, 0, FLOW, 0}
};

static const struct metric_def devto_defs[] = {
    METRIC("total_articles", STOCK, S_ARTICLES),
    METRIC("articles_published", FLOW, S_ARTICLES),
    METRIC("total_views", STOCK, S_ARTICLE_VIEWS),
    METRIC("total_reactions", STOCK, S_ARTICLE_REACTIONS),
    METRIC("total_comments", STOCK, S_ARTICLE_COMMENTS),
    {NULL, 0, FLOW, 0}
};

static const struct metric_def *const platform_defs[N_PLATFORMS] = {
    [PLATFORM_GITHUB] = github_defs,
    [PLATFORM_YOUTUBE] = youtube_defs,
    [PLATFORM_DEVTO] = devto_defs,
};

const int metrics_platforms_in_key_order[METRICS_ROW_PLATFORMS] = {
    PLATFORM_ALL, PLATFORM_DEVTO, PLATFORM_GITHUB, PLATFORM_YOUTUBE,
};

/* ------------------------------------------------------------------ buckets */

static int
compare_buckets(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(cal_bucket_name(x->type), cal_bucket_name(y->type));
}

int
metrics_plan_buckets(int32_t lo, int32_t hi, struct bucket **out)
{
    int n = 0, cap = 0;
    struct bucket *list = NULL;

    *out = NULL;
    for (int t = 0; t < N_BUCKET_TYPES && lo <= hi; t++) {
        for (int32_t start = cal_bucket_start((enum bucket_type) t, lo); start <= hi;
             start = cal_bucket_next((enum bucket_type) t, start)) {
            if (n == cap) {
                struct bucket *grown;

                cap = cap ? cap * 2 : 64;
                grown = realloc(list, sizeof *grown * (size_t) cap);
                if (grown == NULL) {
                    free(list);
                    return -1;
                }
                list = grown;
            }
            list[n].type = (enum bucket_type) t;
            list[n].start = start;
            list[n].last = cal_bucket_last((enum bucket_type) t, start);
            n++;
        }
    }
    if (n > 0)
        qsort(list, (size_t) n, sizeof *list, compare_buckets);
    *out = list;
    return n;
}

/* Section 5: a platform row needs a live monitor and an in-scope row. */
static bool
has_rows(const struct subject *s, const struct cells *c, int platform)
{
    if (c->first_day[platform] == DAY_POS_INF)
        return false;
    return platform == PLATFORM_ALL || (s->live_platforms & (1u << platform));
}

size_t
metrics_max_rows(const struct subject *s, int n)
{
    size_t platforms = 1;      /* 'all' */

    for (int p = 0; p < N_PLATFORMS; p++)
        platforms += (s->live_platforms >> p) & 1u;
    return (size_t) n * platforms;
}

size_t
metrics_count_rows(const struct subject *s, const struct cells *c, const struct bucket *b, int n,
                   size_t by_kind[METRICS_ROW_PLATFORMS][N_BUCKET_TYPES])
{
    size_t rows = 0;

    for (int k = 0; k < METRICS_ROW_PLATFORMS; k++) {
        int p = metrics_platforms_in_key_order[k];

        if (!has_rows(s, c, p))
            continue;
        for (int i = 0; i < n; i++)
            if (b[i].last >= c->first_day[p]) {
                by_kind[k][b[i].type]++;
                rows++;
            }
    }
    return rows;
}

/* ------------------------------------------------------------------ values */

/* Per connection, the max of repositories_contributed_to over [start, end];
 * summed over the subject's github connections (int32 maxima of fewer than
 * AGG_MAX_ROWS rows: the sum fits). */
static int64_t
repositories_contributed_to(const struct source *src, const struct subject *s,
                            int64_t start, int64_t end)
{
    int64_t total = 0;

    for (int32_t k = 0; k < s->n_conns; k++) {
        int32_t conn = s->conns[k];
        size_t lo = src->contributions.off[conn], hi = src->contributions.off[conn + 1];
        int32_t best = 0;

        if (src->connections[conn].platform != PLATFORM_GITHUB)
            continue;
        while (lo < hi) {           /* first row dated >= start */
            size_t mid = lo + (hi - lo) / 2;

            if (src->contributions.rows[mid].day < start)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t r = lo; r < src->contributions.off[conn + 1] &&
                            src->contributions.rows[r].day <= end; r++)
            if (src->contributions.rows[r].repositories > best)
                best = src->contributions.rows[r].repositories;
        total += best;
    }
    return total;
}

static agg_sum
metric_value(const struct source *src, const struct subject *s, const struct cells *c,
             const struct metric_def *d, int64_t start, int64_t end)
{
    switch (d->kind) {
    case FLOW:
        return cells_over(c, d->series, start, end);
    case STOCK:
        return cells_through(c, d->series, end);
    case CONTRIBUTED:
    default:
        return repositories_contributed_to(src, s, start, end);
    }
}

/*
 * Rows are written straight into the buffer: each row first makes room for
 * the longest row there can be, then the writers below fill it with no
 * further checks.  This is the engine's hottest loop after the database's.
 */

/* The longest row: its fixed columns and every metric's key with a value of
 * STRBUF_INT128_MAX bytes (25 metrics at most, in an 'all' row: about 2 KiB). */
#define ROW_BYTES_MAX 4096

static inline char *
put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static char *
put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char) ('0' + v % 10);
    return p + width;
}

/* YYYY-MM-DD; cal_format_date for what that cannot show. */
static char *
put_date(char *p, int32_t day)
{
    char text[16];
    int y, m, d;

    if (day == DAY_NEG_INF || day == DAY_POS_INF)
        goto general;
    cal_ymd_from_day(day, &y, &m, &d);
    if (y < 0 || y > 9999)
        goto general;
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
general:
    cal_format_date(day, text);
    return put(p, text, strlen(text));
}

static char *
put_platform_json(char *p, const struct source *src, const struct subject *s,
                  const struct cells *c, int platform, int32_t start, int32_t end)
{
    const struct metric_def *d = platform_defs[platform];

    *p++ = '{';
    for (int i = 0; d[i].key != NULL; i++) {
        if (i > 0)
            p = put(p, ", ", 2);
        *p++ = '"';
        p = put(p, d[i].key, d[i].key_len);
        p = put(p, "\": ", 3);
        p = strbuf_put_int128(p, metric_value(src, s, c, &d[i], start, end));
    }
    *p++ = '}';
    return p;
}

static char *
put_metrics(char *p, const struct source *src, const struct subject *s, const struct cells *c,
            int platform, int32_t start, int32_t end)
{
    bool first = true;

    *p++ = '{';
    for (int q = 0; q < N_PLATFORMS; q++) {
        /* An 'all' row shows every platform with a live monitor, data or not. */
        if (platform == PLATFORM_ALL ? !(s->live_platforms & (1u << q)) : q != platform)
            continue;
        if (!first)
            p = put(p, ", ", 2);
        first = false;
        *p++ = '"';
        p = put(p, platform_name(q), strlen(platform_name(q)));
        p = put(p, "\": ", 3);
        p = put_platform_json(p, src, s, c, q, start, end);
    }
    *p++ = '}';
    return p;
}

static char *
put_row_id(char *p, const struct row_ids *ids, uint64_t seq)
{
    struct uuid u;
    uint64_t ms = ids->unix_ms;

    /* 48 bits of ms | version 7 | 12 bits of seq | variant | 30 bits of seq | tag */
    for (int i = 0; i < 6; i++)
        u.b[i] = (unsigned char) (ms >> (40 - 8 * i));
    u.b[6] = (unsigned char) (0x70 | ((seq >> 38) & 0x0f));
    u.b[7] = (unsigned char) (seq >> 30);
    u.b[8] = (unsigned char) (0x80 | ((seq >> 24) & 0x3f));
    u.b[9] = (unsigned char) (seq >> 16);
    u.b[10] = (unsigned char) (seq >> 8);
    u.b[11] = (unsigned char) seq;
    for (int i = 0; i < 4; i++)
        u.b[12 + i] = (unsigned char) (ids->tag >> (24 - 8 * i));
    uuid_format(&u, p);         /* 36 characters and a NUL, overwritten next */
    return p + 36;
}

/* The first bucket of type t at or after b[i] (n when none). */
static int
next_of_type(const struct bucket *b, int n, int i, enum bucket_type t)
{
    while (i < n && b[i].type != t)
        i++;
    return i;
}

/* Of the next bucket of each type, the one that ends first (n when none).
 * Each type's buckets are in order of start, so also in order of end. */
static int
earliest_end(const struct bucket *b, int n, const int next[N_BUCKET_TYPES])
{
    int best = n;

    for (int t = 0; t < N_BUCKET_TYPES; t++)
        if (next[t] < n && (best == n || b[next[t]].last < b[best].last))
            best = next[t];
    return best;
}

/*
 * The rows go out bucket by bucket in order of the buckets' last days, each
 * bucket's platforms in key order.  The buckets a nightly rewrites are a
 * subject's latest, so after a backfill they sit together at the end of the
 * subject's rows in the table, and the nightly's upsert visits one or two
 * heap pages per subject instead of a few per platform.
 */
void
metrics_format_rows(const struct source *src, const struct subject *s,
                    const struct cells *c, const struct bucket *b, int n,
                    const struct row_ids *ids, uint64_t seq, struct strbuf *out)
{
    /* "\t<user>\t<workspace>\t", then per platform the same and "<platform>\t" */
    char who[80], head[METRICS_ROW_PLATFORMS][128];
    size_t who_len, head_len[METRICS_ROW_PLATFORMS];
    int next[N_BUCKET_TYPES], i;

    who[0] = '\t';
    uuid_format(&src->profiles[s->owner].id, who + 1);
    who[37] = '\t';
    if (s->kind == SUBJECT_WORKSPACE)
        uuid_format(&src->workspaces[s->entity].id, who + 38);
    else
        strcpy(who + 38, "\\N");
    who_len = strlen(who);
    who[who_len++] = '\t';
    for (int k = 0; k < METRICS_ROW_PLATFORMS; k++) {
        const char *name = platform_name(metrics_platforms_in_key_order[k]);
        char *h = put(head[k], who, who_len);

        h = put(h, name, strlen(name));
        *h++ = '\t';
        head_len[k] = (size_t) (h - head[k]);
    }
    for (int t = 0; t < N_BUCKET_TYPES; t++)
        next[t] = next_of_type(b, n, 0, (enum bucket_type) t);
    while ((i = earliest_end(b, n, next)) < n) {
        int32_t end = b[i].last < s->cutoff ? b[i].last : s->cutoff;
        const char *bucket = cal_bucket_name(b[i].type);

        next[b[i].type] = next_of_type(b, n, i + 1, b[i].type);
        for (int k = 0; k < METRICS_ROW_PLATFORMS; k++) {
            int p = metrics_platforms_in_key_order[k];
            char *w;

            if (!has_rows(s, c, p) || b[i].last < c->first_day[p])
                continue;
            if ((w = strbuf_room(out, ROW_BYTES_MAX)) == NULL)
                return;
            w = put_row_id(w, ids, seq++);
            w = put(w, head[k], head_len[k]);
            w = put(w, bucket, strlen(bucket));
            *w++ = '\t';
            w = put_date(w, b[i].start);
            *w++ = '\t';
            w = put_metrics(w, src, s, c, p, b[i].start, end);
            *w++ = '\n';
            strbuf_advance(out, w);
        }
    }
}

/* -------------------------------------------------------------------- goals */

struct goal_def {
    int platform;             /* enum platform */
    const char *goal_type;
    const char *metric;       /* a key of that platform's metric table */
};

static const struct goal_def goal_defs[] = {
    {PLATFORM_GITHUB, "stars", "total_stars"},
    {PLATFORM_GITHUB, "forks", "total_forks"},
    {PLATFORM_GITHUB, "watchers", "total_watchers"},
    {PLATFORM_GITHUB, "repositories", "repositories_count"},
    {PLATFORM_GITHUB, "commits", "commits"},
    {PLATFORM_GITHUB, "pull_requests", "pull_requests"},
    {PLATFORM_GITHUB, "issues", "issues"},
    {PLATFORM_YOUTUBE, "subscribers", "total_subscribers"},
    {PLATFORM_YOUTUBE, "views", "total_views"},
    {PLATFORM_YOUTUBE, "videos", "total_videos"},
    {PLATFORM_YOUTUBE, "likes", "video_likes"},
    {PLATFORM_YOUTUBE, "comments", "video_comments"},
    {PLATFORM_DEVTO, "views", "total_views"},
    {PLATFORM_DEVTO, "reactions", "total_reactions"},
    {PLATFORM_DEVTO, "articles", "total_articles"},
    {PLATFORM_DEVTO, "comments", "total_comments"},
};
#define N_GOAL_DEFS ((int) (sizeof goal_defs / sizeof goal_defs[0]))

static const struct metric_def *
find_metric(int platform, const char *key)
{
    for (const struct metric_def *d = platform_defs[platform]; d->key != NULL; d++)
        if (strcmp(d->key, key) == 0)
            return d;
    return NULL;
}

/*
 * The metrics a goal reads: one for a platform goal, one per platform that
 * defines the goal type for an 'all' goal.  Returns how many (0: unknown pair).
 */
static int
goal_metrics(const struct goal *g, int platforms[N_PLATFORMS],
             const struct metric_def *defs[N_PLATFORMS])
{
    int goal_platform = strcmp(g->platform, "all") == 0 ? PLATFORM_ALL
                                                        : platform_from_name(g->platform);
    int n = 0;

    if (goal_platform == PLATFORM_NONE)
        return 0;
    for (int i = 0; i < N_GOAL_DEFS; i++) {
        if (strcmp(goal_defs[i].goal_type, g->goal_type) != 0)
            continue;
        if (goal_platform != PLATFORM_ALL && goal_platform != goal_defs[i].platform)
            continue;
        platforms[n] = goal_defs[i].platform;
        defs[n] = find_metric(goal_defs[i].platform, goal_defs[i].metric);
        n++;
    }
    return n;
}

/* Rule 1: why a goal is skipped, or NULL. */
static const char *
goal_invalid(const struct goal *g, int n_metrics, bool flow)
{
    if (n_metrics == 0)
        return "goal has an unknown platform/goal_type pair; skipped";
    if (strcmp(g->unit, "count") != 0 && strcmp(g->unit, "percentage") != 0)
        return "goal has an unknown unit; skipped";
    if (strcmp(g->unit, "percentage") == 0 && flow)
        return "goal asks for a percentage of a flow metric; skipped";
    if (g->target_negative)
        return "goal has a negative target_value; skipped";
    if (g->end_date < g->start_date)
        return "goal ends before it starts; skipped";
    return NULL;
}

static int32_t
evaluation_day(const struct goal *g, int32_t cutoff)
{
    return g->end_date < cutoff ? g->end_date : cutoff;
}

int64_t
metrics_goal_need_from(const struct goal *g, int32_t cutoff)
{
    int32_t eval = evaluation_day(g, cutoff);

    if (g->start_date > eval)
        return INT64_MAX;
    return (int64_t) g->start_date - 1;
}

void
metrics_percentage(agg_sum v, agg_sum b, char *buf, size_t size)
{
    /* |v|, |b| < 2^96 (aggregate.h), so 10000 * (v - b) < 2^111 */
    agg_sum num = (v - b) * 10000;
    agg_sum q = num / b, r = num % b;
    agg_sum abs_r = r < 0 ? -r : r, abs_b = b < 0 ? -b : b;
    char text[STRBUF_INT128_MAX + 8], *p = text;

    /* round half away from zero, as numeric round() does */
    if (2 * abs_r >= abs_b)
        q += ((num < 0) != (b < 0)) ? -1 : 1;
    if (q < 0) {
        *p++ = '-';
        q = -q;
    }
    p = strbuf_put_int128(p, q / 100);
    *p++ = '.';
    *p++ = (char) ('0' + (int) (q % 100 / 10));
    *p++ = (char) ('0' + (int) (q % 10));
    *p = '\0';
    snprintf(buf, size, "%s", text);
}

void
metrics_goal_value(const struct source *src, const struct subject *s,
                   const struct cells *c, const struct goal *g, struct goal_result *out)
{
    int platforms[N_PLATFORMS];
    const struct metric_def *defs[N_PLATFORMS];
    int n = goal_metrics(g, platforms, defs);
    bool flow = n > 0 && defs[0]->kind == FLOW;
    int32_t eval;
    agg_sum value = 0, base = 0;
    char *end;

    out->outcome = GOAL_VALUE;
    out->reason = goal_invalid(g, n, flow);
    if (out->reason != NULL) {
        out->outcome = GOAL_SKIPPED;
        return;
    }
    eval = evaluation_day(g, s->cutoff);
    if (g->start_date > eval) {                                   /* rule 2 */
        strcpy(out->value, "0");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (flow)
            value += metric_value(src, s, c, defs[i], g->start_date, eval);
        else
            value += cells_through(c, defs[i]->series, eval);
        base += cells_through(c, defs[i]->series, (int64_t) g->start_date - 1);
    }
    if (strcmp(g->unit, "percentage") == 0) {
        if (base == 0) {                                          /* rule 3 */
            out->outcome = GOAL_SKIPPED;
            out->reason = "percentage goal has a zero baseline (the day before start_date); skipped";
            return;
        }
        metrics_percentage(value, base, out->value, sizeof out->value);
        return;
    }
    end = strbuf_put_int128(out->value, value);
    *end = '\0';
}
