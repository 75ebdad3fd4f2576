-- Each scored lead's status (open, won, lost) beside its latest score, so the open-leads list walks a partial index
-- in score order and stops after the page, instead of probing outcomes for every closed lead among the best scores.
-- Kept by the store: written with each score and recomputed for the leads an outcome import touches. The rule is the
-- one every listing uses: the latest outcome decides; on a tie, reopened wins.
ALTER TABLE scores_latest ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
UPDATE scores_latest SET status = CASE (SELECT o.kind FROM outcomes o WHERE o.lead_id = scores_latest.lead_id
        ORDER BY o.at DESC, CASE o.kind WHEN 'reopened' THEN 0 ELSE 1 END, o.kind LIMIT 1)
    WHEN 'converted' THEN 'won' WHEN 'lost' THEN 'lost' ELSE 'open' END;
CREATE INDEX ix_scores_latest_open_grade ON scores_latest (grade, probability DESC, lead_id) WHERE status = 'open';
CREATE INDEX ix_scores_latest_open ON scores_latest (probability DESC, lead_id) WHERE status = 'open';
