-- Forums: node-wide categories and organization forums, threads, posts with their edit history, reactions.

-- Spanish full-text search that ignores accents, so "participacion" finds "participación". unaccent is a trusted
-- extension: the database owner may install it without superuser rights.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION es_unaccent (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION es_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;

CREATE TABLE forum (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 3 AND 120),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- NULL: a node-wide category created by an operator; otherwise the organization that owns the forum.
    organization_id bigint REFERENCES organization (id),
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members')),
    created_by bigint NOT NULL REFERENCES account (id),
    created_at timestamptz NOT NULL,
    CHECK (organization_id IS NOT NULL OR visibility = 'public')
);
CREATE INDEX forum_organization_idx ON forum (organization_id);

CREATE TABLE thread (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    forum_id bigint NOT NULL REFERENCES forum (id),
    title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    author_id bigint NOT NULL REFERENCES account (id),
    -- Set when the thread was started in the organization's name; author_id is then the member who did it.
    as_organization_id bigint REFERENCES organization (id),
    created_at timestamptz NOT NULL,
    last_post_at timestamptz NOT NULL,
    post_count integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    locked_by bigint REFERENCES account (id)
);
-- The forum index: most recently active first, keyset-paginated on (last_post_at, id).
CREATE INDEX thread_forum_activity_idx ON thread (forum_id, last_post_at DESC, id DESC);

CREATE TABLE post (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id bigint NOT NULL REFERENCES thread (id),
    author_id bigint NOT NULL REFERENCES account (id),
    as_organization_id bigint REFERENCES organization (id),
    reply_to_id bigint REFERENCES post (id),
    source text NOT NULL CHECK (char_length(source) <= 20000),
    html text NOT NULL,
    created_at timestamptz NOT NULL,
    edited_at timestamptz,
    deleted_at timestamptz,
    hidden_at timestamptz,
    hidden_reason text,
    search tsvector GENERATED ALWAYS AS (to_tsvector('es_unaccent'::regconfig, source)) STORED
);
-- A thread page: posts in order, keyset-paginated on id.
CREATE INDEX post_thread_idx ON post (thread_id, id);
CREATE INDEX post_search_idx ON post USING gin (search);

-- Every earlier text of an edited post, shown as its visible history.
CREATE TABLE post_revision (
    post_id bigint NOT NULL REFERENCES post (id),
    revision integer NOT NULL,
    source text NOT NULL,
    replaced_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, revision)
);

CREATE TABLE reaction (
    post_id bigint NOT NULL REFERENCES post (id),
    account_id bigint NOT NULL REFERENCES account (id),
    kind text NOT NULL CHECK (kind IN ('apoyo', 'de_acuerdo', 'en_desacuerdo', 'gracias', 'pregunta')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, account_id, kind)
);
