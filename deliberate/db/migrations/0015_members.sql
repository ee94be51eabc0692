-- Members' data: a deleted account keeps its row, with every personal field cleared and an unusable password, so
-- its username stays reserved (links and federated ids never start pointing to someone else) and the moderation
-- log keeps its decisions. Posts a member chose to leave behind anonymously move to one shared author, created
-- the first time it is needed (so a fresh node still has no accounts until its first operator registers).
ALTER TABLE account ADD COLUMN deleted_at timestamptz;

CREATE TABLE anonymous_author (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    account_id bigint NOT NULL UNIQUE REFERENCES account (id)
);
