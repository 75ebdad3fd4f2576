CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    attrs_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    profiling_opt_out INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE lead_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    replaced_at INTEGER NOT NULL
);
CREATE INDEX ix_lead_history_lead ON lead_history (lead_id, id);
CREATE TABLE activities (
    event_id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts INTEGER NOT NULL,
    url TEXT NULL,
    value REAL NULL,
    properties TEXT NULL
);
CREATE INDEX ix_activities_lead_ts ON activities (lead_id, ts, event_id);
CREATE TABLE enrichment (
    domain TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    attrs_hash TEXT NOT NULL,
    PRIMARY KEY (domain, as_of)
);
CREATE TABLE outcomes (
    lead_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (lead_id, at, kind)
);
CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    col TEXT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_quarantine_import ON quarantine (import_id);
CREATE TABLE feature_snapshots (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    as_of_rule TEXT NOT NULL,
    rows INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE models (
    version TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    card TEXT NOT NULL,
    auc REAL NULL,
    artifact BLOB NOT NULL
);
CREATE TABLE model_aliases (
    alias TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE alias_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alias TEXT NOT NULL,
    version TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE scores_latest (
    lead_id TEXT PRIMARY KEY,
    probability REAL NOT NULL,
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scored_at INTEGER NOT NULL,
    cause TEXT NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX ix_scores_latest_grade ON scores_latest (grade, probability DESC);
CREATE INDEX ix_scores_latest_prob ON scores_latest (probability DESC);
CREATE TABLE score_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    probability REAL NOT NULL,
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scored_at INTEGER NOT NULL,
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
    created_at INTEGER NOT NULL,
    revoked_at INTEGER NULL
);
