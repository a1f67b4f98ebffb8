-- 2 attempts: how long each attempt took, and every attempt that did not end the
-- delivery, so that an operator sees a delivery's whole timeline (each error and
-- duration), not only its last outcome.
--
-- The hot path pays one more column in the update that marks a row done: a done
-- attempt is the row itself (`last_attempt_us`, `finished_at`, `attempts`). Attempts
-- that failed, were dead-lettered or were lost (the lease ran out: the process stopped
-- or stalled) are written here by a trigger on the row's change of state, so every
-- replica records them alike; so is a done attempt whose row is replayed, which would
-- otherwise vanish from the timeline.
ALTER TABLE webhook_inbox ADD COLUMN last_attempt_us BIGINT;
CREATE TABLE webhook_inbox_attempt (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbox_id    BIGINT NOT NULL REFERENCES webhook_inbox (id) ON DELETE CASCADE,
    -- The attempt's number since the row was stored, revived or replayed.
    attempt     BIGINT NOT NULL,
    outcome     TEXT   NOT NULL CHECK (outcome IN ('done', 'failed', 'dead', 'lost')),
    error       TEXT,
    -- The handler's run, in microseconds; NULL for a lost attempt.
    duration_us BIGINT,
    ended_at    BIGINT NOT NULL
);
-- One delivery's timeline, in order (and the cascade from a deleted row).
CREATE INDEX webhook_inbox_attempt_of ON webhook_inbox_attempt (inbox_id, id);
-- The last hour's handler durations on the console.
CREATE INDEX webhook_inbox_attempt_ended ON webhook_inbox_attempt (ended_at);
CREATE FUNCTION webhook_inbox_attempt() RETURNS trigger LANGUAGE plpgsql
    -- The table it writes is the one beside the trigger's, whatever the session's path.
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NEW.state IN ('failed', 'dead') THEN
        INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
        VALUES (NEW.id, NEW.attempts, NEW.state, NEW.last_error, NEW.last_attempt_us, NEW.updated_at);
    ELSIF OLD.state = 'done' THEN
        INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
        VALUES (OLD.id, OLD.attempts, 'done', NULL, OLD.last_attempt_us, OLD.finished_at);
    ELSE
        INSERT INTO webhook_inbox_attempt (inbox_id, attempt, outcome, error, duration_us, ended_at)
        VALUES (OLD.id, OLD.attempts, 'lost',
                'the lease ran out before the attempt ended (the process stopped or stalled)',
                NULL, OLD.lease_expires_at);
    END IF;
    RETURN NULL;
END
$$;
-- Fires only on the changes it records: an attempt that failed or died, a running
-- row taken over by another owner (the old lease ran out), a done row replayed.
CREATE TRIGGER webhook_inbox_attempt
    AFTER UPDATE ON webhook_inbox
    FOR EACH ROW WHEN (
        (OLD.state = 'running' AND NEW.state IN ('failed', 'dead'))
        OR (OLD.state = 'running' AND NEW.state = 'running'
            AND NEW.lease_owner IS DISTINCT FROM OLD.lease_owner)
        OR (OLD.state = 'done' AND NEW.state <> 'done')
    )
    EXECUTE FUNCTION webhook_inbox_attempt();
