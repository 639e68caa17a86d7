-- The reference M11.1 schema: a tenants registry and three tenant-scoped tables, each with
-- ENABLE and FORCE row level security and a policy on the tenant context that is set
-- transaction-locally: set_config('app.current_tenant', '<id>', true).
-- Runs as bridge_owner.

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    tier        text NOT NULL CHECK (tier IN ('starter', 'pro', 'enterprise')),
    is_test     boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    tenant_id   text NOT NULL REFERENCES tenants (id),
    id          bigint NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE chunks (
    tenant_id    text NOT NULL,
    document_id  bigint NOT NULL,
    ord          integer NOT NULL,
    content      text NOT NULL,
    vector_id    text NOT NULL,
    PRIMARY KEY (tenant_id, document_id, ord),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
);

CREATE TABLE usage_events (
    tenant_id      text NOT NULL REFERENCES tenants (id),
    id             bigint NOT NULL,
    occurred_at    timestamptz NOT NULL,
    provider       text NOT NULL,
    model          text NOT NULL,
    input_tokens   integer NOT NULL,
    output_tokens  integer NOT NULL,
    cost_usd       numeric(14, 6) NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- A ledger is read by time: a period's rows (the cost check, the capacity check's spend
-- window) and a tenant's latest row (its last activity).
CREATE INDEX usage_events_occurred_at ON usage_events (occurred_at);
CREATE INDEX usage_events_tenant_time ON usage_events (tenant_id, occurred_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['documents', 'chunks', 'usage_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO bridge_app
                     USING (tenant_id = current_setting('app.current_tenant', true))
                     WITH CHECK (tenant_id = current_setting('app.current_tenant', true))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bridge_app', t);
  END LOOP;
END $$;

-- The registry is readable by the application (it resolves tenants before setting context).
GRANT SELECT ON tenants TO bridge_app;
