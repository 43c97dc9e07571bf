/*
 * bulk.c: a COPY tuple of a platform table -> its typed row.
 *
 * Entry points: bulk_table_names, and bulk_specs, one per table: the SELECT
 * list, then the decoder of the tuples it produces.
 *
 * Invariant: the fields a decoder reads are the columns its SELECT lists, in
 * that order, and it checks each one's length before reading it, so a tuple
 * of another shape (a changed column type, a NULL where the schema forbids
 * one) is refused rather than misread.
 */
#include "bulk.h"
#include "model.h"

static int
decode_contribution(const struct copybin_field *f, void *out, int64_t *instant)
{
    struct contribution_row *r = out;

    (void) instant;
    if (!copybin_field_has_len(&f[1], 4, false) || !copybin_field_has_len(&f[2], 4, false) ||
        !copybin_field_has_len(&f[3], 4, false) || !copybin_field_has_len(&f[4], 4, false) ||
        !copybin_field_has_len(&f[5], 4, false))
        return -1;
    r->day = copybin_date(&f[1]);
    r->commits = copybin_int4(&f[2]);
    r->pull_requests = copybin_int4(&f[3]);
    r->issues = copybin_int4(&f[4]);
    r->repositories = copybin_int4(&f[5]);
    return 0;
}

static int
decode_channel_stat(const struct copybin_field *f, void *out, int64_t *instant)
{
    struct channel_stat_row *r = out;

    (void) instant;
    if (!copybin_field_has_len(&f[1], 4, false) || !copybin_field_has_len(&f[2], 8, false) ||
        !copybin_field_has_len(&f[3], 8, false))
        return -1;
    r->day = copybin_date(&f[1]);
    r->subscribers = copybin_int8(&f[2]);
    r->views = copybin_int8(&f[3]);
    return 0;
}

static int
decode_repository(const struct copybin_field *f, void *out, int64_t *instant)
{
    struct repository_row *r = out;

    if (!copybin_field_has_len(&f[1], 8, false) || !copybin_field_has_len(&f[2], 8, false))
        return -1;
    for (int i = 3; i < 7; i++)
        if (!copybin_field_has_len(&f[i], 4, false))
            return -1;
    r->github_repo_id = copybin_int8(&f[1]);
    r->created_at = *instant = copybin_timestamptz(&f[2]);
    r->stars = copybin_int4(&f[3]);
    r->forks = copybin_int4(&f[4]);
    r->watchers = copybin_int4(&f[5]);
    r->open_issues = copybin_int4(&f[6]);
    return 0;
}

static int
decode_video(const struct copybin_field *f, void *out, int64_t *instant)
{
    struct video_row *r = out;

    if (!copybin_field_has_len(&f[1], 8, false) || !copybin_field_has_len(&f[2], 4, false) ||
        !copybin_field_has_len(&f[3], 4, false))
        return -1;
    r->published_at = *instant = copybin_timestamptz(&f[1]);
    r->likes = copybin_int4(&f[2]);
    r->comments = copybin_int4(&f[3]);
    return 0;
}

static int
decode_article(const struct copybin_field *f, void *out, int64_t *instant)
{
    struct article_row *r = out;

    for (int i = 2; i < 5; i++)
        if (!copybin_field_has_len(&f[i], 4, false))
            return -1;
    if (!copybin_field_has_len(&f[1], 8, false))
        return -1;
    r->published_at = *instant = copybin_timestamptz(&f[1]);
    r->views = copybin_int4(&f[2]);
    r->reactions = copybin_int4(&f[3]);
    r->comments = copybin_int4(&f[4]);
    return 0;
}

const char *const bulk_table_names[BULK_N_TABLES] = {
    [BULK_CONTRIBUTIONS] = "github_contributions",
    [BULK_CHANNEL_STATS] = "youtube_channel_stats",
    [BULK_REPOSITORIES] = "github_repositories",
    [BULK_VIDEOS] = "youtube_videos",
    [BULK_ARTICLES] = "devto_articles",
};

const struct bulk_spec bulk_specs[BULK_N_TABLES] = {
    [BULK_CONTRIBUTIONS] = {"platform_connection_id, date, commits_count, pull_requests_count,"
                   " issues_count, repositories_contributed_to",
                   NULL, 6, sizeof(struct contribution_row), decode_contribution},
    [BULK_CHANNEL_STATS] = {"platform_connection_id, date, subscriber_count, total_views",
                 NULL, 4, sizeof(struct channel_stat_row), decode_channel_stat},
    [BULK_REPOSITORIES] = {"platform_connection_id, github_repo_id, created_at, stars_count,"
                 " forks_count, watchers_count, open_issues_count",
                 NULL, 7, sizeof(struct repository_row), decode_repository},
    [BULK_VIDEOS] = {"platform_connection_id, published_at, like_count, comment_count",
                  NULL, 4, sizeof(struct video_row), decode_video},
    /* Drafts never count (SPEC.md section 3): not even read. */
    [BULK_ARTICLES] = {"platform_connection_id, published_at, view_count, reaction_count,"
                    " comment_count",
                    "published_at IS NOT NULL", 5, sizeof(struct article_row), decode_article},
};
