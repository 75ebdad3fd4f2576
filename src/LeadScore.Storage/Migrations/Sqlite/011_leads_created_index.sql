-- The dashboard's leads page sorted by creation: walked in index order and stopped after the page (was a full sort of
-- every lead, 6 s at 1,000,000 leads on SQLite).
CREATE INDEX ix_leads_created ON leads (created_at, id);
