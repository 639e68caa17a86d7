-- Planted flaws for `--demo broken`, so each check has something real to catch.
-- Runs as the superuser after schema.sql and seed.sql.

-- tenants (#4): only two test tenants left, both on the starter tier.
UPDATE tenants SET is_test = false WHERE id = 'test-gamma';
UPDATE tenants SET tier = 'starter' WHERE id = 'test-beta';

-- rls (#1): usage_events is owned by the application role and not FORCEd, so the app
-- bypasses its policies and sees every tenant's usage.
ALTER TABLE usage_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_events OWNER TO bridge_app;

-- rls (#1): a reporting view created by the superuser without security_invoker, so it runs
-- with the superuser's rights and shows every tenant's documents.
CREATE VIEW document_titles AS SELECT tenant_id, id, title FROM documents;
GRANT SELECT ON document_titles TO bridge_app;

-- rls (#1): a policy on chunks that "helps" background jobs by failing open when no tenant
-- context is set.
DROP POLICY tenant_isolation ON chunks;
CREATE POLICY tenant_or_unset ON chunks TO bridge_app
    USING (current_setting('app.current_tenant', true) IS NULL
           OR tenant_id = current_setting('app.current_tenant', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant', true));

-- rls (#1): TRUNCATE ignores row level security.
GRANT TRUNCATE ON documents TO bridge_app;
-- capacity (#3): not SQL. The broken demo reads pinecone_stats_broken.json, where globex's
-- namespace is at 87% of its pro quota and namespace `hooli` belongs to no tenant.

-- cost (#2): a quarter of Anthropic's November spend logs were dropped, so the ledger
-- allocates ~27% less than Anthropic billed (over the 10% gate).
DELETE FROM usage_events
 WHERE provider = 'anthropic' AND occurred_at >= '2026-11-01' AND id % 4 = 0;
