/*
 * load.c: COPY ... FROM STDIN, staging table, upsert.
 *
 * Entry points: load_prepare, load_snapshots (or its two halves,
 * load_snapshots_send and load_snapshots_wait, and load_snapshots_abandon),
 * load_apply_goals,
 * load_counts_add.  The rows arrive subject by subject with time-ordered
 * ids, so the primary key's pages fill left to right and each subject's
 * rows of the unique index are a few adjacent pages; the upsert takes the
 * stage in unique-key order.  A replaced row takes the new metrics and, for
 * a workspace, the current owner; a row whose content is unchanged is not
 * rewritten.
 *
 * The direct path (COPY into analytics_snapshots) is taken only for kept
 * rows whose keys hold nothing yet, checked per batch under the run lock;
 * should a row appear anyway, the unique index refuses the COPY, which is
 * rolled back to a savepoint and redone through the stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "load.h"

#define COPY_CHUNK (1 << 20)

static const char prepare_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS devpulse_stage ("
    "  id uuid, user_id uuid, workspace_id uuid, platform text,"
    "  snapshot_type text, snapshot_date date, metrics jsonb);"
    "CREATE TEMP TABLE IF NOT EXISTS devpulse_goal_stage ("
    "  id uuid, current_value numeric);"
    "TRUNCATE devpulse_stage, devpulse_goal_stage";

int
load_prepare(PGconn *conn, bool *direct_copy, struct etl_error *err)
{
    PGresult *res;

    if (db_exec(conn, "creating the staging tables", prepare_sql, err) < 0)
        return -1;
    res = db_query(conn, "checking row level security",
                   "SELECT NOT row_security_active('analytics_snapshots')", 0, NULL,
                   PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    /* COPY FROM is refused under row level security (a devpulse_etl member). */
    *direct_copy = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}

/* Sends the buffers through an open COPY FROM STDIN and finishes it. */
static int
copy_in(PGconn *conn, const char *sql, const struct strbuf *const *bufs, size_t n_bufs,
        const char *what, struct etl_error *err)
{
    PGresult *res = PQexec(conn, sql);
    const char *abandon = NULL;     /* why we end the COPY ourselves */
    bool send_failed = false;
    int rc = 0;

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        db_fail(err, what, conn, res);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    for (size_t i = 0; i < n_bufs && abandon == NULL && !send_failed; i++) {
        const struct strbuf *b = bufs[i];

        if (b->failed)
            abandon = "out of memory while formatting rows";
        for (size_t off = 0; abandon == NULL && !send_failed && off < b->len; off += COPY_CHUNK) {
            size_t len = b->len - off < COPY_CHUNK ? b->len - off : COPY_CHUNK;

            send_failed = PQputCopyData(conn, b->data + off, (int) len) != 1;
        }
    }
    if (!send_failed)
        send_failed = PQputCopyEnd(conn, abandon) != 1;
    /* The server's own error (a lost session, a unique violation) says most;
     * the reason we abandoned the COPY, if we did, says more. */
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            rc = -1;
            if (abandon != NULL)
                etl_fail(err, "%s: %s", what, abandon);
            else
                db_fail(err, what, conn, res);
        }
        PQclear(res);
        if (PQstatus(conn) != CONNECTION_OK)
            break;
    }
    if (rc == 0 && (abandon != NULL || send_failed))
        rc = abandon != NULL ? etl_fail(err, "%s: %s", what, abandon)
                             : db_fail(err, what, conn, NULL);
    if (rc < 0 && err != NULL && PQstatus(conn) != CONNECTION_OK)
        err->connection_lost = true;
    return rc;
}

#define STAGE_COLUMNS "id, user_id, workspace_id, platform, snapshot_type, snapshot_date, metrics"

/*
 * One statement per partial unique index (SPEC.md section 5), then the stage
 * emptied: one query string, sent without waiting (load_snapshots_send).
 */
#define UPSERT_PERSONAL(action) \
    "WITH w AS (INSERT INTO analytics_snapshots AS a (" STAGE_COLUMNS ")" \
    " SELECT " STAGE_COLUMNS " FROM devpulse_stage WHERE workspace_id IS NULL" \
    " ORDER BY user_id, platform, snapshot_date, snapshot_type" \
    " ON CONFLICT (user_id, platform, snapshot_date, snapshot_type)" \
    "   WHERE workspace_id IS NULL " action
#define UPSERT_WORKSPACE(action) \
    "WITH w AS (INSERT INTO analytics_snapshots AS a (" STAGE_COLUMNS ")" \
    " SELECT " STAGE_COLUMNS " FROM devpulse_stage WHERE workspace_id IS NOT NULL" \
    " ORDER BY workspace_id, platform, snapshot_date, snapshot_type" \
    " ON CONFLICT (workspace_id, platform, snapshot_date, snapshot_type)" \
    "   WHERE workspace_id IS NOT NULL " action
/* Each statement returns one row: rows inserted, rows replaced. */
#define REPLACE_COUNTS \
    " RETURNING (xmax = 0) AS inserted)" \
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM w;"
#define KEEP_COUNTS " RETURNING 1) SELECT count(*), 0 FROM w;"
#define UPSERTS 2       /* the statements above in each query, before EMPTY_STAGE */
#define EMPTY_STAGE "TRUNCATE devpulse_stage"

static const char *const upsert_sql[2] = {
    [LOAD_REPLACE] =
        UPSERT_PERSONAL("DO UPDATE SET metrics = EXCLUDED.metrics"
                        " WHERE a.metrics IS DISTINCT FROM EXCLUDED.metrics") REPLACE_COUNTS
        UPSERT_WORKSPACE("DO UPDATE SET metrics = EXCLUDED.metrics, user_id = EXCLUDED.user_id"
                         " WHERE (a.metrics, a.user_id) IS DISTINCT FROM"
                         " (EXCLUDED.metrics, EXCLUDED.user_id)") REPLACE_COUNTS
        EMPTY_STAGE,
    [LOAD_KEEP] =
        UPSERT_PERSONAL("DO NOTHING") KEEP_COUNTS
        UPSERT_WORKSPACE("DO NOTHING") KEEP_COUNTS
        EMPTY_STAGE,
};

/* What a replace would do, without doing it: new / changed / unchanged. */
static const char dry_run_sql[] =
    "SELECT count(*) FILTER (WHERE a.id IS NULL),"
    "       count(*) FILTER (WHERE a.id IS NOT NULL AND (a.metrics, a.user_id)"
    "                        IS DISTINCT FROM (s.metrics, s.user_id)),"
    "       count(*) FILTER (WHERE a.id IS NOT NULL AND (a.metrics, a.user_id)"
    "                        IS NOT DISTINCT FROM (s.metrics, s.user_id))"
    " FROM devpulse_stage s"
    " LEFT JOIN LATERAL ("
    "   SELECT a.id, a.metrics, a.user_id FROM analytics_snapshots a"
    "   WHERE a.platform = s.platform AND a.snapshot_date = s.snapshot_date"
    "     AND a.snapshot_type = s.snapshot_type"
    "     AND ((s.workspace_id IS NULL AND a.workspace_id IS NULL AND a.user_id = s.user_id)"
    "       OR (s.workspace_id IS NOT NULL AND a.workspace_id = s.workspace_id))"
    "   LIMIT 1) a ON true";

static int
dry_run_counts(PGconn *conn, struct load_counts *counts, bool overwrite, struct etl_error *err)
{
    PGresult *res = db_query(conn, "comparing staged rows with analytics_snapshots",
                             dry_run_sql, 0, NULL, PGRES_TUPLES_OK, err);
    size_t changed, same;

    if (res == NULL)
        return -1;
    counts->inserted += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    changed = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    same = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
    if (overwrite) {
        counts->replaced += changed;
        counts->unchanged += same;
    } else {
        counts->kept += changed + same;
    }
    PQclear(res);
    return 0;
}

/* The staged rows, written: the upserts are sent, not waited for. */
static int
send_upserts(PGconn *conn, enum load_mode mode, size_t rows, struct load_pending *pending,
             struct etl_error *err)
{
    if (!PQsendQuery(conn, upsert_sql[mode]))
        return db_fail(err, "writing analytics_snapshots", conn, NULL);
    pending->active = true;
    pending->mode = mode;
    pending->rows = rows;
    return 0;
}

int
load_snapshots_wait(PGconn *conn, struct load_pending *pending, struct load_counts *counts,
                    struct etl_error *err)
{
    size_t inserted = 0, replaced = 0;
    int results = 0, rc = 0;
    PGresult *res;

    if (!pending->active)
        return 0;
    pending->active = false;
    /* Two upserts (one row each: inserted, replaced), then the TRUNCATE.
     * Every result is read, also after a failure, so that the connection is
     * free again when this returns. */
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType want = results < UPSERTS ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;

        if (rc == 0 && PQresultStatus(res) != want) {
            rc = db_fail(err, "writing analytics_snapshots", conn, res);
        } else if (rc == 0 && results < UPSERTS) {
            inserted += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
            replaced += strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        }
        PQclear(res);
        results++;
    }
    if (rc == 0 && results != UPSERTS + 1)
        rc = db_fail(err, "writing analytics_snapshots", conn, NULL);
    if (rc < 0)
        return -1;
    counts->inserted += inserted;
    counts->replaced += replaced;
    if (pending->mode == LOAD_KEEP)
        counts->kept += pending->rows - inserted;
    else
        counts->unchanged += pending->rows - inserted - replaced;
    return 0;
}

/* Sets *free_out when no row of analytics_snapshots has one of the batch's keys. */
static int
keys_are_free(PGconn *conn, const struct load_batch *b, bool *free_out, struct etl_error *err)
{
    const char *params[4] = {b->personal_ids, b->workspace_ids, b->first_date, b->last_date};
    PGresult *res;

    /* platform = ANY(...) holds for every row (a CHECK says so); it lets the
     * unique indexes be scanned by subject, platform and date range. */
    res = db_query(conn, "looking for existing snapshots",
                   "SELECT NOT EXISTS (SELECT 1 FROM analytics_snapshots"
                   "   WHERE workspace_id IS NULL AND user_id = ANY($1::uuid[])"
                   "     AND platform = ANY('{all,devto,github,youtube}')"
                   "     AND snapshot_date BETWEEN $3::date AND $4::date)"
                   " AND NOT EXISTS (SELECT 1 FROM analytics_snapshots"
                   "   WHERE workspace_id = ANY($2::uuid[])"
                   "     AND platform = ANY('{all,devto,github,youtube}')"
                   "     AND snapshot_date BETWEEN $3::date AND $4::date)",
                   4, params, PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    *free_out = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}

/* The direct path: 1 done, 0 a key was taken after all (rolled back to the
 * savepoint: use the stage), -1 error. */
static int
copy_direct(PGconn *conn, const struct load_batch *b, struct etl_error *err)
{
    if (db_exec(conn, "setting a savepoint", "SAVEPOINT devpulse_direct", err) < 0)
        return -1;
    if (copy_in(conn, "COPY analytics_snapshots (" STAGE_COLUMNS ") FROM STDIN", b->bufs,
                b->n_bufs, "COPY into analytics_snapshots failed", err) == 0)
        return db_exec(conn, "releasing the savepoint", "RELEASE devpulse_direct", err) < 0 ? -1 : 1;
    if (strcmp(err->sqlstate, "23505") != 0)      /* not unique_violation */
        return -1;
    return db_exec(conn, "rolling back to the savepoint",
                   "ROLLBACK TO devpulse_direct", err) < 0 ? -1 : 0;
}

void
load_counts_add(struct load_counts *to, const struct load_counts *c)
{
    for (int k = 0; k < 4; k++)
        for (int t = 0; t < 3; t++)
            to->by_kind[k][t] += c->by_kind[k][t];
    to->staged += c->staged;
    to->inserted += c->inserted;
    to->replaced += c->replaced;
    to->unchanged += c->unchanged;
    to->kept += c->kept;
    to->copied += c->copied;
}

void
load_snapshots_abandon(PGconn *conn, struct load_pending *pending)
{
    struct load_counts unused;
    struct etl_error ignored;
    PGcancel *cancel;
    char buf[256];

    if (!pending->active)
        return;
    /* The batch will be rolled back: no need to wait for all of it. */
    if ((cancel = PQgetCancel(conn)) != NULL) {
        PQcancel(cancel, buf, sizeof buf);
        PQfreeCancel(cancel);
    }
    memset(&unused, 0, sizeof unused);
    load_snapshots_wait(conn, pending, &unused, &ignored);
}

int
load_snapshots_send(PGconn *conn, const struct load_batch *batch, enum load_mode mode,
                    bool dry_run, struct load_counts *counts, struct load_pending *pending,
                    struct etl_error *err)
{
    bool free_keys = false;

    pending->active = false;
    for (int p = 0; p < 4; p++)
        for (int t = 0; t < 3; t++)
            counts->by_kind[p][t] += batch->by_kind[p][t];
    counts->staged += batch->rows;
    if (batch->rows == 0)
        return 0;
    if (mode == LOAD_KEEP && !dry_run && batch->direct_copy) {
        int rc;

        if (keys_are_free(conn, batch, &free_keys, err) < 0)
            return -1;
        if (free_keys && (rc = copy_direct(conn, batch, err)) != 0) {
            if (rc < 0)
                return -1;
            counts->inserted += batch->rows;
            counts->copied += batch->rows;
            return 0;
        }
    }
    if (copy_in(conn, "COPY devpulse_stage FROM STDIN", batch->bufs, batch->n_bufs,
                "COPY into the snapshot stage failed", err) < 0)
        return -1;
    if (!dry_run)
        return send_upserts(conn, mode, batch->rows, pending, err);
    if (dry_run_counts(conn, counts, mode == LOAD_REPLACE, err) < 0)
        return -1;
    return db_exec(conn, "emptying the snapshot stage", EMPTY_STAGE, err);
}

int
load_snapshots(PGconn *conn, const struct load_batch *batch, enum load_mode mode,
               bool dry_run, struct load_counts *counts, struct etl_error *err)
{
    struct load_pending pending;

    if (load_snapshots_send(conn, batch, mode, dry_run, counts, &pending, err) < 0)
        return -1;
    return load_snapshots_wait(conn, &pending, counts, err);
}

static const char goals_update_sql[] =
    "WITH s AS ("
    "  SELECT g.id, s.current_value,"
    "         g.is_achieved OR s.current_value >= g.target_value AS achieved"
    "  FROM goals g JOIN devpulse_goal_stage s ON s.id = g.id),"
    " u AS ("
    "  UPDATE goals g SET current_value = s.current_value,"
    "         is_achieved = s.achieved,"
    "         achieved_at = CASE WHEN s.achieved AND (NOT g.is_achieved OR g.achieved_at IS NULL)"
    "                            THEN $1::timestamptz ELSE g.achieved_at END,"
    "         updated_at = $1::timestamptz"
    "  FROM s WHERE g.id = s.id"
    "    AND (g.current_value <> s.current_value"
    "         OR g.is_achieved <> s.achieved"
    "         OR (g.achieved_at IS NULL AND s.achieved))"
    "  RETURNING 1)"
    " SELECT count(*) FROM u";

int
load_apply_goals(PGconn *conn, const struct strbuf *lines, const char *as_of,
                 size_t *updated, struct etl_error *err)
{
    const struct strbuf *bufs[1] = {lines};
    const char *params[1] = {as_of};
    PGresult *res;

    *updated = 0;
    if (copy_in(conn, "COPY devpulse_goal_stage FROM STDIN", bufs, 1,
                "COPY into the goal stage failed", err) < 0)
        return -1;
    res = db_query(conn, "updating goals", goals_update_sql, 1, params, PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    *updated = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return db_exec(conn, "emptying the goal stage", "TRUNCATE devpulse_goal_stage", err);
}
