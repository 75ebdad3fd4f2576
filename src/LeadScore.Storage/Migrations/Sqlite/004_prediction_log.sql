-- Every probability handed out or stored, for monitoring (drift against the model's reference, realized and estimated
-- performance). Features: the model's feature values, one float32 each in its feature order (null when not sampled).
CREATE TABLE prediction_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    predicted_at INTEGER NOT NULL,
    lead_id TEXT NULL,
    model_version TEXT NOT NULL,
    slot TEXT NOT NULL,
    probability REAL NOT NULL,
    grade TEXT NOT NULL,
    horizon_days REAL NULL,
    source TEXT NOT NULL,
    features BLOB NULL
);
-- Monitoring reads one model and slot window by window; retention deletes by time; erasure deletes by lead.
CREATE INDEX ix_prediction_log_model_time ON prediction_log (model_version, slot, predicted_at, id);
CREATE INDEX ix_prediction_log_time ON prediction_log (predicted_at);
CREATE INDEX ix_prediction_log_lead ON prediction_log (lead_id);

-- Alerts raised by monitoring, one per kind, model, slot and window.
CREATE TABLE monitoring_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    model_version TEXT NOT NULL,
    slot TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    raised_at INTEGER NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_monitoring_alerts_window ON monitoring_alerts (kind, model_version, slot, window_start);
CREATE INDEX ix_monitoring_alerts_raised ON monitoring_alerts (raised_at);
