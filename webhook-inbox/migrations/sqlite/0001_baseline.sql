-- 1 baseline: the inbox as it was before the schema had a version. Idempotent, so that
-- it also upgrades in place a database written then (which has no version record).
-- Times are milliseconds since the Unix epoch.
CREATE TABLE IF NOT EXISTS webhook_inbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    provider         TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    headers          TEXT    NOT NULL,
    body             BLOB    NOT NULL,
    data_start       INTEGER,
    data_end         INTEGER,
    data             BLOB,
    received_at      INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    retry_at         INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    UNIQUE (provider, dedupe_key)
);
-- Each delivery's headers and body, apart from its row: the row changes state two or
-- three times (claimed, done), and each change rewrites the whole record, so the ~1 KiB
-- of the delivery is written once here instead of with every change. Rows stored before
-- this table existed keep theirs inline (`headers`, `body` above); new rows store ''
-- and x'' there.
CREATE TABLE IF NOT EXISTS webhook_inbox_body (
    id      INTEGER PRIMARY KEY,
    headers TEXT NOT NULL,
    body    BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS webhook_inbox_body_deleted AFTER DELETE ON webhook_inbox
BEGIN
    DELETE FROM webhook_inbox_body WHERE id = old.id;
END;
-- The claims' walk: the outstanding rows in id order, with what decides whether each
-- is due, so that walking past the rows workers hold reads no table rows. (Replaces
-- `webhook_inbox_outstanding`, an index on `id` alone.)
DROP INDEX IF EXISTS webhook_inbox_outstanding;
CREATE INDEX IF NOT EXISTS webhook_inbox_due
    ON webhook_inbox (id, state, retry_at, lease_expires_at)
    WHERE state IN ('pending', 'running', 'failed');
-- The settled rows, one partial index per final state, so that storing, claiming and
-- extending a row (the hot path: three changes per event) touch no index of settled
-- rows: pruning and purging walk `webhook_inbox_done` by finish time, replays of dead
-- rows `webhook_inbox_dead`. (Replace `webhook_inbox_finished (state, finished_at)` over
-- every row, which every change of state rewrote.)
DROP INDEX IF EXISTS webhook_inbox_finished;
CREATE INDEX IF NOT EXISTS webhook_inbox_done
    ON webhook_inbox (finished_at) WHERE state = 'done';
CREATE INDEX IF NOT EXISTS webhook_inbox_dead
    ON webhook_inbox (event_type) WHERE state = 'dead';
