-- Seeds one test tenant's data end to end. `bridge tenants provision --seed-sql` runs it once
-- per new tenant, as the admin connection, with the tenant context set transaction-locally, so
-- it reads the tenant id from current_setting('app.current_tenant').
INSERT INTO documents (tenant_id, id, title, body)
SELECT current_setting('app.current_tenant'), d, format('seed document %s', d), 'seeded by bridge'
FROM generate_series(1, 2) AS d;

INSERT INTO chunks (tenant_id, document_id, ord, content, vector_id)
SELECT current_setting('app.current_tenant'), d, 1, 'seed chunk', format('%s-%s-1', current_setting('app.current_tenant'), d)
FROM generate_series(1, 2) AS d;

INSERT INTO usage_events (tenant_id, id, occurred_at, provider, model, input_tokens, output_tokens, cost_usd)
VALUES (current_setting('app.current_tenant'), 1, now(), 'openai', 'gpt-4o-mini', 10, 10, 0.000010);
