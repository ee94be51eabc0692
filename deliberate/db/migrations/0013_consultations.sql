-- Council consultations: officials publish a document in numbered sections with questions; members and
-- organizations take stances, answer, comment (in an ordinary forum, one thread per section, so moderation works
-- unchanged) and submit organization positions; after closing the council owes a public answer by a deadline.

-- An account an operator has marked as an official of the municipal council: the name and office shown next to
-- what it publishes. The role itself is account.roles 'official'; this row says who and where.
CREATE TABLE official (
    account_id bigint PRIMARY KEY REFERENCES account (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 3 AND 120),
    office text NOT NULL CHECK (char_length(office) BETWEEN 3 AND 160),
    appointed_at timestamptz NOT NULL
);

-- One row per version. Editing a published document is publishing a new version: the old row stays, marked
-- superseded, so the page can show what changed. All versions share the slug and the comment forum.
CREATE TABLE consultation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'),
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    previous_id bigint UNIQUE REFERENCES consultation (id),
    superseded_at timestamptz,
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    summary text NOT NULL CHECK (char_length(summary) BETWEEN 1 AND 5000),
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    answer_due_at timestamptz NOT NULL,
    audience text NOT NULL CHECK (audience IN ('everyone', 'verified_residents', 'organizations')),
    ask_stances boolean NOT NULL DEFAULT true,
    forum_id bigint NOT NULL REFERENCES forum (id),
    published_by bigint NOT NULL REFERENCES account (id),
    published_at timestamptz NOT NULL,
    UNIQUE (slug, version),
    CHECK (closes_at > opens_at),
    CHECK (answer_due_at >= closes_at),
    CHECK ((version = 1) = (previous_id IS NULL))
);
-- Exactly one current version per slug.
CREATE UNIQUE INDEX consultation_current_key ON consultation (slug) WHERE superseded_at IS NULL;
-- The home page's overdue list and the index: current versions by closing date.
CREATE INDEX consultation_closing_idx ON consultation (closes_at DESC, id DESC) WHERE superseded_at IS NULL;

CREATE TABLE consultation_section (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultation (id),
    number integer NOT NULL CHECK (number BETWEEN 1 AND 200),
    heading text NOT NULL CHECK (char_length(heading) BETWEEN 1 AND 200),
    source text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 20000),
    html text NOT NULL,
    -- The forum thread where this section is commented.
    thread_id bigint NOT NULL REFERENCES thread (id),
    UNIQUE (consultation_id, number)
);

CREATE TABLE consultation_question (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultation (id),
    number integer NOT NULL CHECK (number BETWEEN 1 AND 100),
    kind text NOT NULL CHECK (kind IN ('single', 'multiple', 'text')),
    prompt text NOT NULL CHECK (char_length(prompt) BETWEEN 3 AND 500),
    UNIQUE (consultation_id, number)
);

CREATE TABLE consultation_option (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question_id bigint NOT NULL REFERENCES consultation_question (id),
    number integer NOT NULL CHECK (number BETWEEN 1 AND 50),
    label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 200),
    UNIQUE (question_id, number)
);

-- Who took part in a version, and whether they let their name be published with their answers.
CREATE TABLE consultation_participant (
    consultation_id bigint NOT NULL REFERENCES consultation (id),
    account_id bigint NOT NULL REFERENCES account (id),
    show_name boolean NOT NULL DEFAULT false,
    first_answered_at timestamptz NOT NULL,
    last_answered_at timestamptz NOT NULL,
    PRIMARY KEY (consultation_id, account_id)
);

-- One current stance per participant and section; changing it overwrites (until closing).
CREATE TABLE consultation_stance (
    section_id bigint NOT NULL REFERENCES consultation_section (id),
    account_id bigint NOT NULL REFERENCES account (id),
    stance text NOT NULL CHECK (stance IN ('favor', 'neutral', 'contra')),
    reason text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (section_id, account_id)
);

-- One current answer per participant and question: chosen options for choice questions, text for free text.
CREATE TABLE consultation_answer (
    question_id bigint NOT NULL REFERENCES consultation_question (id),
    account_id bigint NOT NULL REFERENCES account (id),
    option_ids bigint[] NOT NULL DEFAULT '{}',
    text text NOT NULL DEFAULT '' CHECK (char_length(text) <= 5000),
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (question_id, account_id)
);

-- An organization's signed position: written by one of its members, shown only once an admin approved it.
CREATE TABLE consultation_position (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultation (id),
    organization_id bigint NOT NULL REFERENCES organization (id),
    source text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 20000),
    html text NOT NULL,
    submitted_by bigint NOT NULL REFERENCES account (id),
    submitted_at timestamptz NOT NULL,
    approved_by bigint REFERENCES account (id),
    approved_at timestamptz,
    UNIQUE (consultation_id, organization_id),
    CHECK ((approved_at IS NULL) = (approved_by IS NULL))
);

-- The council's answer, owed after closing: a general response and which changes it accepted.
CREATE TABLE consultation_council_answer (
    consultation_id bigint PRIMARY KEY REFERENCES consultation (id),
    general_source text NOT NULL CHECK (char_length(general_source) BETWEEN 1 AND 20000),
    general_html text NOT NULL,
    changes_source text NOT NULL DEFAULT '' CHECK (char_length(changes_source) <= 20000),
    changes_html text NOT NULL DEFAULT '',
    answered_by bigint NOT NULL REFERENCES account (id),
    answered_at timestamptz NOT NULL
);

-- The council's reply to the main points raised on each section.
CREATE TABLE consultation_section_reply (
    section_id bigint PRIMARY KEY REFERENCES consultation_section (id),
    source text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 20000),
    html text NOT NULL
);

-- Interim updates from officials ("we are reviewing the 240 comments"), newest first.
CREATE TABLE consultation_update (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultation (id),
    source text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 5000),
    html text NOT NULL,
    published_by bigint NOT NULL REFERENCES account (id),
    published_at timestamptz NOT NULL
);
CREATE INDEX consultation_update_idx ON consultation_update (consultation_id, published_at DESC);
