-- 2 attempts: how long each attempt took, and every attempt that did not end the
-- delivery, so that an operator sees a delivery's whole timeline (each error and
-- duration), not only its last outcome.
--
-- The hot path pays one more column in the update that marks a row done: a done
-- attempt is the row itself (`last_attempt_us`, `finished_at`, `attempts`). Attempts
-- that failed, were dead-lettered or were lost (the lease ran out: the process stopped
-- or stalled) are written here by triggers on the row's change of state, so every
-- writer of the table records them alike; so is a done attempt whose row is replayed,
-- which would otherwise vanish from the timeline.
ALTER TABLE webhook_inbox ADD COLUMN last_attempt_us INTEGER;
CREATE TABLE webhook_inbox_attempt (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL,
    -- The attempt's number since the row was stored, revived or replayed.
    attempt     INTEGER NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('done', 'failed', 'dead', 'lost')),
    error       TEXT,
    -- The handler's run, in microseconds; NULL for a lost attempt.
    duration_us INTEGER,
    ended_at    INTEGER NOT NULL
);
-- One delivery's timeline, in order.
CREATE INDEX webhook_inbox_attempt_of ON webhook_inbox_attempt (inbox_id, id);
-- The last hour's handler durations on the console.
CREATE INDEX webhook_inbox_attempt_ended ON webhook_inbox_attempt (ended_at);
CREATE TRIGGER webhook_inbox_attempt_settled AFTER UPDATE OF state ON webhook_inbox
    WHEN old.state = 'running' AND new.state IN ('failed', 'dead')
BEGIN
    INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
    VALUES (new.id, new.attempts, new.state, new.last_error, new.last_attempt_us, new.updated_at);
END;
CREATE TRIGGER webhook_inbox_attempt_lost AFTER UPDATE OF lease_owner ON webhook_inbox
    WHEN old.state = 'running' AND new.state = 'running' AND new.lease_owner IS NOT old.lease_owner
BEGIN
    INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
    VALUES (old.id, old.attempts, 'lost',
            'the lease ran out before the attempt ended (the process stopped or stalled)',
            NULL, old.lease_expires_at);
END;
CREATE TRIGGER webhook_inbox_attempt_replayed AFTER UPDATE OF state ON webhook_inbox
    WHEN old.state = 'done' AND new.state <> 'done'
BEGIN
    INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
    VALUES (old.id, old.attempts, 'done', NULL, old.last_attempt_us, old.finished_at);
END;
CREATE TRIGGER webhook_inbox_attempt_deleted AFTER DELETE ON webhook_inbox
BEGIN
    DELETE FROM webhook_inbox_attempt WHERE inbox_id = old.id;
END;
