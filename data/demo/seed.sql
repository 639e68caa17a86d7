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

-- Usage over October and November 2026 (one event every so often, per tenant). The tenants differ
-- so that tables, charts and savings mean something: acme (enterprise) is large and steady with
-- long requests on gpt-4o and claude-sonnet-4; globex (pro) is growing (its events crowd into
-- November); initech (starter) is small, with short requests on the cheap models, and shrinking;
-- the three test tenants are small. Every third event is a Pinecone read; the others alternate
-- between the tenant's OpenAI and Anthropic model. Cost is tokens at each model's list price
-- (USD per million tokens), a Pinecone read a flat $0.004. data/demo/cost/make_exports.py
-- recomputes all of this to derive the providers' bills: change both together.
WITH profile (tenant, events, shape, in_base, in_span, out_base, out_span, openai_model, anthropic_model) AS (
    VALUES ('acme',       2400, 'steady',    400, 1600, 100, 600, 'gpt-4o',      'claude-sonnet-4'),
           ('globex',     1500, 'growing',   300, 1100, 100, 400, 'gpt-4o-mini', 'claude-sonnet-4'),
           ('initech',     700, 'shrinking', 150,  450,  50, 200, 'gpt-4o-mini', 'claude-haiku-3.5'),
           ('test-alpha',  120, 'steady',    150,  450,  50, 200, 'gpt-4o-mini', 'claude-haiku-3.5'),
           ('test-beta',   180, 'steady',    300, 1100, 100, 400, 'gpt-4o-mini', 'claude-sonnet-4'),
           ('test-gamma',  240, 'steady',    400, 1600, 100, 600, 'gpt-4o',      'claude-sonnet-4')
), price (model, input_per_m, output_per_m) AS (
    VALUES ('gpt-4o', 2.50, 10.00), ('gpt-4o-mini', 0.15, 0.60),
           ('claude-sonnet-4', 3.00, 15.00), ('claude-haiku-3.5', 0.80, 4.00)
), event AS (
    SELECT p.*, n,
           -- minutes after 2026-10-01 within the 87,840 of October and November
           CASE p.shape
             WHEN 'steady'  THEN 87840 * (n - 1) / p.events
             -- more events later: growing; more events early: shrinking
             WHEN 'growing' THEN 87839 - 87840::bigint * (p.events - n) * (p.events - n) / (p.events::bigint * p.events)
             ELSE 87840::bigint * (n - 1) * (n - 1) / (p.events::bigint * p.events)
           END AS minute,
           CASE n % 3 WHEN 0 THEN 'pinecone' WHEN 1 THEN 'openai' ELSE 'anthropic' END AS provider,
           p.in_base + (n * 37) % p.in_span AS input_tokens,
           p.out_base + (n * 53) % p.out_span AS output_tokens
      FROM profile p, generate_series(1, p.events) AS n
)
INSERT INTO usage_events (tenant_id, id, occurred_at, provider, model, input_tokens, output_tokens, cost_usd)
SELECT e.tenant, e.n,
       timestamptz '2026-10-01 00:00+00' + make_interval(mins => e.minute::int),
       e.provider,
       CASE e.provider WHEN 'openai' THEN e.openai_model WHEN 'anthropic' THEN e.anthropic_model ELSE 'serverless-read' END,
       e.input_tokens, e.output_tokens,
       CASE e.provider
         WHEN 'pinecone' THEN 0.004000
         ELSE round((e.input_tokens * pr.input_per_m + e.output_tokens * pr.output_per_m) / 1000000.0, 6)
       END
  FROM event e
  LEFT JOIN price pr ON pr.model = CASE e.provider WHEN 'openai' THEN e.openai_model ELSE e.anthropic_model END;
