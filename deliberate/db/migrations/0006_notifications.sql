-- Subscriptions (follow a thread, a forum or an organization) and the notifications they produce.

CREATE TABLE subscription (
    account_id bigint NOT NULL REFERENCES account (id),
    target_kind text NOT NULL CHECK (target_kind IN ('thread', 'forum', 'organization')),
    target_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (target_kind, target_id, account_id)
);
CREATE INDEX subscription_account_idx ON subscription (account_id);

CREATE TABLE notification (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES account (id),
    kind text NOT NULL CHECK (kind IN ('reply', 'new_thread')),
    thread_id bigint NOT NULL REFERENCES thread (id),
    post_id bigint NOT NULL REFERENCES post (id),
    actor_id bigint NOT NULL REFERENCES account (id),
    created_at timestamptz NOT NULL,
    read_at timestamptz,
    -- E-mail delivery, when the node has SMTP and the member asked for it: claimed by one sender at a time.
    email_state text NOT NULL DEFAULT 'none' CHECK (email_state IN ('none', 'pending', 'sent', 'failed')),
    email_attempts integer NOT NULL DEFAULT 0,
    email_next_at timestamptz,
    -- One notification per person and post, whichever subscriptions matched.
    UNIQUE (account_id, post_id)
);
CREATE INDEX notification_unread_idx ON notification (account_id, id DESC) WHERE read_at IS NULL;
CREATE INDEX notification_account_idx ON notification (account_id, id DESC);
CREATE INDEX notification_email_idx ON notification (email_next_at) WHERE email_state = 'pending';

ALTER TABLE account ADD COLUMN email_notifications boolean NOT NULL DEFAULT false;
