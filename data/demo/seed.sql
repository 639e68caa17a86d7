-- Sample data: three production tenants and three test tenants of different tiers, each with
-- documents, chunks and usage events. Runs as the superuser (before any policy applies).
INSERT INTO tenants (id, name, tier, is_test) VALUES
    ('acme',        'Acme Corp',            'enterprise', false),
    ('globex',      'Globex',               'pro',        false),
    ('initech',     'Initech',              'starter',    false),
    ('test-alpha',  'Test tenant (starter)', 'starter',   true),
    ('test-beta',   'Test tenant (pro)',     'pro',       true),
    ('test-gamma',  'Test tenant (enterprise)', 'enterprise', true);

INSERT INTO documents (tenant_id, id, title, body)
SELECT t.id, d, format('%s handbook part %s', t.name, d), repeat('policy text ', 20)
FROM tenants t, generate_series(1, CASE t.tier WHEN 'enterprise' THEN 12 WHEN 'pro' THEN 6 ELSE 3 END) AS d;

INSERT INTO chunks (tenant_id, document_id, ord, content, vector_id)
SELECT d.tenant_id, d.id, c, format('chunk %s of %s', c, d.title), format('%s-%s-%s', d.tenant_id, d.id, c)
FROM documents d, generate_series(1, 4) AS c;

-- Usage over October and November 2026 for three providers. Costs are deterministic.
INSERT INTO usage_events (tenant_id, id, occurred_at, provider, model, input_tokens, output_tokens, cost_usd)
SELECT t.id,
       n,
       timestamptz '2026-10-01 00:00+00' + (n * interval '61 minutes'),
       (ARRAY['openai', 'anthropic', 'pinecone'])[1 + n % 3],
       (ARRAY['gpt-4o-mini', 'claude-sonnet-4', 'serverless-read'])[1 + n % 3],
       400 + (n * 37) % 900,
       100 + (n * 53) % 400,
       round(((CASE t.tier WHEN 'enterprise' THEN 0.012 WHEN 'pro' THEN 0.006 ELSE 0.002 END)
              * (1 + (n % 7) / 10.0))::numeric, 6)
FROM tenants t, generate_series(1, 1400) AS n;
