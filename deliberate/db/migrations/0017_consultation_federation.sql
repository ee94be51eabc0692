-- Consultations across district nodes, and who counts in the summary.
--
-- A consultation of another node is kept here as a copy (ap_id = its id on its home node, origin = that host, slug
-- "<slug>@<host>"), published by the shadow account of the official who wrote it, its comments in the mirrored
-- forum of its Group. Members here answer it on this node; their answers travel to the home node, which alone
-- counts them: the copy shows the summary the home node publishes (published_summary), never its own count.

ALTER TABLE consultation
    ADD COLUMN ap_id text UNIQUE,
    ADD COLUMN origin text,
    ADD COLUMN published_summary jsonb,
    -- 'everyone': every participant's stances count; 'residents': only this district's verified residents'.
    ADD COLUMN counting text NOT NULL DEFAULT 'everyone' CHECK (counting IN ('everyone', 'residents')),
    ADD CHECK ((ap_id IS NULL) = (origin IS NULL)),
    DROP CONSTRAINT consultation_slug_check,
    ADD CONSTRAINT consultation_slug_check CHECK (
        slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'
        OR (ap_id IS NOT NULL AND char_length(slug) <= 300 AND slug ~ '^[a-z0-9-]+@[a-z0-9.:-]+$'));
-- A version of a copy is only the home node's version: ap_id is unique per version, not per slug.
ALTER TABLE consultation DROP CONSTRAINT consultation_ap_id_key;
CREATE UNIQUE INDEX consultation_ap_id_key ON consultation (ap_id, version) WHERE ap_id IS NOT NULL;

-- A copy's section is commented in the home node's thread; the mirrored thread here, once it has arrived, is found
-- by that thread's id.
ALTER TABLE consultation_section
    ALTER COLUMN thread_id DROP NOT NULL,
    ADD COLUMN thread_ap_id text,
    ADD CHECK (thread_id IS NOT NULL OR thread_ap_id IS NOT NULL);

-- On the node of a member who answered another node's consultation: why that node refused her last answers, if it
-- did (shown to her; cleared when she answers again).
ALTER TABLE consultation_participant ADD COLUMN refused_reason text CHECK (char_length(refused_reason) <= 1000);

-- An organization of another district puts forward its position from its own node, signed with its key there: kept
-- here as from its remote actor (approved as it arrives: its node had one of its admins approve it).
ALTER TABLE consultation_position
    ALTER COLUMN organization_id DROP NOT NULL,
    ADD COLUMN remote_actor_id bigint REFERENCES remote_actor (id),
    ADD CHECK (num_nonnulls(organization_id, remote_actor_id) = 1);
CREATE UNIQUE INDEX consultation_position_remote_key ON consultation_position (consultation_id, remote_actor_id)
    WHERE remote_actor_id IS NOT NULL;
CREATE INDEX consultation_position_remote_actor_idx ON consultation_position (remote_actor_id)
    WHERE remote_actor_id IS NOT NULL;
