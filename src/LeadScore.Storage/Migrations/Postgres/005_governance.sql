-- The append-only audit log: sequence without gaps, each entry hashed with the previous entry's hash.
-- Lead targets are keyed hashes of the id, never the id, since the log is never erased.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ix_audit_log_target ON audit_log (target_kind, target_id, seq);
CREATE INDEX ix_audit_log_action ON audit_log (action, seq);
CREATE INDEX ix_audit_log_at ON audit_log (at);

-- Erased leads, as keyed hashes of their ids: a re-import of the same file does not bring them back unless asked.
CREATE TABLE erasure_tombstones (
    id_hash TEXT PRIMARY KEY,
    erased_at BIGINT NOT NULL
);

-- Which model versions were trained with which lead (export and erasure name them; erasure removes the rows).
CREATE TABLE model_training_leads (
    lead_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (lead_id, model_version)
);

-- Retention deletes by time.
CREATE INDEX ix_activities_ts ON activities (ts);
CREATE INDEX ix_activity_history_ts ON activity_history (ts);
CREATE INDEX ix_score_history_scored ON score_history (scored_at);
CREATE INDEX ix_leads_opt_out ON leads (profiling_opt_out) WHERE profiling_opt_out <> 0;
