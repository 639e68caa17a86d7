-- Planted flaws for `--demo broken`, so each check has something real to catch.
-- Runs as the superuser after schema.sql and seed.sql.

-- tenants (#4): only two test tenants left, both on the starter tier.
UPDATE tenants SET is_test = false WHERE id = 'test-gamma';
UPDATE tenants SET tier = 'starter' WHERE id = 'test-beta';

-- rls (#1): usage_events is owned by the application role and not FORCEd, so the app
-- bypasses its policies and sees every tenant's usage.
ALTER TABLE usage_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_events OWNER TO bridge_app;

-- cost (#2): a quarter of Anthropic's November spend logs were dropped, so the ledger
-- allocates ~27% less than Anthropic billed (over the 10% gate).
DELETE FROM usage_events
 WHERE provider = 'anthropic' AND occurred_at >= '2026-11-01' AND id % 4 = 0;
