-- Coalitions of organizations, across districts: a charter, members (organizations here or on other nodes),
-- joint statements signed by each member organization's key, and endorsements of budget projects or consultations.
--
-- A coalition lives on the node of its founding organization; other nodes keep a copy (origin = its host, ap_id =
-- its Group's id). Remote organizations are remote_actor rows (migration 0009). Nothing is deleted: leaving, being
-- removed or declining changes a member's state and keeps the dates, and domain_event keeps who did what.

CREATE TABLE coalition (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 3 AND 120),
    purpose text NOT NULL CHECK (char_length(purpose) BETWEEN 10 AND 2000),
    charter text NOT NULL CHECK (char_length(charter) BETWEEN 10 AND 20000),
    -- How many member organizations must sign a statement, or agree to remove a member: all, or more than half.
    threshold text NOT NULL CHECK (threshold IN ('all', 'majority')),
    -- The founder: an organization of this node, or (for a coalition hosted elsewhere) its remote actor.
    founding_organization_id bigint REFERENCES organization (id),
    founding_remote_actor_id bigint REFERENCES remote_actor (id),
    -- The coalition's forum on its founding node.
    forum_id bigint UNIQUE REFERENCES forum (id),
    origin text,
    ap_id text UNIQUE,
    created_by bigint REFERENCES account (id),
    created_at timestamptz NOT NULL,
    CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$' OR (ap_id IS NOT NULL AND char_length(slug) <= 300)),
    CHECK ((origin IS NULL) = (ap_id IS NULL)),
    CHECK ((founding_organization_id IS NULL) <> (founding_remote_actor_id IS NULL)),
    CHECK (origin IS NOT NULL OR (founding_organization_id IS NOT NULL AND created_by IS NOT NULL))
);
CREATE UNIQUE INDEX coalition_name_key ON coalition (lower(name)) WHERE origin IS NULL;

CREATE TABLE coalition_member (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coalition_id bigint NOT NULL REFERENCES coalition (id),
    organization_id bigint REFERENCES organization (id),
    remote_actor_id bigint REFERENCES remote_actor (id),
    state text NOT NULL CHECK (state IN ('invited', 'member', 'declined', 'left', 'removed')),
    invited_at timestamptz NOT NULL,
    -- Who acted: local admins by account; NULL when the act came from another node (its activity is in the ledger).
    invited_by bigint REFERENCES account (id),
    joined_at timestamptz,
    answered_at timestamptz,
    answered_by bigint REFERENCES account (id),
    ended_at timestamptz,
    ended_by bigint REFERENCES account (id),
    -- A remote organization's signed Accept, kept so anyone can check the membership was really agreed.
    acceptance jsonb,
    CHECK ((organization_id IS NULL) <> (remote_actor_id IS NULL)),
    CHECK (state <> 'member' OR joined_at IS NOT NULL),
    CHECK (state NOT IN ('left', 'removed') OR ended_at IS NOT NULL),
    UNIQUE (coalition_id, organization_id),
    UNIQUE (coalition_id, remote_actor_id)
);
CREATE INDEX coalition_member_organization_idx ON coalition_member (organization_id);
CREATE INDEX coalition_member_remote_idx ON coalition_member (remote_actor_id);

-- Members agreeing to remove another member; the removal happens when they reach the charter's threshold.
CREATE TABLE coalition_removal_vote (
    target_member_id bigint NOT NULL REFERENCES coalition_member (id),
    voter_member_id bigint NOT NULL REFERENCES coalition_member (id),
    voted_by bigint REFERENCES account (id),
    voted_at timestamptz NOT NULL,
    PRIMARY KEY (target_member_id, voter_member_id),
    CHECK (target_member_id <> voter_member_id)
);

-- A joint statement. Its text can change until the first signature; from then on `document` (what every proof
-- signs) is fixed, and a change needs a new draft.
CREATE TABLE coalition_statement (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coalition_id bigint NOT NULL REFERENCES coalition (id),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    body text NOT NULL CHECK (char_length(body) BETWEEN 10 AND 20000),
    -- NULL for a statement of a coalition hosted elsewhere (its host knows who drafted it).
    drafted_by_member_id bigint REFERENCES coalition_member (id),
    drafted_by bigint REFERENCES account (id),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    document jsonb,
    published_at timestamptz,
    -- Set for a statement of a coalition hosted on another node.
    ap_id text UNIQUE,
    CHECK (published_at IS NULL OR document IS NOT NULL)
);
CREATE INDEX coalition_statement_coalition_idx ON coalition_statement (coalition_id, id);

-- One signature per member organization: its FEP-8b32 proof over the statement's document.
CREATE TABLE coalition_signature (
    statement_id bigint NOT NULL REFERENCES coalition_statement (id),
    member_id bigint NOT NULL REFERENCES coalition_member (id),
    signed_by bigint REFERENCES account (id),
    signed_at timestamptz NOT NULL,
    proof jsonb NOT NULL,
    PRIMARY KEY (statement_id, member_id)
);

-- A published statement put forward as the coalition's position on a budget project or a consultation of this
-- node, or (target_url) on another node.
CREATE TABLE coalition_endorsement (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coalition_id bigint NOT NULL REFERENCES coalition (id),
    statement_id bigint NOT NULL REFERENCES coalition_statement (id),
    budget_project_id bigint REFERENCES budget_project (id),
    consultation_id bigint REFERENCES consultation (id),
    target_url text CHECK (char_length(target_url) <= 2000),
    endorsed_by_member_id bigint REFERENCES coalition_member (id),
    endorsed_by bigint REFERENCES account (id),
    created_at timestamptz NOT NULL,
    ap_id text UNIQUE,
    CHECK (num_nonnulls(budget_project_id, consultation_id, target_url) = 1)
);
CREATE UNIQUE INDEX coalition_endorsement_project_key ON coalition_endorsement (coalition_id, budget_project_id)
    WHERE budget_project_id IS NOT NULL;
CREATE UNIQUE INDEX coalition_endorsement_consultation_key ON coalition_endorsement (coalition_id, consultation_id)
    WHERE consultation_id IS NOT NULL;
CREATE UNIQUE INDEX coalition_endorsement_url_key ON coalition_endorsement (coalition_id, target_url)
    WHERE target_url IS NOT NULL;
CREATE INDEX coalition_endorsement_project_idx ON coalition_endorsement (budget_project_id);
CREATE INDEX coalition_endorsement_consultation_idx ON coalition_endorsement (consultation_id);
