-- The principal that queued a job ("api:crm-key", "cli:alice"): a job's audit entries name it, not the worker that ran it.
ALTER TABLE jobs ADD COLUMN queued_by TEXT NULL;
