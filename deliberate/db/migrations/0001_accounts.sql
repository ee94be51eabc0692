-- Accounts, the node's own signing keys and the domain event log.

CREATE TABLE account (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL CHECK (username ~ '^[A-Za-z0-9._-]{3,30}$'),
    display_name text CHECK (char_length(display_name) <= 80),
    email text CHECK (char_length(email) <= 254),
    phone text CHECK (char_length(phone) <= 20),
    password_hash text NOT NULL,
    roles text[] NOT NULL DEFAULT ARRAY['member']
        CHECK (roles <@ ARRAY['member', 'moderator', 'official', 'operator']),
    created_at timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL,
    suspended_until timestamptz
);
-- Usernames are unique whatever their case: "Rosa" and "rosa" are the same person to a reader.
CREATE UNIQUE INDEX account_username_key ON account (lower(username));

-- One row: the node actor's keys. RSA-2048 for draft-cavage HTTP signatures (what Mastodon speaks), Ed25519 for
-- RFC 9421 and FEP-8b32 proofs. Private keys stay in the database, the node's source of truth and of its backups.
CREATE TABLE node_key (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rsa_private_pem text NOT NULL,
    ed25519_private_pem text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE domain_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
