-- 002_run_ledger.sql: the engine's run ledger, one row per run of nightly,
-- backfill or goals (README: "The run ledger").
--
-- A run inserts its row as 'running' once it holds the run lock, and ends it
-- as 'succeeded', 'failed' or 'cancelled'.  A row still 'running' when the
-- next run of the same lock takes it belongs to a run that died: that run
-- marks it 'failed'.  Backfill records its progress (the last subject whose
-- rows are committed) in the same transaction as each batch, so that
-- `backfill --resume` continues exactly where the committed work ends.

-- step: create table devpulse_etl.runs
-- when: to_regclass('devpulse_etl.runs') IS NULL
CREATE TABLE devpulse_etl.runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command           text NOT NULL CHECK (command IN ('nightly', 'backfill', 'goals')),
    options           jsonb NOT NULL DEFAULT '{}',
    shard             text NOT NULL DEFAULT '1/1',
    as_of             timestamptz,
    started_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    resumes           bigint REFERENCES devpulse_etl.runs (id) ON DELETE SET NULL,
    subjects_done     integer NOT NULL DEFAULT 0,
    last_subject_kind text CHECK (last_subject_kind IN ('personal', 'workspace')),
    last_subject_id   uuid,
    rows_read         bigint NOT NULL DEFAULT 0,
    rows_written      bigint NOT NULL DEFAULT 0,
    goals_updated     bigint NOT NULL DEFAULT 0,
    warnings          bigint NOT NULL DEFAULT 0,
    attempts          integer NOT NULL DEFAULT 1,
    error             text,
    client_host       text,
    client_pid        integer
);
CREATE INDEX runs_started_at_idx ON devpulse_etl.runs (started_at);
CREATE INDEX runs_running_idx ON devpulse_etl.runs (shard) WHERE status = 'running';
-- The engine's role owns its ledger.  That needs membership in the role
-- (always true for a superuser); where the migrating role lacks it (a
-- managed server's owner with CREATEROLE), its grants (src/migrate_access.c)
-- suffice.
DO $$
BEGIN
    IF pg_has_role(current_user, 'devpulse_etl', 'USAGE') THEN
        ALTER TABLE devpulse_etl.runs OWNER TO devpulse_etl;
    END IF;
END $$;
