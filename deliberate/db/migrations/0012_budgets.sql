-- Participatory budgets: processes with zones and a calendar, proposed projects with their public review, resident
-- verification, and voting designed so that who voted and what was voted cannot be joined (see
-- deliberate/budgets/voting.py for the reasoning).

-- A member an operator or official has checked in person (e.g. DNI shown at the ICT centre). The DNI number itself is
-- never stored: only who checked, and when.
CREATE TABLE resident_verification (
    account_id bigint PRIMARY KEY REFERENCES account (id),
    verified_by bigint NOT NULL REFERENCES account (id),
    verified_at timestamptz NOT NULL,
    -- Where the check happened ("Centro TIC Pachacámac"), for the council's own records.
    place text NOT NULL DEFAULT '' CHECK (char_length(place) <= 120)
);
-- The officials' page lists the most recent verifications first.
CREATE INDEX resident_verification_recent_idx ON resident_verification (verified_at DESC, account_id);

CREATE TABLE budget_process (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    -- Soles, exact. With zones, the sum of the zones' amounts.
    total_amount numeric(14, 2) NOT NULL CHECK (total_amount > 0),
    -- The ballot: approval of up to max_choices projects; approval within the budget (knapsack, optionally reaching
    -- min_share of it); cumulative points (points to spread, at most max_choices projects when set); a ranking of up
    -- to max_choices projects.
    ballot_rule text NOT NULL CHECK (ballot_rule IN ('approval', 'knapsack', 'cumulative', 'ordinal')),
    max_choices integer CHECK (max_choices > 0),
    min_share numeric(5, 4) CHECK (min_share > 0 AND min_share <= 1),
    points integer CHECK (points > 0),
    -- The count, with the names `deliberate pb tally` uses.
    counting_rule text NOT NULL CHECK (counting_rule IN ('greedy', 'greedy-threshold', 'mes')),
    min_votes integer CHECK (min_votes > 0),
    completion text NOT NULL DEFAULT 'none'
        CHECK (completion IN ('none', 'greedy', 'add1', 'add1-greedy', 'add1-until-infeasible')),
    satisfaction text NOT NULL DEFAULT 'cost' CHECK (satisfaction IN ('cost', 'cardinality')),
    tie_break text NOT NULL DEFAULT 'equalshares' CHECK (tie_break IN ('id', 'equalshares')),
    -- Published with the calendar, before any ballot, so nobody can pick a lot after seeing the votes.
    tie_seed text NOT NULL CHECK (char_length(tie_seed) BETWEEN 8 AND 64),
    -- The calendar (America/Lima shown, UTC stored): proposals → feasibility review → voting → results →
    -- implementation follow-up. Each phase starts at its date; voting ends at voting_closes_at.
    proposals_open_at timestamptz NOT NULL,
    review_starts_at timestamptz NOT NULL,
    voting_opens_at timestamptz NOT NULL,
    voting_closes_at timestamptz NOT NULL,
    implementation_starts_at timestamptz,
    CHECK (proposals_open_at <= review_starts_at AND review_starts_at <= voting_opens_at
           AND voting_opens_at < voting_closes_at),
    CHECK (implementation_starts_at IS NULL OR implementation_starts_at >= voting_closes_at),
    CHECK (ballot_rule <> 'cumulative' OR points IS NOT NULL),
    CHECK (ballot_rule NOT IN ('approval', 'ordinal') OR max_choices IS NOT NULL),
    CHECK ((counting_rule = 'greedy-threshold') = (min_votes IS NOT NULL)),
    -- Fields that mean nothing for the chosen rule stay empty, so a page never explains a setting that is not used.
    CHECK (ballot_rule = 'cumulative' OR points IS NULL),
    CHECK (ballot_rule = 'knapsack' OR min_share IS NULL),
    CHECK (counting_rule = 'mes' OR completion = 'none'),
    -- 'imported': created from a .pb file (trials, recounting another city's election); its ballots came in whole.
    origin text NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'imported')),
    created_by bigint NOT NULL REFERENCES account (id),
    created_at timestamptz NOT NULL,
    -- Set once, when the results and the ballot chain are published after voting closes.
    results_published_at timestamptz,
    results_published_by bigint REFERENCES account (id),
    -- The head of the published ballot chain and the node's Ed25519 signature over it (base64url).
    chain_head text,
    chain_signature text,
    -- The node's Ed25519 public key that made the signature (base64url, raw 32 bytes): kept with it, so the chain
    -- still verifies after the node's keys are rotated.
    chain_public_key text,
    CHECK ((results_published_at IS NULL) = (chain_head IS NULL)),
    CHECK ((chain_head IS NULL) = (chain_signature IS NULL) AND (chain_head IS NULL) = (chain_public_key IS NULL)),
    -- The public node-wide forum where each project is discussed in a thread of its own; created with the process
    -- (an imported process may have none).
    forum_id bigint REFERENCES forum (id)
);

-- Every process has at least one zone; a process without district zones has one zone for the whole district. Each
-- zone is counted on its own with its own amount (like CONSUL's headings); a voter votes in one zone per process.
CREATE TABLE budget_zone (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    process_id bigint NOT NULL REFERENCES budget_process (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    amount numeric(14, 2) NOT NULL CHECK (amount > 0),
    position integer NOT NULL,
    UNIQUE (process_id, name),
    UNIQUE (process_id, position)
);

CREATE TABLE budget_project (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    process_id bigint NOT NULL REFERENCES budget_process (id),
    zone_id bigint NOT NULL REFERENCES budget_zone (id),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    location text NOT NULL DEFAULT '' CHECK (char_length(location) <= 300),
    estimated_cost numeric(14, 2) NOT NULL CHECK (estimated_cost >= 0),
    proposed_by bigint NOT NULL REFERENCES account (id),
    -- Set when proposed in an organization's name; proposed_by is then the member who did it.
    as_organization_id bigint REFERENCES organization (id),
    created_at timestamptz NOT NULL,
    -- The public feasibility review: NULL until reviewed; a written reason either way; the cost that counts.
    feasible boolean,
    review_reason text CHECK (char_length(review_reason) <= 5000),
    final_cost numeric(14, 2) CHECK (final_cost >= 0),
    reviewed_by bigint REFERENCES account (id),
    reviewed_at timestamptz,
    CHECK ((feasible IS NULL) = (reviewed_at IS NULL)),
    CHECK (feasible IS NOT TRUE OR final_cost IS NOT NULL),
    -- The forum thread where the proposal is discussed, when one was opened.
    thread_id bigint REFERENCES thread (id),
    -- The project's id in an imported .pb file, kept so an export round-trips.
    external_id text CHECK (char_length(external_id) <= 64),
    -- Implementation follow-up after results: a short public status.
    implementation_status text CHECK (implementation_status IN ('planned', 'in_progress', 'done', 'cancelled')),
    implementation_note text NOT NULL DEFAULT '' CHECK (char_length(implementation_note) <= 5000),
    implementation_updated_at timestamptz,
    CHECK ((implementation_status IS NULL) = (implementation_updated_at IS NULL))
);
CREATE INDEX budget_project_process_idx ON budget_project (process_id, zone_id, id);

-- The voter roll: who voted, in which zone, by which channel. No timestamp and no ballot reference. roll_tag is
-- SHA-256 over a domain-separated receipt code: it lets the holder of the code prove the roll row is theirs (to change
-- their ballot) while the node, which never keeps receipt codes, cannot compute it from the ballot box.
CREATE TABLE budget_voter (
    process_id bigint NOT NULL REFERENCES budget_process (id),
    account_id bigint NOT NULL REFERENCES account (id),
    zone_id bigint NOT NULL REFERENCES budget_zone (id),
    channel text NOT NULL CHECK (channel IN ('online', 'paper')),
    roll_tag bytea NOT NULL CHECK (octet_length(roll_tag) = 32),
    -- Paper ballots: the polling table and the official who entered it (the voter signs the table's paper register).
    polling_table text CHECK (char_length(polling_table) <= 120),
    entered_by bigint REFERENCES account (id),
    CHECK ((channel = 'paper') = (entered_by IS NOT NULL AND polling_table IS NOT NULL)),
    PRIMARY KEY (process_id, account_id)
);

-- The ballot box: what was voted, with no voter, no time and no sequence. The key is random; receipt_hash is SHA-256
-- over the receipt code with another domain separator, published with the ballot after voting closes.
CREATE TABLE budget_ballot (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    process_id bigint NOT NULL REFERENCES budget_process (id),
    zone_id bigint NOT NULL REFERENCES budget_zone (id),
    receipt_hash bytea NOT NULL UNIQUE CHECK (octet_length(receipt_hash) = 32),
    -- approval / knapsack: [project id, …]; ordinal: [project id, …] best first; cumulative: {"project id": points}.
    choices jsonb NOT NULL
);
CREATE INDEX budget_ballot_process_idx ON budget_ballot (process_id, zone_id);

-- The published chain, written once when results are published: ballots sorted by receipt_hash (an order that says
-- nothing about when anyone voted), each entry hashing the previous one; the head is signed in budget_process.
CREATE TABLE budget_chain_entry (
    process_id bigint NOT NULL REFERENCES budget_process (id),
    position integer NOT NULL,
    zone_id bigint NOT NULL REFERENCES budget_zone (id),
    receipt_hash bytea NOT NULL,
    choices jsonb NOT NULL,
    entry_hash bytea NOT NULL CHECK (octet_length(entry_hash) = 32),
    PRIMARY KEY (process_id, position)
);

-- The published count per zone: every project's outcome with its explanation (counting_explain), frozen at publication.
CREATE TABLE budget_result (
    process_id bigint NOT NULL REFERENCES budget_process (id),
    project_id bigint NOT NULL REFERENCES budget_project (id),
    zone_id bigint NOT NULL REFERENCES budget_zone (id),
    selected boolean NOT NULL,
    -- Order in which a funded project was picked (1 first); NULL for projects not funded.
    pick_order integer,
    votes integer NOT NULL,
    explanation jsonb NOT NULL,
    PRIMARY KEY (process_id, project_id)
);
