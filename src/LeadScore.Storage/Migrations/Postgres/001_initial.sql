CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    attributes TEXT NOT NULL,
    attrs_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    profiling_opt_out BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE lead_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attributes TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX ix_lead_history_lead ON lead_history (lead_id, id);
CREATE TABLE activities (
    event_id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts BIGINT NOT NULL,
    url TEXT NULL,
    value DOUBLE PRECISION NULL,
    properties TEXT NULL
);
CREATE INDEX ix_activities_lead_ts ON activities (lead_id, ts, event_id);
CREATE TABLE enrichment (
    domain TEXT NOT NULL,
    as_of BIGINT NOT NULL,
    attributes TEXT NOT NULL,
    attrs_hash TEXT NOT NULL,
    PRIMARY KEY (domain, as_of)
);
CREATE TABLE outcomes (
    lead_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (lead_id, at, kind)
);
CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL
);
CREATE TABLE quarantine (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    line BIGINT NOT NULL,
    col TEXT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    resolved BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ix_quarantine_import ON quarantine (import_id);
CREATE TABLE feature_snapshots (
    name TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    as_of_rule TEXT NOT NULL,
    rows BIGINT NOT NULL,
    data BYTEA NOT NULL
);
CREATE TABLE models (
    version TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    algorithm TEXT NOT NULL,
    card TEXT NOT NULL,
    auc DOUBLE PRECISION NULL,
    artifact BYTEA NOT NULL
);
CREATE TABLE model_aliases (
    alias TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE alias_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alias TEXT NOT NULL,
    version TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
CREATE TABLE scores_latest (
    lead_id TEXT PRIMARY KEY,
    probability DOUBLE PRECISION NOT NULL,
    score BIGINT NOT NULL,
    grade TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scored_at BIGINT NOT NULL,
    cause TEXT NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX ix_scores_latest_grade ON scores_latest (grade, probability DESC);
CREATE INDEX ix_scores_latest_prob ON scores_latest (probability DESC);
CREATE TABLE score_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    score BIGINT NOT NULL,
    grade TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scored_at BIGINT NOT NULL,
    cause TEXT NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX ix_score_history_lead ON score_history (lead_id, scored_at);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NULL
);
