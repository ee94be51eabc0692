-- Personal API tokens: a member lets a program act for them through /api/v1 without their password.
-- Only a SHA-256 of the token is stored; the token itself is shown once, when it is made.

CREATE TABLE api_token (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES account (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_token_account_idx ON api_token (account_id);
