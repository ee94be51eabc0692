-- Operations: one row per completed `deliberate backup`, so the operators' page and /metrics can show the age of
-- the last backup. Kept in the database rather than as a file in the data directory: in production the database is
-- external and shared by several web and worker processes, possibly on several machines, and the backup may run on
-- another machine than the page that shows it; the database is the one place they all see.
CREATE TABLE node_backup (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    file_name text NOT NULL CHECK (length(file_name) <= 500),
    CHECK (finished_at >= started_at)
);

CREATE INDEX node_backup_finished_at ON node_backup (finished_at DESC);
