-- Members follow a person or an organization of another server (federation/follows.py): a subscription of the
-- new kind 'remote_actor' whose target_id is remote_actor.id. The node's one Follow of that actor stays in the
-- `following` table, as for a remote forum.
ALTER TABLE subscription DROP CONSTRAINT subscription_target_kind_check;
ALTER TABLE subscription ADD CONSTRAINT subscription_target_kind_check
    CHECK (target_kind IN ('thread', 'forum', 'organization', 'remote_actor'));

-- A post by a followed actor that has no copy here (a thread in a forum we do not mirror, a Mastodon status) is
-- told as a 'remote_post' notification: no thread or post of ours, only its title and its address on its server.
ALTER TABLE notification DROP CONSTRAINT notification_kind_check;
ALTER TABLE notification ADD CONSTRAINT notification_kind_check
    CHECK (kind IN ('reply', 'new_thread', 'remote_post'));
ALTER TABLE notification ALTER COLUMN thread_id DROP NOT NULL;
ALTER TABLE notification ALTER COLUMN post_id DROP NOT NULL;
ALTER TABLE notification ADD COLUMN title text;
ALTER TABLE notification ADD COLUMN url text;
ALTER TABLE notification ADD CONSTRAINT notification_remote_post_check CHECK (
    (kind = 'remote_post') = (thread_id IS NULL AND post_id IS NULL AND url IS NOT NULL AND title IS NOT NULL));
-- One notification per person and remote post, as UNIQUE (account_id, post_id) does for posts held here.
CREATE UNIQUE INDEX notification_remote_post_key ON notification (account_id, url) WHERE kind = 'remote_post';
