CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

CREATE TEXT SEARCH CONFIGURATION public.es_unaccent (
    PARSER = pg_catalog."default" );

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR asciiword WITH spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR word WITH public.unaccent, spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR numword WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR email WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR url WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR host WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR sfloat WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR version WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR hword_numpart WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR hword_part WITH public.unaccent, spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR hword_asciipart WITH spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR numhword WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR asciihword WITH spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR hword WITH public.unaccent, spanish_stem;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR url_path WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR file WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR "float" WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR "int" WITH simple;

ALTER TEXT SEARCH CONFIGURATION public.es_unaccent
    ADD MAPPING FOR uint WITH simple;

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
    email_notifications boolean DEFAULT false NOT NULL,
    origin text,
    deleted_at timestamp with time zone,
    CONSTRAINT account_display_name_check CHECK ((char_length(display_name) <= 80)),
    CONSTRAINT account_email_check CHECK ((char_length(email) <= 254)),
    CONSTRAINT account_phone_check CHECK ((char_length(phone) <= 20)),
    CONSTRAINT account_roles_check CHECK ((roles <@ ARRAY['member'::text, 'moderator'::text, 'official'::text, 'operator'::text])),
    CONSTRAINT account_username_check CHECK (((username ~ '^[A-Za-z0-9._-]{3,30}$'::text) OR ((origin IS NOT NULL) AND (char_length(username) <= 300))))
);

ALTER TABLE public.account ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.actor_key (
    actor_kind text NOT NULL,
    actor_id bigint NOT NULL,
    rsa_private_pem text NOT NULL,
    ed25519_private_pem text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT actor_key_actor_kind_check CHECK ((actor_kind = ANY (ARRAY['person'::text, 'organization'::text, 'group'::text])))
);

CREATE TABLE public.anonymous_author (
    singleton boolean DEFAULT true NOT NULL,
    account_id bigint NOT NULL,
    CONSTRAINT anonymous_author_singleton_check CHECK (singleton)
);

CREATE TABLE public.api_token (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    name text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_token_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 80)))
);

ALTER TABLE public.api_token ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.api_token_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.appeal (
    id bigint NOT NULL,
    action_id bigint NOT NULL,
    appellant_id bigint NOT NULL,
    text text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    answer text,
    answered_by bigint,
    answered_at timestamp with time zone,
    outcome text,
    CONSTRAINT appeal_answer_check CHECK (((char_length(answer) >= 1) AND (char_length(answer) <= 1000))),
    CONSTRAINT appeal_check CHECK (((answered_at IS NULL) = (answered_by IS NULL))),
    CONSTRAINT appeal_check1 CHECK (((answered_at IS NULL) = (answer IS NULL))),
    CONSTRAINT appeal_check2 CHECK (((answered_at IS NULL) = (outcome IS NULL))),
    CONSTRAINT appeal_outcome_check CHECK ((outcome = ANY (ARRAY['upheld'::text, 'reversed'::text]))),
    CONSTRAINT appeal_text_check CHECK (((char_length(text) >= 1) AND (char_length(text) <= 2000)))
);

ALTER TABLE public.appeal ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.appeal_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.budget_ballot (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    process_id bigint NOT NULL,
    zone_id bigint NOT NULL,
    receipt_hash bytea NOT NULL,
    choices jsonb NOT NULL,
    CONSTRAINT budget_ballot_receipt_hash_check CHECK ((octet_length(receipt_hash) = 32))
);

CREATE TABLE public.budget_chain_entry (
    process_id bigint NOT NULL,
    "position" integer NOT NULL,
    zone_id bigint NOT NULL,
    receipt_hash bytea NOT NULL,
    choices jsonb NOT NULL,
    entry_hash bytea NOT NULL,
    CONSTRAINT budget_chain_entry_entry_hash_check CHECK ((octet_length(entry_hash) = 32))
);

CREATE TABLE public.budget_process (
    id bigint NOT NULL,
    slug text NOT NULL,
    title text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    total_amount numeric(14,2) NOT NULL,
    ballot_rule text NOT NULL,
    max_choices integer,
    min_share numeric(5,4),
    points integer,
    counting_rule text NOT NULL,
    min_votes integer,
    completion text DEFAULT 'none'::text NOT NULL,
    satisfaction text DEFAULT 'cost'::text NOT NULL,
    tie_break text DEFAULT 'equalshares'::text NOT NULL,
    tie_seed text NOT NULL,
    proposals_open_at timestamp with time zone NOT NULL,
    review_starts_at timestamp with time zone NOT NULL,
    voting_opens_at timestamp with time zone NOT NULL,
    voting_closes_at timestamp with time zone NOT NULL,
    implementation_starts_at timestamp with time zone,
    origin text DEFAULT 'local'::text NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    results_published_at timestamp with time zone,
    results_published_by bigint,
    chain_head text,
    chain_signature text,
    chain_public_key text,
    forum_id bigint,
    CONSTRAINT budget_process_ballot_rule_check CHECK ((ballot_rule = ANY (ARRAY['approval'::text, 'knapsack'::text, 'cumulative'::text, 'ordinal'::text]))),
    CONSTRAINT budget_process_check CHECK (((proposals_open_at <= review_starts_at) AND (review_starts_at <= voting_opens_at) AND (voting_opens_at < voting_closes_at))),
    CONSTRAINT budget_process_check1 CHECK (((implementation_starts_at IS NULL) OR (implementation_starts_at >= voting_closes_at))),
    CONSTRAINT budget_process_check2 CHECK (((ballot_rule <> 'cumulative'::text) OR (points IS NOT NULL))),
    CONSTRAINT budget_process_check3 CHECK (((ballot_rule <> ALL (ARRAY['approval'::text, 'ordinal'::text])) OR (max_choices IS NOT NULL))),
    CONSTRAINT budget_process_check4 CHECK (((counting_rule = 'greedy-threshold'::text) = (min_votes IS NOT NULL))),
    CONSTRAINT budget_process_check5 CHECK (((ballot_rule = 'cumulative'::text) OR (points IS NULL))),
    CONSTRAINT budget_process_check6 CHECK (((ballot_rule = 'knapsack'::text) OR (min_share IS NULL))),
    CONSTRAINT budget_process_check7 CHECK (((counting_rule = 'mes'::text) OR (completion = 'none'::text))),
    CONSTRAINT budget_process_check8 CHECK (((results_published_at IS NULL) = (chain_head IS NULL))),
    CONSTRAINT budget_process_check9 CHECK ((((chain_head IS NULL) = (chain_signature IS NULL)) AND ((chain_head IS NULL) = (chain_public_key IS NULL)))),
    CONSTRAINT budget_process_completion_check CHECK ((completion = ANY (ARRAY['none'::text, 'greedy'::text, 'add1'::text, 'add1-greedy'::text, 'add1-until-infeasible'::text]))),
    CONSTRAINT budget_process_counting_rule_check CHECK ((counting_rule = ANY (ARRAY['greedy'::text, 'greedy-threshold'::text, 'mes'::text]))),
    CONSTRAINT budget_process_description_check CHECK ((char_length(description) <= 20000)),
    CONSTRAINT budget_process_max_choices_check CHECK ((max_choices > 0)),
    CONSTRAINT budget_process_min_share_check CHECK (((min_share > (0)::numeric) AND (min_share <= (1)::numeric))),
    CONSTRAINT budget_process_min_votes_check CHECK ((min_votes > 0)),
    CONSTRAINT budget_process_origin_check CHECK ((origin = ANY (ARRAY['local'::text, 'imported'::text]))),
    CONSTRAINT budget_process_points_check CHECK ((points > 0)),
    CONSTRAINT budget_process_satisfaction_check CHECK ((satisfaction = ANY (ARRAY['cost'::text, 'cardinality'::text]))),
    CONSTRAINT budget_process_slug_check CHECK ((slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'::text)),
    CONSTRAINT budget_process_tie_break_check CHECK ((tie_break = ANY (ARRAY['id'::text, 'equalshares'::text]))),
    CONSTRAINT budget_process_tie_seed_check CHECK (((char_length(tie_seed) >= 8) AND (char_length(tie_seed) <= 64))),
    CONSTRAINT budget_process_title_check CHECK (((char_length(title) >= 3) AND (char_length(title) <= 200))),
    CONSTRAINT budget_process_total_amount_check CHECK ((total_amount > (0)::numeric))
);

ALTER TABLE public.budget_process ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.budget_process_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.budget_project (
    id bigint NOT NULL,
    process_id bigint NOT NULL,
    zone_id bigint NOT NULL,
    title text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    location text DEFAULT ''::text NOT NULL,
    estimated_cost numeric(14,2) NOT NULL,
    proposed_by bigint NOT NULL,
    as_organization_id bigint,
    created_at timestamp with time zone NOT NULL,
    feasible boolean,
    review_reason text,
    final_cost numeric(14,2),
    reviewed_by bigint,
    reviewed_at timestamp with time zone,
    thread_id bigint,
    external_id text,
    implementation_status text,
    implementation_note text DEFAULT ''::text NOT NULL,
    implementation_updated_at timestamp with time zone,
    CONSTRAINT budget_project_check CHECK (((feasible IS NULL) = (reviewed_at IS NULL))),
    CONSTRAINT budget_project_check1 CHECK (((feasible IS NOT TRUE) OR (final_cost IS NOT NULL))),
    CONSTRAINT budget_project_check2 CHECK (((implementation_status IS NULL) = (implementation_updated_at IS NULL))),
    CONSTRAINT budget_project_description_check CHECK ((char_length(description) <= 10000)),
    CONSTRAINT budget_project_estimated_cost_check CHECK ((estimated_cost >= (0)::numeric)),
    CONSTRAINT budget_project_external_id_check CHECK ((char_length(external_id) <= 64)),
    CONSTRAINT budget_project_final_cost_check CHECK ((final_cost >= (0)::numeric)),
    CONSTRAINT budget_project_implementation_note_check CHECK ((char_length(implementation_note) <= 5000)),
    CONSTRAINT budget_project_implementation_status_check CHECK ((implementation_status = ANY (ARRAY['planned'::text, 'in_progress'::text, 'done'::text, 'cancelled'::text]))),
    CONSTRAINT budget_project_location_check CHECK ((char_length(location) <= 300)),
    CONSTRAINT budget_project_review_reason_check CHECK ((char_length(review_reason) <= 5000)),
    CONSTRAINT budget_project_title_check CHECK (((char_length(title) >= 3) AND (char_length(title) <= 200)))
);

ALTER TABLE public.budget_project ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.budget_project_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.budget_result (
    process_id bigint NOT NULL,
    project_id bigint NOT NULL,
    zone_id bigint NOT NULL,
    selected boolean NOT NULL,
    pick_order integer,
    votes integer NOT NULL,
    explanation jsonb NOT NULL
);

CREATE TABLE public.budget_voter (
    process_id bigint NOT NULL,
    account_id bigint NOT NULL,
    zone_id bigint NOT NULL,
    channel text NOT NULL,
    roll_tag bytea NOT NULL,
    polling_table text,
    entered_by bigint,
    CONSTRAINT budget_voter_channel_check CHECK ((channel = ANY (ARRAY['online'::text, 'paper'::text]))),
    CONSTRAINT budget_voter_check CHECK (((channel = 'paper'::text) = ((entered_by IS NOT NULL) AND (polling_table IS NOT NULL)))),
    CONSTRAINT budget_voter_polling_table_check CHECK ((char_length(polling_table) <= 120)),
    CONSTRAINT budget_voter_roll_tag_check CHECK ((octet_length(roll_tag) = 32))
);

CREATE TABLE public.budget_zone (
    id bigint NOT NULL,
    process_id bigint NOT NULL,
    name text NOT NULL,
    amount numeric(14,2) NOT NULL,
    "position" integer NOT NULL,
    CONSTRAINT budget_zone_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT budget_zone_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 120)))
);

ALTER TABLE public.budget_zone ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.budget_zone_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.coalition (
    id bigint NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    purpose text NOT NULL,
    charter text NOT NULL,
    threshold text NOT NULL,
    founding_organization_id bigint,
    founding_remote_actor_id bigint,
    forum_id bigint,
    origin text,
    ap_id text,
    created_by bigint,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT coalition_charter_check CHECK (((char_length(charter) >= 10) AND (char_length(charter) <= 20000))),
    CONSTRAINT coalition_check CHECK (((slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'::text) OR ((ap_id IS NOT NULL) AND (char_length(slug) <= 300)))),
    CONSTRAINT coalition_check1 CHECK (((origin IS NULL) = (ap_id IS NULL))),
    CONSTRAINT coalition_check2 CHECK (((founding_organization_id IS NULL) <> (founding_remote_actor_id IS NULL))),
    CONSTRAINT coalition_check3 CHECK (((origin IS NOT NULL) OR ((founding_organization_id IS NOT NULL) AND (created_by IS NOT NULL)))),
    CONSTRAINT coalition_name_check CHECK (((char_length(name) >= 3) AND (char_length(name) <= 120))),
    CONSTRAINT coalition_purpose_check CHECK (((char_length(purpose) >= 10) AND (char_length(purpose) <= 2000))),
    CONSTRAINT coalition_threshold_check CHECK ((threshold = ANY (ARRAY['all'::text, 'majority'::text])))
);

CREATE TABLE public.coalition_endorsement (
    id bigint NOT NULL,
    coalition_id bigint NOT NULL,
    statement_id bigint NOT NULL,
    budget_project_id bigint,
    consultation_id bigint,
    target_url text,
    endorsed_by_member_id bigint,
    endorsed_by bigint,
    created_at timestamp with time zone NOT NULL,
    ap_id text,
    CONSTRAINT coalition_endorsement_check CHECK ((num_nonnulls(budget_project_id, consultation_id, target_url) = 1)),
    CONSTRAINT coalition_endorsement_target_url_check CHECK ((char_length(target_url) <= 2000))
);

ALTER TABLE public.coalition_endorsement ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.coalition_endorsement_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE public.coalition ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.coalition_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.coalition_member (
    id bigint NOT NULL,
    coalition_id bigint NOT NULL,
    organization_id bigint,
    remote_actor_id bigint,
    state text NOT NULL,
    invited_at timestamp with time zone NOT NULL,
    invited_by bigint,
    joined_at timestamp with time zone,
    answered_at timestamp with time zone,
    answered_by bigint,
    ended_at timestamp with time zone,
    ended_by bigint,
    acceptance jsonb,
    CONSTRAINT coalition_member_check CHECK (((organization_id IS NULL) <> (remote_actor_id IS NULL))),
    CONSTRAINT coalition_member_check1 CHECK (((state <> 'member'::text) OR (joined_at IS NOT NULL))),
    CONSTRAINT coalition_member_check2 CHECK (((state <> ALL (ARRAY['left'::text, 'removed'::text])) OR (ended_at IS NOT NULL))),
    CONSTRAINT coalition_member_state_check CHECK ((state = ANY (ARRAY['invited'::text, 'member'::text, 'declined'::text, 'left'::text, 'removed'::text])))
);

ALTER TABLE public.coalition_member ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.coalition_member_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.coalition_removal_vote (
    target_member_id bigint NOT NULL,
    voter_member_id bigint NOT NULL,
    voted_by bigint,
    voted_at timestamp with time zone NOT NULL,
    CONSTRAINT coalition_removal_vote_check CHECK ((target_member_id <> voter_member_id))
);

CREATE TABLE public.coalition_signature (
    statement_id bigint NOT NULL,
    member_id bigint NOT NULL,
    signed_by bigint,
    signed_at timestamp with time zone NOT NULL,
    proof jsonb NOT NULL
);

CREATE TABLE public.coalition_statement (
    id bigint NOT NULL,
    coalition_id bigint NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    drafted_by_member_id bigint,
    drafted_by bigint,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    document jsonb,
    published_at timestamp with time zone,
    ap_id text,
    CONSTRAINT coalition_statement_body_check CHECK (((char_length(body) >= 10) AND (char_length(body) <= 20000))),
    CONSTRAINT coalition_statement_check CHECK (((published_at IS NULL) OR (document IS NOT NULL))),
    CONSTRAINT coalition_statement_title_check CHECK (((char_length(title) >= 3) AND (char_length(title) <= 200)))
);

ALTER TABLE public.coalition_statement ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.coalition_statement_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation (
    id bigint NOT NULL,
    slug text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    previous_id bigint,
    superseded_at timestamp with time zone,
    title text NOT NULL,
    summary text NOT NULL,
    opens_at timestamp with time zone NOT NULL,
    closes_at timestamp with time zone NOT NULL,
    answer_due_at timestamp with time zone NOT NULL,
    audience text NOT NULL,
    ask_stances boolean DEFAULT true NOT NULL,
    forum_id bigint NOT NULL,
    published_by bigint NOT NULL,
    published_at timestamp with time zone NOT NULL,
    ap_id text,
    origin text,
    published_summary jsonb,
    counting text DEFAULT 'everyone'::text NOT NULL,
    CONSTRAINT consultation_audience_check CHECK ((audience = ANY (ARRAY['everyone'::text, 'verified_residents'::text, 'organizations'::text]))),
    CONSTRAINT consultation_check CHECK ((closes_at > opens_at)),
    CONSTRAINT consultation_check1 CHECK ((answer_due_at >= closes_at)),
    CONSTRAINT consultation_check2 CHECK (((version = 1) = (previous_id IS NULL))),
    CONSTRAINT consultation_check3 CHECK (((ap_id IS NULL) = (origin IS NULL))),
    CONSTRAINT consultation_counting_check CHECK ((counting = ANY (ARRAY['everyone'::text, 'residents'::text]))),
    CONSTRAINT consultation_slug_check CHECK (((slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'::text) OR ((ap_id IS NOT NULL) AND (char_length(slug) <= 300) AND (slug ~ '^[a-z0-9-]+@[a-z0-9.:-]+$'::text)))),
    CONSTRAINT consultation_summary_check CHECK (((char_length(summary) >= 1) AND (char_length(summary) <= 5000))),
    CONSTRAINT consultation_title_check CHECK (((char_length(title) >= 3) AND (char_length(title) <= 200))),
    CONSTRAINT consultation_version_check CHECK ((version >= 1))
);

CREATE TABLE public.consultation_answer (
    question_id bigint NOT NULL,
    account_id bigint NOT NULL,
    option_ids bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    text text DEFAULT ''::text NOT NULL,
    answered_at timestamp with time zone NOT NULL,
    CONSTRAINT consultation_answer_text_check CHECK ((char_length(text) <= 5000))
);

CREATE TABLE public.consultation_council_answer (
    consultation_id bigint NOT NULL,
    general_source text NOT NULL,
    general_html text NOT NULL,
    changes_source text DEFAULT ''::text NOT NULL,
    changes_html text DEFAULT ''::text NOT NULL,
    answered_by bigint NOT NULL,
    answered_at timestamp with time zone NOT NULL,
    CONSTRAINT consultation_council_answer_changes_source_check CHECK ((char_length(changes_source) <= 20000)),
    CONSTRAINT consultation_council_answer_general_source_check CHECK (((char_length(general_source) >= 1) AND (char_length(general_source) <= 20000)))
);

ALTER TABLE public.consultation ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation_option (
    id bigint NOT NULL,
    question_id bigint NOT NULL,
    number integer NOT NULL,
    label text NOT NULL,
    CONSTRAINT consultation_option_label_check CHECK (((char_length(label) >= 1) AND (char_length(label) <= 200))),
    CONSTRAINT consultation_option_number_check CHECK (((number >= 1) AND (number <= 50)))
);

ALTER TABLE public.consultation_option ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_option_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation_participant (
    consultation_id bigint NOT NULL,
    account_id bigint NOT NULL,
    show_name boolean DEFAULT false NOT NULL,
    first_answered_at timestamp with time zone NOT NULL,
    last_answered_at timestamp with time zone NOT NULL,
    refused_reason text,
    CONSTRAINT consultation_participant_refused_reason_check CHECK ((char_length(refused_reason) <= 1000))
);

CREATE TABLE public.consultation_position (
    id bigint NOT NULL,
    consultation_id bigint NOT NULL,
    organization_id bigint,
    source text NOT NULL,
    html text NOT NULL,
    submitted_by bigint NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    approved_by bigint,
    approved_at timestamp with time zone,
    remote_actor_id bigint,
    CONSTRAINT consultation_position_check CHECK (((approved_at IS NULL) = (approved_by IS NULL))),
    CONSTRAINT consultation_position_check1 CHECK ((num_nonnulls(organization_id, remote_actor_id) = 1)),
    CONSTRAINT consultation_position_source_check CHECK (((char_length(source) >= 1) AND (char_length(source) <= 20000)))
);

ALTER TABLE public.consultation_position ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_position_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation_question (
    id bigint NOT NULL,
    consultation_id bigint NOT NULL,
    number integer NOT NULL,
    kind text NOT NULL,
    prompt text NOT NULL,
    CONSTRAINT consultation_question_kind_check CHECK ((kind = ANY (ARRAY['single'::text, 'multiple'::text, 'text'::text]))),
    CONSTRAINT consultation_question_number_check CHECK (((number >= 1) AND (number <= 100))),
    CONSTRAINT consultation_question_prompt_check CHECK (((char_length(prompt) >= 3) AND (char_length(prompt) <= 500)))
);

ALTER TABLE public.consultation_question ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_question_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation_section (
    id bigint NOT NULL,
    consultation_id bigint NOT NULL,
    number integer NOT NULL,
    heading text NOT NULL,
    source text NOT NULL,
    html text NOT NULL,
    thread_id bigint,
    thread_ap_id text,
    CONSTRAINT consultation_section_check CHECK (((thread_id IS NOT NULL) OR (thread_ap_id IS NOT NULL))),
    CONSTRAINT consultation_section_heading_check CHECK (((char_length(heading) >= 1) AND (char_length(heading) <= 200))),
    CONSTRAINT consultation_section_number_check CHECK (((number >= 1) AND (number <= 200))),
    CONSTRAINT consultation_section_source_check CHECK (((char_length(source) >= 1) AND (char_length(source) <= 20000)))
);

ALTER TABLE public.consultation_section ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_section_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.consultation_section_reply (
    section_id bigint NOT NULL,
    source text NOT NULL,
    html text NOT NULL,
    CONSTRAINT consultation_section_reply_source_check CHECK (((char_length(source) >= 1) AND (char_length(source) <= 20000)))
);

CREATE TABLE public.consultation_stance (
    section_id bigint NOT NULL,
    account_id bigint NOT NULL,
    stance text NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    answered_at timestamp with time zone NOT NULL,
    CONSTRAINT consultation_stance_reason_check CHECK ((char_length(reason) <= 2000)),
    CONSTRAINT consultation_stance_stance_check CHECK ((stance = ANY (ARRAY['favor'::text, 'neutral'::text, 'contra'::text])))
);

CREATE TABLE public.consultation_update (
    id bigint NOT NULL,
    consultation_id bigint NOT NULL,
    source text NOT NULL,
    html text NOT NULL,
    published_by bigint NOT NULL,
    published_at timestamp with time zone NOT NULL,
    CONSTRAINT consultation_update_source_check CHECK (((char_length(source) >= 1) AND (char_length(source) <= 5000)))
);

ALTER TABLE public.consultation_update ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.consultation_update_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.delivery (
    id bigint NOT NULL,
    activity_id text NOT NULL,
    inbox text NOT NULL,
    host text NOT NULL,
    body bytea NOT NULL,
    signer_kind text NOT NULL,
    signer_id bigint NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    despite_block boolean DEFAULT false NOT NULL,
    CONSTRAINT delivery_signer_kind_check CHECK ((signer_kind = ANY (ARRAY['person'::text, 'organization'::text, 'group'::text, 'application'::text]))),
    CONSTRAINT delivery_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'failed'::text])))
);

ALTER TABLE public.delivery ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_id_seq
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

CREATE TABLE public.follower (
    actor_kind text NOT NULL,
    actor_id bigint NOT NULL,
    remote_actor_id bigint NOT NULL,
    follow_id text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT follower_actor_kind_check CHECK ((actor_kind = ANY (ARRAY['person'::text, 'organization'::text, 'group'::text, 'application'::text])))
);

CREATE TABLE public.following (
    remote_actor_id bigint NOT NULL,
    follow_id text NOT NULL,
    state text NOT NULL,
    requested_by bigint,
    created_at timestamp with time zone NOT NULL,
    answered_at timestamp with time zone,
    CONSTRAINT following_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'accepted'::text, 'rejected'::text])))
);

CREATE TABLE public.forum (
    id bigint NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    organization_id bigint,
    visibility text DEFAULT 'public'::text NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    thread_count integer DEFAULT 0 NOT NULL,
    ap_id text,
    origin text,
    listed boolean DEFAULT true NOT NULL,
    CONSTRAINT forum_check CHECK (((organization_id IS NOT NULL) OR (visibility = 'public'::text))),
    CONSTRAINT forum_description_check CHECK ((char_length(description) <= 2000)),
    CONSTRAINT forum_name_check CHECK (((char_length(name) >= 3) AND (char_length(name) <= 120))),
    CONSTRAINT forum_slug_check CHECK (((slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'::text) OR ((ap_id IS NOT NULL) AND (char_length(slug) <= 300)))),
    CONSTRAINT forum_visibility_check CHECK ((visibility = ANY (ARRAY['public'::text, 'members'::text])))
);

ALTER TABLE public.forum ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.forum_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.inbox_activity (
    id bigint NOT NULL,
    activity_id text NOT NULL,
    actor_uri text NOT NULL,
    type text NOT NULL,
    body jsonb NOT NULL,
    received_at timestamp with time zone NOT NULL,
    processed_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    error text,
    next_attempt_at timestamp with time zone
);

ALTER TABLE public.inbox_activity ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.inbox_activity_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.instance (
    host text NOT NULL,
    blocked_at timestamp with time zone,
    block_reason text DEFAULT ''::text NOT NULL,
    allowed_at timestamp with time zone,
    first_seen_at timestamp with time zone NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    failing_since timestamp with time zone,
    paused_until timestamp with time zone,
    unavailable boolean DEFAULT false NOT NULL,
    last_error text,
    last_delivery_at timestamp with time zone,
    delivered_count bigint DEFAULT 0 NOT NULL,
    rfc9421 boolean DEFAULT false NOT NULL
);

CREATE TABLE public.membership_request (
    organization_id bigint NOT NULL,
    account_id bigint NOT NULL,
    direction text NOT NULL,
    invited_by bigint,
    message text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT membership_request_check CHECK (((direction = 'invitation'::text) = (invited_by IS NOT NULL))),
    CONSTRAINT membership_request_direction_check CHECK ((direction = ANY (ARRAY['request'::text, 'invitation'::text]))),
    CONSTRAINT membership_request_message_check CHECK ((char_length(message) <= 1000))
);

CREATE TABLE public.moderation_action (
    id bigint NOT NULL,
    actor_id bigint NOT NULL,
    kind text NOT NULL,
    post_id bigint,
    thread_id bigint,
    account_id bigint,
    suspended_until timestamp with time zone,
    reason text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT moderation_action_check CHECK (((btrim(reason) <> ''::text) OR (kind = ANY (ARRAY['lock_thread'::text, 'unlock_thread'::text])))),
    CONSTRAINT moderation_action_check1 CHECK (((kind <> ALL (ARRAY['hide_post'::text, 'unhide_post'::text, 'dismiss_report'::text])) OR (post_id IS NOT NULL))),
    CONSTRAINT moderation_action_check2 CHECK (((kind <> ALL (ARRAY['lock_thread'::text, 'unlock_thread'::text])) OR (thread_id IS NOT NULL))),
    CONSTRAINT moderation_action_check3 CHECK (((kind <> ALL (ARRAY['suspend_account'::text, 'lift_suspension'::text])) OR (account_id IS NOT NULL))),
    CONSTRAINT moderation_action_check4 CHECK (((kind = 'suspend_account'::text) = (suspended_until IS NOT NULL))),
    CONSTRAINT moderation_action_kind_check CHECK ((kind = ANY (ARRAY['hide_post'::text, 'unhide_post'::text, 'lock_thread'::text, 'unlock_thread'::text, 'suspend_account'::text, 'lift_suspension'::text, 'dismiss_report'::text]))),
    CONSTRAINT moderation_action_reason_check CHECK ((char_length(reason) <= 1000))
);

ALTER TABLE public.moderation_action ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.moderation_action_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.node_backup (
    id bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    size_bytes bigint NOT NULL,
    file_name text NOT NULL,
    CONSTRAINT node_backup_check CHECK ((finished_at >= started_at)),
    CONSTRAINT node_backup_file_name_check CHECK ((length(file_name) <= 500)),
    CONSTRAINT node_backup_size_bytes_check CHECK ((size_bytes >= 0))
);

ALTER TABLE public.node_backup ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.node_backup_id_seq
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

CREATE TABLE public.notification (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    kind text NOT NULL,
    thread_id bigint,
    post_id bigint,
    actor_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    read_at timestamp with time zone,
    email_state text DEFAULT 'none'::text NOT NULL,
    email_attempts integer DEFAULT 0 NOT NULL,
    email_next_at timestamp with time zone,
    title text,
    url text,
    CONSTRAINT notification_email_state_check CHECK ((email_state = ANY (ARRAY['none'::text, 'pending'::text, 'sent'::text, 'failed'::text]))),
    CONSTRAINT notification_kind_check CHECK ((kind = ANY (ARRAY['reply'::text, 'new_thread'::text, 'remote_post'::text]))),
    CONSTRAINT notification_remote_post_check CHECK (((kind = 'remote_post'::text) = ((thread_id IS NULL) AND (post_id IS NULL) AND (url IS NOT NULL) AND (title IS NOT NULL))))
);

ALTER TABLE public.notification ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.official (
    account_id bigint NOT NULL,
    name text NOT NULL,
    office text NOT NULL,
    appointed_at timestamp with time zone NOT NULL,
    CONSTRAINT official_name_check CHECK (((char_length(name) >= 3) AND (char_length(name) <= 120))),
    CONSTRAINT official_office_check CHECK (((char_length(office) >= 3) AND (char_length(office) <= 160)))
);

CREATE TABLE public.organization (
    id bigint NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    zone text,
    description text DEFAULT ''::text NOT NULL,
    registry_number text,
    created_by bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    verified_at timestamp with time zone,
    verified_by bigint,
    CONSTRAINT organization_check CHECK (((verified_at IS NULL) = (verified_by IS NULL))),
    CONSTRAINT organization_description_check CHECK ((char_length(description) <= 5000)),
    CONSTRAINT organization_kind_check CHECK ((kind = ANY (ARRAY['comedor_popular'::text, 'vaso_de_leche'::text, 'junta_vecinal'::text, 'mujeres'::text, 'juventud'::text, 'mercado'::text, 'cultural'::text, 'otra'::text]))),
    CONSTRAINT organization_name_check CHECK (((char_length(name) >= 3) AND (char_length(name) <= 120))),
    CONSTRAINT organization_registry_number_check CHECK ((registry_number ~ '^[A-Za-z0-9./-]{1,30}$'::text)),
    CONSTRAINT organization_slug_check CHECK ((slug ~ '^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$'::text)),
    CONSTRAINT organization_zone_check CHECK ((char_length(zone) <= 80))
);

ALTER TABLE public.organization ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.organization_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.organization_member (
    organization_id bigint NOT NULL,
    account_id bigint NOT NULL,
    role text NOT NULL,
    listed boolean DEFAULT true NOT NULL,
    joined_at timestamp with time zone NOT NULL,
    CONSTRAINT organization_member_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'member'::text])))
);

CREATE TABLE public.outbox_cursor (
    singleton boolean DEFAULT true NOT NULL,
    last_event_id bigint NOT NULL,
    CONSTRAINT outbox_cursor_singleton_check CHECK (singleton)
);

CREATE TABLE public.post (
    id bigint NOT NULL,
    thread_id bigint NOT NULL,
    author_id bigint NOT NULL,
    as_organization_id bigint,
    reply_to_id bigint,
    source text NOT NULL,
    html text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    edited_at timestamp with time zone,
    deleted_at timestamp with time zone,
    hidden_at timestamp with time zone,
    hidden_reason text,
    search tsvector GENERATED ALWAYS AS (to_tsvector('public.es_unaccent'::regconfig, source)) STORED,
    ap_id text,
    ap_object jsonb,
    CONSTRAINT post_source_check CHECK ((char_length(source) <= 20000))
);

ALTER TABLE public.post ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.post_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.post_revision (
    post_id bigint NOT NULL,
    revision integer NOT NULL,
    source text NOT NULL,
    replaced_at timestamp with time zone NOT NULL
);

CREATE TABLE public.reaction (
    post_id bigint NOT NULL,
    account_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT reaction_kind_check CHECK ((kind = ANY (ARRAY['apoyo'::text, 'de_acuerdo'::text, 'en_desacuerdo'::text, 'gracias'::text, 'pregunta'::text])))
);

CREATE TABLE public.remote_actor (
    id bigint NOT NULL,
    uri text NOT NULL,
    host text NOT NULL,
    type text NOT NULL,
    preferred_username text,
    name text,
    inbox text NOT NULL,
    shared_inbox text,
    outbox text,
    key_id text,
    public_key_pem text,
    assertion_keys jsonb DEFAULT '[]'::jsonb NOT NULL,
    fetched_at timestamp with time zone NOT NULL,
    account_id bigint,
    forum_id bigint
);

ALTER TABLE public.remote_actor ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.remote_actor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.report (
    id bigint NOT NULL,
    post_id bigint NOT NULL,
    reporter_id bigint NOT NULL,
    reason text NOT NULL,
    text text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by bigint,
    resolution text,
    action_id bigint,
    CONSTRAINT report_check CHECK (((resolved_at IS NULL) = (resolved_by IS NULL))),
    CONSTRAINT report_check1 CHECK (((resolved_at IS NULL) = (resolution IS NULL))),
    CONSTRAINT report_check2 CHECK (((resolved_at IS NULL) = (action_id IS NULL))),
    CONSTRAINT report_reason_check CHECK ((reason = ANY (ARRAY['spam'::text, 'insult'::text, 'false_information'::text, 'off_topic'::text, 'other'::text]))),
    CONSTRAINT report_resolution_check CHECK ((resolution = ANY (ARRAY['hidden'::text, 'dismissed'::text]))),
    CONSTRAINT report_text_check CHECK ((char_length(text) <= 1000))
);

ALTER TABLE public.report ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.report_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.resident_verification (
    account_id bigint NOT NULL,
    verified_by bigint NOT NULL,
    verified_at timestamp with time zone NOT NULL,
    place text DEFAULT ''::text NOT NULL,
    CONSTRAINT resident_verification_place_check CHECK ((char_length(place) <= 120))
);

CREATE TABLE public.schema_migration (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.subscription (
    account_id bigint NOT NULL,
    target_kind text NOT NULL,
    target_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT subscription_target_kind_check CHECK ((target_kind = ANY (ARRAY['thread'::text, 'forum'::text, 'organization'::text, 'remote_actor'::text])))
);

CREATE TABLE public.thread (
    id bigint NOT NULL,
    forum_id bigint NOT NULL,
    title text NOT NULL,
    author_id bigint NOT NULL,
    as_organization_id bigint,
    created_at timestamp with time zone NOT NULL,
    last_post_at timestamp with time zone NOT NULL,
    post_count integer DEFAULT 0 NOT NULL,
    locked_at timestamp with time zone,
    locked_by bigint,
    ap_id text,
    CONSTRAINT thread_title_check CHECK (((char_length(title) >= 3) AND (char_length(title) <= 200)))
);

ALTER TABLE public.thread ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.thread_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.actor_key
    ADD CONSTRAINT actor_key_pkey PRIMARY KEY (actor_kind, actor_id);

ALTER TABLE ONLY public.anonymous_author
    ADD CONSTRAINT anonymous_author_account_id_key UNIQUE (account_id);

ALTER TABLE ONLY public.anonymous_author
    ADD CONSTRAINT anonymous_author_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY public.appeal
    ADD CONSTRAINT appeal_action_id_key UNIQUE (action_id);

ALTER TABLE ONLY public.appeal
    ADD CONSTRAINT appeal_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.budget_ballot
    ADD CONSTRAINT budget_ballot_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.budget_ballot
    ADD CONSTRAINT budget_ballot_receipt_hash_key UNIQUE (receipt_hash);

ALTER TABLE ONLY public.budget_chain_entry
    ADD CONSTRAINT budget_chain_entry_pkey PRIMARY KEY (process_id, "position");

ALTER TABLE ONLY public.budget_process
    ADD CONSTRAINT budget_process_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.budget_process
    ADD CONSTRAINT budget_process_slug_key UNIQUE (slug);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.budget_result
    ADD CONSTRAINT budget_result_pkey PRIMARY KEY (process_id, project_id);

ALTER TABLE ONLY public.budget_voter
    ADD CONSTRAINT budget_voter_pkey PRIMARY KEY (process_id, account_id);

ALTER TABLE ONLY public.budget_zone
    ADD CONSTRAINT budget_zone_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.budget_zone
    ADD CONSTRAINT budget_zone_process_id_name_key UNIQUE (process_id, name);

ALTER TABLE ONLY public.budget_zone
    ADD CONSTRAINT budget_zone_process_id_position_key UNIQUE (process_id, "position");

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_forum_id_key UNIQUE (forum_id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_coalition_id_organization_id_key UNIQUE (coalition_id, organization_id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_coalition_id_remote_actor_id_key UNIQUE (coalition_id, remote_actor_id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.coalition_removal_vote
    ADD CONSTRAINT coalition_removal_vote_pkey PRIMARY KEY (target_member_id, voter_member_id);

ALTER TABLE ONLY public.coalition_signature
    ADD CONSTRAINT coalition_signature_pkey PRIMARY KEY (statement_id, member_id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_slug_key UNIQUE (slug);

ALTER TABLE ONLY public.coalition_statement
    ADD CONSTRAINT coalition_statement_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.coalition_statement
    ADD CONSTRAINT coalition_statement_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation_answer
    ADD CONSTRAINT consultation_answer_pkey PRIMARY KEY (question_id, account_id);

ALTER TABLE ONLY public.consultation_council_answer
    ADD CONSTRAINT consultation_council_answer_pkey PRIMARY KEY (consultation_id);

ALTER TABLE ONLY public.consultation_option
    ADD CONSTRAINT consultation_option_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation_option
    ADD CONSTRAINT consultation_option_question_id_number_key UNIQUE (question_id, number);

ALTER TABLE ONLY public.consultation_participant
    ADD CONSTRAINT consultation_participant_pkey PRIMARY KEY (consultation_id, account_id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_consultation_id_organization_id_key UNIQUE (consultation_id, organization_id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_previous_id_key UNIQUE (previous_id);

ALTER TABLE ONLY public.consultation_question
    ADD CONSTRAINT consultation_question_consultation_id_number_key UNIQUE (consultation_id, number);

ALTER TABLE ONLY public.consultation_question
    ADD CONSTRAINT consultation_question_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation_section
    ADD CONSTRAINT consultation_section_consultation_id_number_key UNIQUE (consultation_id, number);

ALTER TABLE ONLY public.consultation_section
    ADD CONSTRAINT consultation_section_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.consultation_section_reply
    ADD CONSTRAINT consultation_section_reply_pkey PRIMARY KEY (section_id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_slug_version_key UNIQUE (slug, version);

ALTER TABLE ONLY public.consultation_stance
    ADD CONSTRAINT consultation_stance_pkey PRIMARY KEY (section_id, account_id);

ALTER TABLE ONLY public.consultation_update
    ADD CONSTRAINT consultation_update_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.delivery
    ADD CONSTRAINT delivery_activity_id_inbox_key UNIQUE (activity_id, inbox);

ALTER TABLE ONLY public.delivery
    ADD CONSTRAINT delivery_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.domain_event
    ADD CONSTRAINT domain_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.follower
    ADD CONSTRAINT follower_pkey PRIMARY KEY (actor_kind, actor_id, remote_actor_id);

ALTER TABLE ONLY public.following
    ADD CONSTRAINT following_follow_id_key UNIQUE (follow_id);

ALTER TABLE ONLY public.following
    ADD CONSTRAINT following_pkey PRIMARY KEY (remote_actor_id);

ALTER TABLE ONLY public.forum
    ADD CONSTRAINT forum_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.forum
    ADD CONSTRAINT forum_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.forum
    ADD CONSTRAINT forum_slug_key UNIQUE (slug);

ALTER TABLE ONLY public.inbox_activity
    ADD CONSTRAINT inbox_activity_activity_id_key UNIQUE (activity_id);

ALTER TABLE ONLY public.inbox_activity
    ADD CONSTRAINT inbox_activity_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.instance
    ADD CONSTRAINT instance_pkey PRIMARY KEY (host);

ALTER TABLE ONLY public.membership_request
    ADD CONSTRAINT membership_request_pkey PRIMARY KEY (organization_id, account_id);

ALTER TABLE ONLY public.moderation_action
    ADD CONSTRAINT moderation_action_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.node_backup
    ADD CONSTRAINT node_backup_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.node_key
    ADD CONSTRAINT node_key_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_account_id_post_id_key UNIQUE (account_id, post_id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.official
    ADD CONSTRAINT official_pkey PRIMARY KEY (account_id);

ALTER TABLE ONLY public.organization_member
    ADD CONSTRAINT organization_member_pkey PRIMARY KEY (organization_id, account_id);

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_slug_key UNIQUE (slug);

ALTER TABLE ONLY public.outbox_cursor
    ADD CONSTRAINT outbox_cursor_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.post_revision
    ADD CONSTRAINT post_revision_pkey PRIMARY KEY (post_id, revision);

ALTER TABLE ONLY public.reaction
    ADD CONSTRAINT reaction_pkey PRIMARY KEY (post_id, account_id, kind);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_account_id_key UNIQUE (account_id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_forum_id_key UNIQUE (forum_id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_uri_key UNIQUE (uri);

ALTER TABLE ONLY public.report
    ADD CONSTRAINT report_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.resident_verification
    ADD CONSTRAINT resident_verification_pkey PRIMARY KEY (account_id);

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.subscription
    ADD CONSTRAINT subscription_pkey PRIMARY KEY (target_kind, target_id, account_id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_ap_id_key UNIQUE (ap_id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX account_username_key ON public.account USING btree (lower(username));

CREATE INDEX api_token_account_idx ON public.api_token USING btree (account_id);

CREATE INDEX appeal_pending_idx ON public.appeal USING btree (id) WHERE (answered_at IS NULL);

CREATE INDEX budget_ballot_process_idx ON public.budget_ballot USING btree (process_id, zone_id);

CREATE INDEX budget_project_process_idx ON public.budget_project USING btree (process_id, zone_id, id);

CREATE INDEX coalition_endorsement_consultation_idx ON public.coalition_endorsement USING btree (consultation_id);

CREATE UNIQUE INDEX coalition_endorsement_consultation_key ON public.coalition_endorsement USING btree (coalition_id, consultation_id) WHERE (consultation_id IS NOT NULL);

CREATE INDEX coalition_endorsement_project_idx ON public.coalition_endorsement USING btree (budget_project_id);

CREATE UNIQUE INDEX coalition_endorsement_project_key ON public.coalition_endorsement USING btree (coalition_id, budget_project_id) WHERE (budget_project_id IS NOT NULL);

CREATE UNIQUE INDEX coalition_endorsement_url_key ON public.coalition_endorsement USING btree (coalition_id, target_url) WHERE (target_url IS NOT NULL);

CREATE INDEX coalition_member_organization_idx ON public.coalition_member USING btree (organization_id);

CREATE INDEX coalition_member_remote_idx ON public.coalition_member USING btree (remote_actor_id);

CREATE UNIQUE INDEX coalition_name_key ON public.coalition USING btree (lower(name)) WHERE (origin IS NULL);

CREATE INDEX coalition_statement_coalition_idx ON public.coalition_statement USING btree (coalition_id, id);

CREATE UNIQUE INDEX consultation_ap_id_key ON public.consultation USING btree (ap_id, version) WHERE (ap_id IS NOT NULL);

CREATE INDEX consultation_closing_idx ON public.consultation USING btree (closes_at DESC, id DESC) WHERE (superseded_at IS NULL);

CREATE UNIQUE INDEX consultation_current_key ON public.consultation USING btree (slug) WHERE (superseded_at IS NULL);

CREATE INDEX consultation_position_remote_actor_idx ON public.consultation_position USING btree (remote_actor_id) WHERE (remote_actor_id IS NOT NULL);

CREATE UNIQUE INDEX consultation_position_remote_key ON public.consultation_position USING btree (consultation_id, remote_actor_id) WHERE (remote_actor_id IS NOT NULL);

CREATE INDEX consultation_update_idx ON public.consultation_update USING btree (consultation_id, published_at DESC);

CREATE INDEX delivery_due_idx ON public.delivery USING btree (next_attempt_at) WHERE (state = 'pending'::text);

CREATE INDEX delivery_host_idx ON public.delivery USING btree (host, state);

CREATE INDEX forum_organization_idx ON public.forum USING btree (organization_id);

CREATE INDEX inbox_activity_pending_idx ON public.inbox_activity USING btree (id) WHERE (processed_at IS NULL);

CREATE INDEX inbox_activity_waiting_idx ON public.inbox_activity USING btree (next_attempt_at) WHERE ((processed_at IS NULL) AND (next_attempt_at IS NOT NULL));

CREATE INDEX instance_blocked_idx ON public.instance USING btree (host) WHERE (blocked_at IS NOT NULL);

CREATE INDEX membership_request_account_idx ON public.membership_request USING btree (account_id);

CREATE INDEX moderation_action_post_idx ON public.moderation_action USING btree (post_id, id) WHERE (post_id IS NOT NULL);

CREATE INDEX node_backup_finished_at ON public.node_backup USING btree (finished_at DESC);

CREATE INDEX notification_account_idx ON public.notification USING btree (account_id, id DESC);

CREATE INDEX notification_email_idx ON public.notification USING btree (email_next_at) WHERE (email_state = 'pending'::text);

CREATE UNIQUE INDEX notification_remote_post_key ON public.notification USING btree (account_id, url) WHERE (kind = 'remote_post'::text);

CREATE INDEX notification_unread_idx ON public.notification USING btree (account_id, id DESC) WHERE (read_at IS NULL);

CREATE INDEX organization_member_account_idx ON public.organization_member USING btree (account_id);

CREATE UNIQUE INDEX organization_name_key ON public.organization USING btree (lower(name));

CREATE INDEX post_search_idx ON public.post USING gin (search);

CREATE INDEX post_thread_idx ON public.post USING btree (thread_id, id);

CREATE INDEX remote_actor_key_idx ON public.remote_actor USING btree (key_id);

CREATE UNIQUE INDEX report_open_key ON public.report USING btree (post_id, reporter_id) WHERE (resolved_at IS NULL);

CREATE INDEX report_queue_idx ON public.report USING btree (id) WHERE (resolved_at IS NULL);

CREATE INDEX resident_verification_recent_idx ON public.resident_verification USING btree (verified_at DESC, account_id);

CREATE INDEX subscription_account_idx ON public.subscription USING btree (account_id);

CREATE INDEX thread_forum_activity_idx ON public.thread USING btree (forum_id, last_post_at DESC, id DESC);

ALTER TABLE ONLY public.anonymous_author
    ADD CONSTRAINT anonymous_author_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.appeal
    ADD CONSTRAINT appeal_action_id_fkey FOREIGN KEY (action_id) REFERENCES public.moderation_action(id);

ALTER TABLE ONLY public.appeal
    ADD CONSTRAINT appeal_answered_by_fkey FOREIGN KEY (answered_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.appeal
    ADD CONSTRAINT appeal_appellant_id_fkey FOREIGN KEY (appellant_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_ballot
    ADD CONSTRAINT budget_ballot_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.budget_ballot
    ADD CONSTRAINT budget_ballot_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES public.budget_zone(id);

ALTER TABLE ONLY public.budget_chain_entry
    ADD CONSTRAINT budget_chain_entry_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.budget_chain_entry
    ADD CONSTRAINT budget_chain_entry_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES public.budget_zone(id);

ALTER TABLE ONLY public.budget_process
    ADD CONSTRAINT budget_process_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_process
    ADD CONSTRAINT budget_process_forum_id_fkey FOREIGN KEY (forum_id) REFERENCES public.forum(id);

ALTER TABLE ONLY public.budget_process
    ADD CONSTRAINT budget_process_results_published_by_fkey FOREIGN KEY (results_published_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_as_organization_id_fkey FOREIGN KEY (as_organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_proposed_by_fkey FOREIGN KEY (proposed_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_reviewed_by_fkey FOREIGN KEY (reviewed_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES public.thread(id);

ALTER TABLE ONLY public.budget_project
    ADD CONSTRAINT budget_project_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES public.budget_zone(id);

ALTER TABLE ONLY public.budget_result
    ADD CONSTRAINT budget_result_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.budget_result
    ADD CONSTRAINT budget_result_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.budget_project(id);

ALTER TABLE ONLY public.budget_result
    ADD CONSTRAINT budget_result_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES public.budget_zone(id);

ALTER TABLE ONLY public.budget_voter
    ADD CONSTRAINT budget_voter_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_voter
    ADD CONSTRAINT budget_voter_entered_by_fkey FOREIGN KEY (entered_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.budget_voter
    ADD CONSTRAINT budget_voter_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.budget_voter
    ADD CONSTRAINT budget_voter_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES public.budget_zone(id);

ALTER TABLE ONLY public.budget_zone
    ADD CONSTRAINT budget_zone_process_id_fkey FOREIGN KEY (process_id) REFERENCES public.budget_process(id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_budget_project_id_fkey FOREIGN KEY (budget_project_id) REFERENCES public.budget_project(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_coalition_id_fkey FOREIGN KEY (coalition_id) REFERENCES public.coalition(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_endorsed_by_fkey FOREIGN KEY (endorsed_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_endorsed_by_member_id_fkey FOREIGN KEY (endorsed_by_member_id) REFERENCES public.coalition_member(id);

ALTER TABLE ONLY public.coalition_endorsement
    ADD CONSTRAINT coalition_endorsement_statement_id_fkey FOREIGN KEY (statement_id) REFERENCES public.coalition_statement(id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_forum_id_fkey FOREIGN KEY (forum_id) REFERENCES public.forum(id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_founding_organization_id_fkey FOREIGN KEY (founding_organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.coalition
    ADD CONSTRAINT coalition_founding_remote_actor_id_fkey FOREIGN KEY (founding_remote_actor_id) REFERENCES public.remote_actor(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_answered_by_fkey FOREIGN KEY (answered_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_coalition_id_fkey FOREIGN KEY (coalition_id) REFERENCES public.coalition(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_ended_by_fkey FOREIGN KEY (ended_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.coalition_member
    ADD CONSTRAINT coalition_member_remote_actor_id_fkey FOREIGN KEY (remote_actor_id) REFERENCES public.remote_actor(id);

ALTER TABLE ONLY public.coalition_removal_vote
    ADD CONSTRAINT coalition_removal_vote_target_member_id_fkey FOREIGN KEY (target_member_id) REFERENCES public.coalition_member(id);

ALTER TABLE ONLY public.coalition_removal_vote
    ADD CONSTRAINT coalition_removal_vote_voted_by_fkey FOREIGN KEY (voted_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_removal_vote
    ADD CONSTRAINT coalition_removal_vote_voter_member_id_fkey FOREIGN KEY (voter_member_id) REFERENCES public.coalition_member(id);

ALTER TABLE ONLY public.coalition_signature
    ADD CONSTRAINT coalition_signature_member_id_fkey FOREIGN KEY (member_id) REFERENCES public.coalition_member(id);

ALTER TABLE ONLY public.coalition_signature
    ADD CONSTRAINT coalition_signature_signed_by_fkey FOREIGN KEY (signed_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_signature
    ADD CONSTRAINT coalition_signature_statement_id_fkey FOREIGN KEY (statement_id) REFERENCES public.coalition_statement(id);

ALTER TABLE ONLY public.coalition_statement
    ADD CONSTRAINT coalition_statement_coalition_id_fkey FOREIGN KEY (coalition_id) REFERENCES public.coalition(id);

ALTER TABLE ONLY public.coalition_statement
    ADD CONSTRAINT coalition_statement_drafted_by_fkey FOREIGN KEY (drafted_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.coalition_statement
    ADD CONSTRAINT coalition_statement_drafted_by_member_id_fkey FOREIGN KEY (drafted_by_member_id) REFERENCES public.coalition_member(id);

ALTER TABLE ONLY public.consultation_answer
    ADD CONSTRAINT consultation_answer_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_answer
    ADD CONSTRAINT consultation_answer_question_id_fkey FOREIGN KEY (question_id) REFERENCES public.consultation_question(id);

ALTER TABLE ONLY public.consultation_council_answer
    ADD CONSTRAINT consultation_council_answer_answered_by_fkey FOREIGN KEY (answered_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_council_answer
    ADD CONSTRAINT consultation_council_answer_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_forum_id_fkey FOREIGN KEY (forum_id) REFERENCES public.forum(id);

ALTER TABLE ONLY public.consultation_option
    ADD CONSTRAINT consultation_option_question_id_fkey FOREIGN KEY (question_id) REFERENCES public.consultation_question(id);

ALTER TABLE ONLY public.consultation_participant
    ADD CONSTRAINT consultation_participant_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_participant
    ADD CONSTRAINT consultation_participant_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_approved_by_fkey FOREIGN KEY (approved_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_remote_actor_id_fkey FOREIGN KEY (remote_actor_id) REFERENCES public.remote_actor(id);

ALTER TABLE ONLY public.consultation_position
    ADD CONSTRAINT consultation_position_submitted_by_fkey FOREIGN KEY (submitted_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_previous_id_fkey FOREIGN KEY (previous_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation
    ADD CONSTRAINT consultation_published_by_fkey FOREIGN KEY (published_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_question
    ADD CONSTRAINT consultation_question_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation_section
    ADD CONSTRAINT consultation_section_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation_section_reply
    ADD CONSTRAINT consultation_section_reply_section_id_fkey FOREIGN KEY (section_id) REFERENCES public.consultation_section(id);

ALTER TABLE ONLY public.consultation_section
    ADD CONSTRAINT consultation_section_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES public.thread(id);

ALTER TABLE ONLY public.consultation_stance
    ADD CONSTRAINT consultation_stance_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.consultation_stance
    ADD CONSTRAINT consultation_stance_section_id_fkey FOREIGN KEY (section_id) REFERENCES public.consultation_section(id);

ALTER TABLE ONLY public.consultation_update
    ADD CONSTRAINT consultation_update_consultation_id_fkey FOREIGN KEY (consultation_id) REFERENCES public.consultation(id);

ALTER TABLE ONLY public.consultation_update
    ADD CONSTRAINT consultation_update_published_by_fkey FOREIGN KEY (published_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.delivery
    ADD CONSTRAINT delivery_host_fkey FOREIGN KEY (host) REFERENCES public.instance(host);

ALTER TABLE ONLY public.follower
    ADD CONSTRAINT follower_remote_actor_id_fkey FOREIGN KEY (remote_actor_id) REFERENCES public.remote_actor(id);

ALTER TABLE ONLY public.following
    ADD CONSTRAINT following_remote_actor_id_fkey FOREIGN KEY (remote_actor_id) REFERENCES public.remote_actor(id);

ALTER TABLE ONLY public.following
    ADD CONSTRAINT following_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.forum
    ADD CONSTRAINT forum_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.forum
    ADD CONSTRAINT forum_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.membership_request
    ADD CONSTRAINT membership_request_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.membership_request
    ADD CONSTRAINT membership_request_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.membership_request
    ADD CONSTRAINT membership_request_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.moderation_action
    ADD CONSTRAINT moderation_action_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.moderation_action
    ADD CONSTRAINT moderation_action_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.moderation_action
    ADD CONSTRAINT moderation_action_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.moderation_action
    ADD CONSTRAINT moderation_action_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES public.thread(id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES public.thread(id);

ALTER TABLE ONLY public.official
    ADD CONSTRAINT official_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.organization_member
    ADD CONSTRAINT organization_member_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.organization_member
    ADD CONSTRAINT organization_member_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.organization
    ADD CONSTRAINT organization_verified_by_fkey FOREIGN KEY (verified_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_as_organization_id_fkey FOREIGN KEY (as_organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_reply_to_id_fkey FOREIGN KEY (reply_to_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.post_revision
    ADD CONSTRAINT post_revision_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.post
    ADD CONSTRAINT post_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES public.thread(id);

ALTER TABLE ONLY public.reaction
    ADD CONSTRAINT reaction_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.reaction
    ADD CONSTRAINT reaction_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_forum_id_fkey FOREIGN KEY (forum_id) REFERENCES public.forum(id);

ALTER TABLE ONLY public.remote_actor
    ADD CONSTRAINT remote_actor_host_fkey FOREIGN KEY (host) REFERENCES public.instance(host);

ALTER TABLE ONLY public.report
    ADD CONSTRAINT report_action_id_fkey FOREIGN KEY (action_id) REFERENCES public.moderation_action(id);

ALTER TABLE ONLY public.report
    ADD CONSTRAINT report_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.post(id);

ALTER TABLE ONLY public.report
    ADD CONSTRAINT report_reporter_id_fkey FOREIGN KEY (reporter_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.report
    ADD CONSTRAINT report_resolved_by_fkey FOREIGN KEY (resolved_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.resident_verification
    ADD CONSTRAINT resident_verification_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.resident_verification
    ADD CONSTRAINT resident_verification_verified_by_fkey FOREIGN KEY (verified_by) REFERENCES public.account(id);

ALTER TABLE ONLY public.subscription
    ADD CONSTRAINT subscription_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_as_organization_id_fkey FOREIGN KEY (as_organization_id) REFERENCES public.organization(id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.account(id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_forum_id_fkey FOREIGN KEY (forum_id) REFERENCES public.forum(id);

ALTER TABLE ONLY public.thread
    ADD CONSTRAINT thread_locked_by_fkey FOREIGN KEY (locked_by) REFERENCES public.account(id);
