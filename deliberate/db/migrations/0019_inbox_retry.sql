-- Received activities whose processing failed for a reason that may pass (a fetch from a server that was down) are
-- retried on the delivery backoff schedule (federation/delivery_policy.py, about three days) instead of five times
-- in a row. `next_attempt_at` is NULL while a row is due (new, or its retry time has come); 'infinity' once an
-- attempt failed and the worker has not yet given it a retry time; otherwise the instant of its next attempt.
-- Rows that had already used up the old five attempts are due again: what was lost gets another chance.
ALTER TABLE inbox_activity ADD COLUMN next_attempt_at timestamptz;

CREATE INDEX inbox_activity_waiting_idx ON inbox_activity (next_attempt_at)
    WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL;
