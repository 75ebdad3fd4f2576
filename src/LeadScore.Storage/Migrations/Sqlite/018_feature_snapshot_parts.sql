-- A stored feature set in parts: a value is capped at 1 GB (PostgreSQL's bytea, SQLite's default length limit), and a
-- training set of a million leads seen at several ages is about 700 MB. A snapshot written since this migration keeps
-- an empty data column and its bytes here, in order; one written before keeps them in feature_snapshots.data.
CREATE TABLE feature_snapshot_parts (
    name TEXT NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (name, part)
);
