-- Federation: peers, remote actors, follows both ways, the inbox ledger and the delivery queue; and the columns that
-- let threads, posts and forums from other nodes live beside local ones.
--
-- A remote actor who writes or reacts here gets a local "shadow" account (username NAME@HOST, no usable password),
-- so every page, notice, reaction count and moderation rule works on remote content unchanged. A remote forum
-- (Group) we follow is mirrored as a forum whose slug is NAME@HOST. `ap_id` is the ActivityPub id of what came from
-- elsewhere; NULL means the row is local and its id is derived from our own URLs.

ALTER TABLE account ADD COLUMN origin text;
ALTER TABLE account DROP CONSTRAINT account_username_check;
ALTER TABLE account ADD CONSTRAINT account_username_check
    CHECK (username ~ '^[A-Za-z0-9._-]{3,30}$' OR (origin IS NOT NULL AND char_length(username) <= 300));

ALTER TABLE forum ADD COLUMN ap_id text UNIQUE;
ALTER TABLE forum ADD COLUMN origin text;
ALTER TABLE forum DROP CONSTRAINT forum_slug_check;
ALTER TABLE forum ADD CONSTRAINT forum_slug_check
    CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$' OR (ap_id IS NOT NULL AND char_length(slug) <= 300));

ALTER TABLE thread ADD COLUMN ap_id text UNIQUE;
-- The received object of a remote post, proof included, so a forum Group can relay it verbatim (FEP-1b12) and
-- followers can check the author's signature themselves.
ALTER TABLE post ADD COLUMN ap_id text UNIQUE;
ALTER TABLE post ADD COLUMN ap_object jsonb;

-- Other servers, by host (with port when not the default). Created on first contact.
CREATE TABLE instance (
    host text PRIMARY KEY,
    blocked_at timestamptz,
    block_reason text NOT NULL DEFAULT '',
    -- Only read in allow-list mode: the peers an operator has let in.
    allowed_at timestamptz,
    first_seen_at timestamptz NOT NULL,
    -- Circuit breaker (federation/delivery_policy.py): consecutive failures pause the host, days of them mark it
    -- unavailable until it sends us anything signed.
    consecutive_failures integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    paused_until timestamptz,
    unavailable boolean NOT NULL DEFAULT false,
    last_error text,
    last_delivery_at timestamptz,
    delivered_count bigint NOT NULL DEFAULT 0
);

-- Actor documents fetched by the hardened client, with the keys we verify their signatures with.
CREATE TABLE remote_actor (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri text NOT NULL UNIQUE,
    host text NOT NULL REFERENCES instance (host),
    type text NOT NULL,
    preferred_username text,
    name text,
    inbox text NOT NULL,
    shared_inbox text,
    outbox text,
    key_id text,
    public_key_pem text,
    -- The Ed25519 Multikeys of assertionMethod: [{"id": …, "publicKeyMultibase": …}], for FEP-8b32 proofs.
    assertion_keys jsonb NOT NULL DEFAULT '[]',
    fetched_at timestamptz NOT NULL,
    account_id bigint UNIQUE REFERENCES account (id),
    forum_id bigint UNIQUE REFERENCES forum (id)
);
CREATE INDEX remote_actor_key_idx ON remote_actor (key_id);

-- Remote actors following one of ours. actor_kind 'group' is a forum, 'application' the node itself (actor_id 0).
CREATE TABLE follower (
    actor_kind text NOT NULL CHECK (actor_kind IN ('person', 'organization', 'group', 'application')),
    actor_id bigint NOT NULL,
    remote_actor_id bigint NOT NULL REFERENCES remote_actor (id),
    follow_id text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (actor_kind, actor_id, remote_actor_id)
);

-- Remote forums this node follows (through its Application actor, once per node however many members subscribe).
CREATE TABLE following (
    remote_actor_id bigint PRIMARY KEY REFERENCES remote_actor (id),
    follow_id text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    requested_by bigint REFERENCES account (id),
    created_at timestamptz NOT NULL,
    answered_at timestamptz
);

-- Every activity accepted by the inbox, once: the unique id is the de-duplication (a peer retrying, a replay).
CREATE TABLE inbox_activity (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    actor_uri text NOT NULL,
    type text NOT NULL,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL,
    processed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    error text
);
CREATE INDEX inbox_activity_pending_idx ON inbox_activity (id) WHERE processed_at IS NULL;

-- How far the outbox has turned domain events into deliveries. One row; the outbox worker holds it FOR UPDATE while
-- it works, so several processes never translate the same event twice.
CREATE TABLE outbox_cursor (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_event_id bigint NOT NULL
);
INSERT INTO outbox_cursor (last_event_id) SELECT coalesce(max(id), 0) FROM domain_event;

-- One row per (activity, destination inbox). The body is stored exactly as it will be signed and sent.
CREATE TABLE delivery (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id text NOT NULL,
    inbox text NOT NULL,
    host text NOT NULL REFERENCES instance (host),
    body bytea NOT NULL,
    signer_kind text NOT NULL CHECK (signer_kind IN ('person', 'organization', 'group', 'application')),
    signer_id bigint NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX delivery_due_idx ON delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX delivery_host_idx ON delivery (host, state);
