-- How far a running job got, written in the same transaction as the work it covers (a re-scoring range: the last lead
-- id whose score is saved, and how many), so an instance that takes the job over after a lease expired resumes there.
ALTER TABLE jobs ADD COLUMN checkpoint TEXT NULL;
