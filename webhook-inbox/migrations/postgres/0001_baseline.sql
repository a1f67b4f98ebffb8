-- 1 baseline: the inbox as it was before the schema had a version, in the connection's
-- current schema. Idempotent, so that it also upgrades in place a database written then
-- (which has no version record). Times are milliseconds since the Unix epoch.
CREATE TABLE IF NOT EXISTS webhook_inbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider         TEXT   NOT NULL,
    dedupe_key       TEXT   NOT NULL,
    event_type       TEXT   NOT NULL,
    headers          TEXT   NOT NULL,
    body             BYTEA  NOT NULL,
    data_start       BIGINT,
    data_end         BIGINT,
    data             BYTEA,
    received_at      BIGINT NOT NULL,
    state            TEXT   NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    retry_at         BIGINT,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT,
    CONSTRAINT webhook_inbox_event UNIQUE (provider, dedupe_key)
);
-- The claims' walk, in id order (see `enable_bitmapscan` where the pool is made).
CREATE INDEX IF NOT EXISTS webhook_inbox_outstanding
    ON webhook_inbox (id) WHERE state IN ('pending', 'running', 'failed');
-- The settled rows, one partial index per final state: pruning and purging walk
-- `webhook_inbox_done` by finish time, replays of dead rows `webhook_inbox_dead`.
-- (Replace `webhook_inbox_finished (state, finished_at)` over every row, in which the
-- claims found, and then visited in the table, every old version of every row that
-- had been pending or running since the last vacuum.)
DROP INDEX IF EXISTS webhook_inbox_finished;
CREATE INDEX IF NOT EXISTS webhook_inbox_done
    ON webhook_inbox (finished_at) WHERE state = 'done';
CREATE INDEX IF NOT EXISTS webhook_inbox_dead
    ON webhook_inbox (event_type) WHERE state = 'dead';

-- Wakes every replica's workers when a row becomes pending (stored, revived, replayed,
-- released). The payload is the schema, so inboxes in other schemas ignore it.
CREATE OR REPLACE FUNCTION webhook_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('webhook_inbox', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_trigger
        WHERE tgname = 'webhook_inbox_notify' AND tgrelid = 'webhook_inbox'::regclass
    ) THEN
        CREATE TRIGGER webhook_inbox_notify
            AFTER INSERT OR UPDATE OF state ON webhook_inbox
            FOR EACH ROW WHEN (NEW.state = 'pending')
            EXECUTE FUNCTION webhook_inbox_notify();
    END IF;
END
$$;
