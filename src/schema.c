/*
 * schema.c: the tables and columns the engine uses.  See schema.h.
 *
 * Kept in step with the queries of extract.c (what it reads, and the binary
 * COPY decoders: int4, int8, date and timestamptz are decoded by size, so a
 * counter must be `integer`, not `bigint`) and load.c (what it writes).
 */
#include "schema.h"

const struct schema_table schema_tables[] = {
    {"profiles", SCHEMA_READ, false},
    {"workspaces", SCHEMA_READ, false},
    {"workspace_members", SCHEMA_READ, false},
    {"platform_connections", SCHEMA_READ, false},
    {"monitors", SCHEMA_READ, false},
    {"github_repositories", SCHEMA_READ, false},
    {"github_contributions", SCHEMA_READ, false},
    {"youtube_videos", SCHEMA_READ, false},
    {"youtube_channel_stats", SCHEMA_READ, false},
    {"devto_articles", SCHEMA_READ, false},
    {"analytics_snapshots", SCHEMA_WRITE, true},
    {"goals", SCHEMA_WRITE, false},
};
const int n_schema_tables = (int) (sizeof schema_tables / sizeof schema_tables[0]);

#define TSTZ "timestamp with time zone"

const struct schema_column schema_columns[] = {
    {"profiles", "id", "uuid", true},
    {"profiles", "timezone", "text", false},
    {"workspaces", "id", "uuid", true},
    {"workspaces", "owner_id", "uuid", true},
    {"workspace_members", "workspace_id", "uuid", true},
    {"workspace_members", "user_id", "uuid", true},
    {"platform_connections", "id", "uuid", true},
    {"platform_connections", "user_id", "uuid", true},
    {"platform_connections", "platform", "text", true},
    {"platform_connections", "is_active", "boolean", true},
    {"monitors", "id", "uuid", true},
    {"monitors", "user_id", "uuid", true},
    {"monitors", "workspace_id", "uuid", false},
    {"monitors", "platform_connection_id", "uuid", true},
    {"monitors", "platform", "text", true},
    {"monitors", "monitor_type", "text", true},
    {"monitors", "platform_resource_id", "text", false},
    {"monitors", "is_active", "boolean", true},
    {"github_repositories", "platform_connection_id", "uuid", true},
    {"github_repositories", "github_repo_id", "bigint", true},
    {"github_repositories", "created_at", TSTZ, true},
    {"github_repositories", "stars_count", "integer", true},
    {"github_repositories", "forks_count", "integer", true},
    {"github_repositories", "watchers_count", "integer", true},
    {"github_repositories", "open_issues_count", "integer", true},
    {"github_contributions", "platform_connection_id", "uuid", true},
    {"github_contributions", "date", "date", true},
    {"github_contributions", "commits_count", "integer", true},
    {"github_contributions", "pull_requests_count", "integer", true},
    {"github_contributions", "issues_count", "integer", true},
    {"github_contributions", "repositories_contributed_to", "integer", true},
    {"youtube_videos", "platform_connection_id", "uuid", true},
    {"youtube_videos", "published_at", TSTZ, true},
    {"youtube_videos", "like_count", "integer", true},
    {"youtube_videos", "comment_count", "integer", true},
    {"youtube_channel_stats", "platform_connection_id", "uuid", true},
    {"youtube_channel_stats", "date", "date", true},
    {"youtube_channel_stats", "subscriber_count", "bigint", true},
    {"youtube_channel_stats", "total_views", "bigint", true},
    {"devto_articles", "platform_connection_id", "uuid", true},
    {"devto_articles", "published_at", TSTZ, false},       /* NULL: a draft */
    {"devto_articles", "view_count", "integer", true},
    {"devto_articles", "reaction_count", "integer", true},
    {"devto_articles", "comment_count", "integer", true},
    {"analytics_snapshots", "id", "uuid", true},
    {"analytics_snapshots", "user_id", "uuid", true},
    {"analytics_snapshots", "workspace_id", "uuid", false},
    {"analytics_snapshots", "platform", "text", true},
    {"analytics_snapshots", "snapshot_type", "text", true},
    {"analytics_snapshots", "snapshot_date", "date", true},
    {"analytics_snapshots", "metrics", "jsonb", true},
    {"goals", "id", "uuid", true},
    {"goals", "user_id", "uuid", true},
    {"goals", "workspace_id", "uuid", false},
    {"goals", "platform", "text", true},
    {"goals", "goal_type", "text", true},
    {"goals", "unit", "text", true},
    {"goals", "target_value", "numeric", true},
    {"goals", "current_value", "numeric", true},
    {"goals", "start_date", "date", true},
    {"goals", "end_date", "date", false},
    {"goals", "is_achieved", "boolean", true},
    {"goals", "achieved_at", TSTZ, false},
    {"goals", "updated_at", TSTZ, false},                  /* written, never read */
};
const int n_schema_columns = (int) (sizeof schema_columns / sizeof schema_columns[0]);
