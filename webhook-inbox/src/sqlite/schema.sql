-- The SQLite inbox table; run at every open, so every statement is idempotent.
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
CREATE INDEX IF NOT EXISTS webhook_inbox_outstanding
    ON webhook_inbox (id) WHERE state IN ('pending', 'running', 'failed');
CREATE INDEX IF NOT EXISTS webhook_inbox_finished ON webhook_inbox (state, finished_at);
