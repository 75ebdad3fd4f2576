-- Continuous learning: every evaluation of a candidate (gate, challenge, rollback check) with its figures and rule results,
-- and the lifecycle history (trainings, gate results, challenges, promotions, rollbacks) with reasons.
CREATE TABLE model_evaluations (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    candidate TEXT NOT NULL,
    champion TEXT NULL,
    passed INTEGER NOT NULL,
    rows_evaluated INTEGER NOT NULL,
    summary TEXT NOT NULL,
    figures TEXT NOT NULL,
    rules TEXT NOT NULL
);
CREATE INDEX ix_model_evaluations_candidate ON model_evaluations (candidate, at);
CREATE TABLE lifecycle_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    version TEXT NULL,
    previous TEXT NULL,
    reason TEXT NOT NULL,
    figures TEXT NULL,
    evaluation_id TEXT NULL
);
CREATE INDEX ix_lifecycle_events_at ON lifecycle_events (at, id);
