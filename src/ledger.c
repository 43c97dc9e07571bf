/*
 * ledger.c: the run ledger devpulse_etl.runs.  See ledger.h.
 *
 * Entry points: ledger_recover, ledger_open, ledger_record_unlocked,
 * ledger_reattach, ledger_find_resumable, ledger_plan, ledger_progress,
 * ledger_close, ledger_describe_holder.  Every value goes in
 * as a parameter; instants travel as microseconds since 2000-01-01 (the
 * engine's unit), converted by the server.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "db.h"
#include "ledger.h"
#include "utf8.h"

/* Microseconds since 2000-01-01 <-> timestamptz, in SQL. */
#define TS_FROM_USECS(p) "(timestamptz '2000-01-01 00:00+00' + " p "::bigint * interval '1 microsecond')"
#define USECS_FROM_TS(c) "((extract(epoch FROM " c ") - 946684800) * 1000000)::bigint"

/* The runs that a run of shard $1 ("K/N", or "1/1": unsharded) cannot run
 * beside (runlock.h): every run when it is unsharded, else its own shard's
 * and the unsharded ones. */
#define SHARD_EXCLUDES "($1 = '1/1' OR shard IN ($1, '1/1'))"

static int
command_ok(PGresult *res)
{
    PQclear(res);
    return 0;
}

int
ledger_recover(PGconn *conn, const char *shard, int64_t own_run, int keep_days,
               struct etl_error *err)
{
    char own[24], days[16];
    const char *params[3] = {shard, own, days};
    PGresult *res;

    snprintf(own, sizeof own, "%" PRId64, own_run);
    snprintf(days, sizeof days, "%d", keep_days);
    /* This run holds the lock: the runs it excludes are not running, so
     * their 'running' rows are dead. */
    res = db_query(conn, "marking abandoned runs in the ledger",
                   "UPDATE devpulse_etl.runs SET status = 'failed', ended_at = now(),"
                   " error = 'abandoned: the process running it ended without recording"
                   " an outcome (crash, kill -9, lost connection)'"
                   " WHERE status = 'running' AND id <> $2::bigint"
                   "   AND " SHARD_EXCLUDES,
                   2, params, PGRES_COMMAND_OK, err);
    if (res == NULL)
        return -1;
    PQclear(res);
    params[0] = days;
    res = db_query(conn, "pruning the ledger",
                   "DELETE FROM devpulse_etl.runs"
                   " WHERE status <> 'running' AND ended_at < now() - make_interval(days => $1::int)",
                   1, params, PGRES_COMMAND_OK, err);
    return res == NULL ? -1 : command_ok(res);
}

static void
format_date_or_null(bool have, int32_t day, char *buf, const char **param)
{
    if (!have) {
        *param = NULL;
        return;
    }
    cal_format_date(day, buf);
    *param = buf;
}

/*
 * Inserts a run: with status NULL, 'running' (it holds the lock; as_of
 * defaults to the server's now()); else already ended with that status and
 * error, started `elapsed` seconds ago, and held_lock false.
 */
static int
insert_run(PGconn *conn, const struct ledger_entry *e, const char *status, const char *error,
           double elapsed, int64_t blocked_by, int64_t *run_id, int64_t *as_of,
           struct etl_error *err)
{
    char as_of_text[24], lookback[16], from[16], to[16], resumes[24], done[16], last[37],
         host[256], pid[16], ago[32], blocked[24];
    char *safe_error = error != NULL ? utf8_escape(error) : NULL;
    const char *params[20];
    PGresult *res;

    snprintf(as_of_text, sizeof as_of_text, "%" PRId64, e->as_of);
    snprintf(lookback, sizeof lookback, "%d", e->lookback);
    snprintf(resumes, sizeof resumes, "%" PRId64, e->resumes);
    snprintf(done, sizeof done, "%" PRId32, e->start.subjects_done);
    snprintf(pid, sizeof pid, "%d", (int) getpid());
    snprintf(ago, sizeof ago, "%.6f", elapsed > 0 ? elapsed : 0);
    snprintf(blocked, sizeof blocked, "%" PRId64, blocked_by);
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    params[0] = e->command;
    params[1] = e->shard;
    params[2] = e->has_as_of ? as_of_text : NULL;
    params[3] = e->lookback > 0 ? lookback : NULL;
    format_date_or_null(e->has_range, e->from, from, &params[4]);
    format_date_or_null(e->has_range, e->to, to, &params[5]);
    params[6] = e->overwrite ? "true" : "false";
    params[7] = e->dry_run ? "true" : "false";
    params[8] = e->resumes > 0 ? resumes : NULL;
    params[9] = done;
    params[10] = e->start.has_last ? (e->start.last_is_workspace ? "workspace" : "personal") : NULL;
    if (e->start.has_last)
        uuid_format(&e->start.last_id, last);
    params[11] = e->start.has_last ? last : NULL;
    params[12] = host;
    params[13] = pid;
    params[14] = e->version;
    params[15] = status;
    params[16] = error != NULL && safe_error == NULL ? "(out of memory)" : safe_error;
    params[17] = ago;
    params[18] = blocked_by > 0 ? blocked : NULL;
    params[19] = e->resume ? "true" : "false";
    res = db_query(conn, "recording the run in the ledger",
                   "INSERT INTO devpulse_etl.runs (command, shard, as_of, options, resumes,"
                   "  subjects_done, last_subject_kind, last_subject_id, client_host, client_pid,"
                   "  engine_version, status, error, started_at, ended_at, held_lock, blocked_by)"
                   " VALUES ($1, $2, CASE WHEN $3::bigint IS NOT NULL THEN " TS_FROM_USECS("$3")
                   "                      WHEN $16::text IS NULL THEN now() END,"
                   "  jsonb_strip_nulls(jsonb_build_object('lookback', $4::int,"
                   "    'from', $5::date, 'to', $6::date,"
                   "    'overwrite', CASE WHEN $7::bool THEN true END,"
                   "    'dry_run', CASE WHEN $8::bool THEN true END,"
                   "    'resume', CASE WHEN $9::bigint IS NOT NULL OR $20::bool THEN true END)),"
                   "  $9::bigint, $10::int, $11, $12::uuid, nullif($13, ''), $14::int, $15,"
                   "  coalesce($16, 'running'), $17, now() - $18::float8 * interval '1 second',"
                   "  CASE WHEN $16::text IS NOT NULL THEN now() END, $16::text IS NULL, $19::bigint)"
                   " RETURNING id, coalesce(" USECS_FROM_TS("as_of") ", 0)",
                   20, params, PGRES_TUPLES_OK, err);
    free(safe_error);
    if (res == NULL)
        return -1;
    *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *as_of = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

int
ledger_open(PGconn *conn, const struct ledger_entry *e, int64_t *run_id, int64_t *as_of,
            struct etl_error *err)
{
    return insert_run(conn, e, NULL, NULL, 0, 0, run_id, as_of, err);
}

int
ledger_record_unlocked(PGconn *conn, const struct ledger_entry *e, const char *status,
                       const char *error, double elapsed, int64_t blocked_by, int64_t *run_id,
                       struct etl_error *err)
{
    int64_t as_of;

    return insert_run(conn, e, status, error, elapsed, blocked_by, run_id, &as_of, err);
}

int
ledger_reattach(PGconn *conn, int64_t run_id, int attempts, struct etl_error *err)
{
    char id[24], n[16];
    const char *params[2] = {id, n};
    PGresult *res;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    snprintf(n, sizeof n, "%d", attempts);
    res = db_query(conn, "recording the retry in the ledger",
                   "UPDATE devpulse_etl.runs SET status = 'running', ended_at = NULL,"
                   " error = NULL, attempts = $2::int WHERE id = $1::bigint",
                   2, params, PGRES_COMMAND_OK, err);
    return res == NULL ? -1 : command_ok(res);
}

static void
read_position(const PGresult *res, int col, struct ledger_position *pos)
{
    pos->subjects_done = (int32_t) strtol(PQgetvalue(res, 0, col), NULL, 10);
    pos->has_last = !PQgetisnull(res, 0, col + 1) && !PQgetisnull(res, 0, col + 2) &&
                    uuid_parse(PQgetvalue(res, 0, col + 2), &pos->last_id) == 0;
    pos->last_is_workspace = pos->has_last && strcmp(PQgetvalue(res, 0, col + 1), "workspace") == 0;
}

int
ledger_find_resumable(PGconn *conn, const char *shard, bool has_range, int32_t from,
                      int32_t to, bool overwrite, struct ledger_resumable *out,
                      struct etl_error *err)
{
    char from_text[16], to_text[16];
    const char *params[4] = {shard, NULL, NULL, overwrite ? "true" : "false"};
    PGresult *res;

    memset(out, 0, sizeof *out);
    if (has_range) {
        cal_format_date(from, from_text);
        cal_format_date(to, to_text);
        params[1] = from_text;
        params[2] = to_text;
    }
    res = db_query(conn, "looking for a backfill to resume in the ledger",
                   "SELECT id, status, options->>'from', options->>'to',"
                   "       coalesce((options->>'overwrite')::bool, false), " USECS_FROM_TS("as_of") ","
                   "       subjects_done, last_subject_kind, last_subject_id"
                   " FROM devpulse_etl.runs"
                   " WHERE command = 'backfill' AND shard = $1 AND held_lock"
                   "   AND NOT coalesce((options->>'dry_run')::bool, false)"
                   /* With a range: the last backfill of it, finished or not. */
                   "   AND ($2::date IS NULL OR ((options->>'from')::date = $2::date"
                   "        AND (options->>'to')::date = $3::date"
                   "        AND coalesce((options->>'overwrite')::bool, false) = $4::bool))"
                   /* Without: the last one that did not finish and that no
                    * later run took over. */
                   "   AND ($2::date IS NOT NULL OR (status IN ('failed', 'cancelled')"
                   "        AND NOT EXISTS (SELECT 1 FROM devpulse_etl.runs later"
                   "                        WHERE later.resumes = runs.id)))"
                   " ORDER BY id DESC LIMIT 1",
                   4, params, PGRES_TUPLES_OK, err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 1) {
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 1));
        if (strcmp(out->status, "succeeded") != 0 &&
            cal_parse_date(PQgetvalue(res, 0, 2), &out->from) == 0 &&
            cal_parse_date(PQgetvalue(res, 0, 3), &out->to) == 0) {
            out->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            out->overwrite = PQgetvalue(res, 0, 4)[0] == 't';
            out->as_of = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
            read_position(res, 6, &out->position);
        }
    }
    PQclear(res);
    return 0;
}

static void
format_counts(const struct ledger_counts *c, char text[5][24])
{
    snprintf(text[0], 24, "%" PRId64, c->rows_read);
    snprintf(text[1], 24, "%" PRId64, c->rows_written);
    snprintf(text[2], 24, "%" PRId64, c->goals_updated);
    snprintf(text[3], 24, "%" PRId64, c->warnings);
    snprintf(text[4], 24, "%d", c->attempts);
}

int
ledger_progress(PGconn *conn, int64_t run_id, const struct ledger_position *pos,
                const struct ledger_counts *counts, struct etl_error *err)
{
    char id[24], done[16], last[37], text[5][24];
    const char *params[7];
    PGresult *res;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    snprintf(done, sizeof done, "%" PRId32, pos->subjects_done);
    format_counts(counts, text);
    if (pos->has_last)
        uuid_format(&pos->last_id, last);
    params[0] = id;
    params[1] = done;
    params[2] = pos->has_last ? (pos->last_is_workspace ? "workspace" : "personal") : NULL;
    params[3] = pos->has_last ? last : NULL;
    params[4] = text[0];
    params[5] = text[1];
    params[6] = text[3];
    res = db_query(conn, "recording progress in the ledger",
                   "UPDATE devpulse_etl.runs SET subjects_done = $2::int,"
                   " last_subject_kind = $3, last_subject_id = $4::uuid,"
                   " rows_read = $5::bigint, rows_written = $6::bigint, warnings = $7::bigint"
                   " WHERE id = $1::bigint",
                   7, params, PGRES_COMMAND_OK, err);
    return res == NULL ? -1 : command_ok(res);
}

int
ledger_close(PGconn *conn, int64_t run_id, const char *status, const char *error,
             const struct ledger_counts *counts, struct etl_error *err)
{
    char id[24], text[5][24];
    char *safe_error = error != NULL ? utf8_escape(error) : NULL;
    const char *params[8];
    PGresult *res;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    format_counts(counts, text);
    params[0] = id;
    params[1] = status;
    params[2] = error != NULL && safe_error == NULL ? "(out of memory)" : safe_error;
    for (int i = 0; i < 5; i++)
        params[3 + i] = text[i];
    res = db_query(conn, "recording the outcome in the ledger",
                   "UPDATE devpulse_etl.runs SET status = $2, error = $3, ended_at = now(),"
                   " rows_read = $4::bigint, rows_written = $5::bigint,"
                   " goals_updated = $6::bigint, warnings = $7::bigint, attempts = $8::int"
                   " WHERE id = $1::bigint",
                   8, params, PGRES_COMMAND_OK, err);
    free(safe_error);
    return res == NULL ? -1 : command_ok(res);
}

int
ledger_plan(PGconn *conn, int64_t run_id, int32_t subjects_total, struct etl_error *err)
{
    char id[24], total[16];
    const char *params[2] = {id, total};
    PGresult *res;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    snprintf(total, sizeof total, "%" PRId32, subjects_total);
    res = db_query(conn, "recording the plan in the ledger",
                   "UPDATE devpulse_etl.runs SET subjects_total = $2::int WHERE id = $1::bigint",
                   2, params, PGRES_COMMAND_OK, err);
    return res == NULL ? -1 : command_ok(res);
}

void
ledger_describe_holder(PGconn *conn, const char *shard, int64_t *run_id, char *buf, size_t size)
{
    const char *params[1] = {shard};
    PGresult *res = PQexecParams(conn,
                                 "SELECT id, command, shard, started_at::text,"
                                 " coalesce(client_host, '?'), coalesce(client_pid::text, '?')"
                                 " FROM devpulse_etl.runs WHERE status = 'running'"
                                 "   AND " SHARD_EXCLUDES
                                 " ORDER BY id DESC LIMIT 1", 1, NULL, params, NULL, NULL, 0);

    buf[0] = '\0';
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(buf, size, " (by the ledger, run %s, %s%s%s, started %s on %s, pid %s)",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                 strcmp(PQgetvalue(res, 0, 2), "1/1") != 0 ? " shard " : "",
                 strcmp(PQgetvalue(res, 0, 2), "1/1") != 0 ? PQgetvalue(res, 0, 2) : "",
                 PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
    }
    PQclear(res);
}
