-- Jobs claimed with a lease (several instances, crash recovery by expiry instead of "mark running failed at start").
ALTER TABLE jobs ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE jobs ADD COLUMN lease_expires_at BIGINT NULL;
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ix_jobs_status_created ON jobs (status, created_at, id);

-- Named leases for work only one instance may do (the leader's scheduled jobs).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Settings every instance shares, versioned so instances can poll for a change.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The lead schema used feature_snapshots as a key-value store; it is a setting.
INSERT INTO settings (name, value, version, updated_at)
SELECT name, convert_from(data, 'UTF8'), 1, created_at FROM feature_snapshots WHERE name = 'ingestion:lead-schema';
DELETE FROM feature_snapshots WHERE name = 'ingestion:lead-schema';

-- Erasure finds a lead's quarantined rows by this column (filled when the importer knew the lead id).
ALTER TABLE quarantine ADD COLUMN lead_id TEXT NULL;
CREATE INDEX ix_quarantine_lead ON quarantine (lead_id);
CREATE INDEX ix_quarantine_created ON quarantine (created_at);

-- Previous versions of corrected activities (same event id, other content).
CREATE TABLE activity_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts BIGINT NOT NULL,
    url TEXT NULL,
    value DOUBLE PRECISION NULL,
    properties TEXT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX ix_activity_history_event ON activity_history (event_id, id);
CREATE INDEX ix_activity_history_lead ON activity_history (lead_id);

-- Imports record their progress per batch; rows from before this migration were written once, at the end.
ALTER TABLE imports ADD COLUMN status TEXT NOT NULL DEFAULT 'completed';

-- A deleted webhook keeps its delivery log, not its signing secret.
UPDATE webhooks SET secret = '' WHERE deleted_at IS NOT NULL;
