-- Forum reads leave out what comes from a blocked server (deliberate/forums/queries.py): each statement reads the
-- blocked hosts once. This keeps that read to the few blocked rows on a node that knows thousands of servers.
CREATE INDEX instance_blocked_idx ON instance (host) WHERE blocked_at IS NOT NULL;
