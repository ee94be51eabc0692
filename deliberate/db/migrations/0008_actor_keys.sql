-- Signing keys of the node's actors: members (person), organizations, forums (group). Made on first need, since
-- most accounts never federate and an RSA key costs tens of milliseconds to generate. The node's own keys stay in
-- node_key.

CREATE TABLE actor_key (
    actor_kind text NOT NULL CHECK (actor_kind IN ('person', 'organization', 'group')),
    actor_id bigint NOT NULL,
    rsa_private_pem text NOT NULL,
    ed25519_private_pem text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (actor_kind, actor_id)
);
