-- The dashboard's company search: any part of the company name in any case (ILIKE '%term%'), through a trigram index
-- (was a scan of every lead's attributes). pg_trgm ships with PostgreSQL's contrib (Debian's postgresql package) and is a
-- trusted extension: the database's owner may create it. Where it is not installed the migration still applies, without
-- the index: the search then scans, as before (docs/dashboard.md).
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXECUTE 'CREATE INDEX ix_leads_company_trgm ON leads USING gin ((attributes::jsonb ->> ''company'') gin_trgm_ops)';
EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available (%): the company search scans the leads', SQLERRM;
END
$$;
