-- Organizations: first-class actors with members and roles, verified by the node's operators.

CREATE TABLE organization (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The slug names the organization in URLs and, with federation, in its ActivityPub id: it never changes.
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 3 AND 120),
    kind text NOT NULL CHECK (kind IN (
        'comedor_popular', 'vaso_de_leche', 'junta_vecinal', 'mujeres', 'juventud', 'mercado', 'cultural', 'otra'
    )),
    zone text CHECK (char_length(zone) <= 80),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    -- Number in the municipal Single Register of Social Organizations (RUOS); checked by an operator.
    registry_number text CHECK (registry_number ~ '^[A-Za-z0-9./-]{1,30}$'),
    created_by bigint NOT NULL REFERENCES account (id),
    created_at timestamptz NOT NULL,
    verified_at timestamptz,
    verified_by bigint REFERENCES account (id),
    CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);
CREATE UNIQUE INDEX organization_name_key ON organization (lower(name));

CREATE TABLE organization_member (
    organization_id bigint NOT NULL REFERENCES organization (id),
    account_id bigint NOT NULL REFERENCES account (id),
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    -- The member's own choice: appear in the public member list or only to the organization's members.
    listed boolean NOT NULL DEFAULT true,
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, account_id)
);
CREATE INDEX organization_member_account_idx ON organization_member (account_id);

-- A pending request to join (from the person) or invitation (from an admin). Resolved ones are deleted; what
-- happened stays in domain_event.
CREATE TABLE membership_request (
    organization_id bigint NOT NULL REFERENCES organization (id),
    account_id bigint NOT NULL REFERENCES account (id),
    direction text NOT NULL CHECK (direction IN ('request', 'invitation')),
    invited_by bigint REFERENCES account (id),
    message text NOT NULL DEFAULT '' CHECK (char_length(message) <= 1000),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, account_id),
    CHECK ((direction = 'invitation') = (invited_by IS NOT NULL))
);
CREATE INDEX membership_request_account_idx ON membership_request (account_id);
