-- Activities partitioned by month of their event time (UTC), so retention drops whole months instead of deleting rows.
-- A unique key of a partitioned table must hold the partition key, so one row per event id is kept by a small
-- unpartitioned registry, activity_ids (event id -> where the event's row is: lead id and time). The partitions' key is
-- (lead_id, ts, event_id): the index a lead's history, the training-set streams and the range re-score already read.
-- Monthly partitions are named activities_pYYYYMM and hold [first of the month, first of the next) in Unix ms;
-- activities_default takes rows of months without a partition until the partition upkeep moves them out.
-- Existing rows are moved in place: at tens of millions of rows this is a long step, run it with ingestion stopped.

ALTER TABLE activities RENAME TO activities_014;
ALTER TABLE activities_014 RENAME CONSTRAINT activities_pkey TO activities_014_pkey;
DROP INDEX ix_activities_lead_ts;
DROP INDEX ix_activities_ts;

CREATE TABLE activities (
    event_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts BIGINT NOT NULL,
    url TEXT NULL,
    value DOUBLE PRECISION NULL,
    properties TEXT NULL,
    CONSTRAINT activities_pkey PRIMARY KEY (lead_id, ts, event_id)
) PARTITION BY RANGE (ts);
CREATE TABLE activities_default PARTITION OF activities DEFAULT;
-- DEFAULT alone is indexed by time: moving one month out of it, and checking it holds none when a month is attached.
CREATE INDEX ix_activities_default_ts ON activities_default (ts);

-- One partition per month that holds rows today (the upkeep creates the coming months).
DO $$
DECLARE
    m TIMESTAMP;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', TIMESTAMP 'epoch' + ts * INTERVAL '1 millisecond') FROM activities_014 ORDER BY 1
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF activities FOR VALUES FROM (%s) TO (%s)',
            'activities_p' || to_char(m, 'YYYYMM'),
            (extract(epoch FROM m) * 1000)::BIGINT,
            (extract(epoch FROM m + INTERVAL '1 month') * 1000)::BIGINT);
    END LOOP;
END $$;

INSERT INTO activities (event_id, lead_id, type, ts, url, value, properties)
SELECT event_id, lead_id, type, ts, url, value, properties FROM activities_014;

-- No index on lead_id: erasure finds a lead's registry rows through its activities (the partitions' key), and
-- retention through the rows of the months it drops; an index would cost every import a third index insert.
CREATE TABLE activity_ids (
    event_id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL,
    ts BIGINT NOT NULL
);
INSERT INTO activity_ids (event_id, lead_id, ts) SELECT event_id, lead_id, ts FROM activities_014;

DROP TABLE activities_014;
ANALYZE activities;
ANALYZE activity_ids;
