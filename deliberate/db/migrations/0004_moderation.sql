-- Moderation: reports on posts, the public log of every moderation action, and one appeal per action.

-- The log. Every decision a moderator or an organization admin takes is a row here, shown to anyone at
-- /moderation/log: who (actor_id), what (kind and its target), why (reason), when (created_at). Rows are never
-- updated or deleted; undoing a decision is a new row (unhide_post, unlock_thread, lift_suspension).
CREATE TABLE moderation_action (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id bigint NOT NULL REFERENCES account (id),
    kind text NOT NULL CHECK (kind IN (
        'hide_post', 'unhide_post', 'lock_thread', 'unlock_thread', 'suspend_account', 'lift_suspension',
        'dismiss_report'
    )),
    post_id bigint REFERENCES post (id),
    thread_id bigint REFERENCES thread (id),
    -- The person the decision is about (the post's or thread's author, the suspended account): the one who may
    -- appeal it.
    account_id bigint REFERENCES account (id),
    -- For suspend_account: the end of the suspension it set.
    suspended_until timestamptz,
    -- Required for every kind except the thread lock buttons, which predate the log and send no reason; the log
    -- says "no reason given" for those, in public.
    reason text NOT NULL CHECK (char_length(reason) <= 1000),
    created_at timestamptz NOT NULL,
    CHECK (btrim(reason) <> '' OR kind IN ('lock_thread', 'unlock_thread')),
    CHECK (kind NOT IN ('hide_post', 'unhide_post', 'dismiss_report') OR post_id IS NOT NULL),
    CHECK (kind NOT IN ('lock_thread', 'unlock_thread') OR thread_id IS NOT NULL),
    CHECK (kind NOT IN ('suspend_account', 'lift_suspension') OR account_id IS NOT NULL),
    CHECK ((kind = 'suspend_account') = (suspended_until IS NOT NULL))
);
CREATE INDEX moderation_action_post_idx ON moderation_action (post_id, id) WHERE post_id IS NOT NULL;

-- A signed-in person's report on a post. It stays open until a moderator hides the post (resolution 'hidden')
-- or dismisses the reports on it ('dismissed'); action_id is the logged decision that closed it.
CREATE TABLE report (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES post (id),
    reporter_id bigint NOT NULL REFERENCES account (id),
    reason text NOT NULL CHECK (reason IN ('spam', 'insult', 'false_information', 'off_topic', 'other')),
    text text NOT NULL DEFAULT '' CHECK (char_length(text) <= 1000),
    created_at timestamptz NOT NULL,
    resolved_at timestamptz,
    resolved_by bigint REFERENCES account (id),
    resolution text CHECK (resolution IN ('hidden', 'dismissed')),
    action_id bigint REFERENCES moderation_action (id),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),
    CHECK ((resolved_at IS NULL) = (resolution IS NULL)),
    CHECK ((resolved_at IS NULL) = (action_id IS NULL))
);
-- One open report per person and post: reporting again is refused until the first one is resolved.
CREATE UNIQUE INDEX report_open_key ON report (post_id, reporter_id) WHERE resolved_at IS NULL;
-- The queue: open reports, oldest first.
CREATE INDEX report_queue_idx ON report (id) WHERE resolved_at IS NULL;

-- The affected person's one appeal against one action, and a moderator's answer. Public, like the action.
CREATE TABLE appeal (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id bigint NOT NULL UNIQUE REFERENCES moderation_action (id),
    appellant_id bigint NOT NULL REFERENCES account (id),
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL,
    answer text CHECK (char_length(answer) BETWEEN 1 AND 1000),
    answered_by bigint REFERENCES account (id),
    answered_at timestamptz,
    outcome text CHECK (outcome IN ('upheld', 'reversed')),
    CHECK ((answered_at IS NULL) = (answered_by IS NULL)),
    CHECK ((answered_at IS NULL) = (answer IS NULL)),
    CHECK ((answered_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX appeal_pending_idx ON appeal (id) WHERE answered_at IS NULL;
