CREATE TABLE public.account (
    id bigint NOT NULL,
    username text NOT NULL,
    display_name text,
    email text,
    phone text,
    password_hash text NOT NULL,
    roles text[] DEFAULT ARRAY['member'::text] NOT NULL,
    created_at timestamp with time zone NOT NULL,
    password_changed_at timestamp with time zone NOT NULL,
    suspended_until timestamp with time zone,
    CONSTRAINT account_display_name_check CHECK ((char_length(display_name) <= 80)),
    CONSTRAINT account_email_check CHECK ((char_length(email) <= 254)),
    CONSTRAINT account_phone_check CHECK ((char_length(phone) <= 20)),
    CONSTRAINT account_roles_check CHECK ((roles <@ ARRAY['member'::text, 'moderator'::text, 'official'::text, 'operator'::text])),
    CONSTRAINT account_username_check CHECK ((username ~ '^[A-Za-z0-9._-]{3,30}$'::text))
);

ALTER TABLE public.account ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.domain_event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE public.domain_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.domain_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.node_key (
    id smallint DEFAULT 1 NOT NULL,
    rsa_private_pem text NOT NULL,
    ed25519_private_pem text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT node_key_id_check CHECK ((id = 1))
);

CREATE TABLE public.schema_migration (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.domain_event
    ADD CONSTRAINT domain_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.node_key
    ADD CONSTRAINT node_key_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (version);

CREATE UNIQUE INDEX account_username_key ON public.account USING btree (lower(username));
