"""Generates the benchmark ledger (CSV and Parquet) and the matching invoice with DuckDB.

10,000,000 rows, 1,000 tenants, 3 providers (one model each), October and November 2026 (UTC).
Costs are deterministic. The invoice bills each provider-month its allocated total times a small
factor (+2%, -3%, +1%...), so every engine must report the same six variances.
"""
import sys, duckdb

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
out = sys.argv[2] if len(sys.argv) > 2 else "data"
con = duckdb.connect()
con.execute(f"""
CREATE TABLE ledger AS
SELECT printf('tenant-%04d', (i * 7919) % 1000) AS tenant_id,
       ['openai', 'anthropic', 'pinecone'][1 + i % 3] AS provider,
       ['gpt-4o-mini', 'claude-sonnet-4', 'serverless-read'][1 + i % 3] AS model,
       TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_microseconds(i * {5270400000000 // rows}) AS occurred_at,
       round(0.0001 + ((i * 2654435761) % 100000) / 1e7, 6) AS cost_usd
FROM range({rows}) t(i)
""")
con.execute(f"COPY (SELECT tenant_id, provider, model, strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS occurred_at, cost_usd FROM ledger) TO '{out}/ledger.csv' (HEADER)")
con.execute(f"COPY (SELECT tenant_id, provider, model, occurred_at AT TIME ZONE 'UTC' AS occurred_at, cost_usd FROM ledger) TO '{out}/ledger.parquet' (FORMAT parquet)")
totals = con.execute("""
SELECT provider, strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m') AS period, sum(cost_usd::DECIMAL(18,6)) FROM ledger GROUP BY 1, 2 ORDER BY 1, 2
""").fetchall()
factors = [1.02, 0.97, 1.01, 1.03, 0.99, 1.04]
with open(f"{out}/invoice.csv", "w") as f:
    f.write("provider,billing_period,billed_cost,currency,charge_category\n")
    for (p, m, v), k in zip(totals, factors):
        f.write(f"{p},{m},{float(v) * k:.2f},USD,usage\n")
    f.write("pinecone,2026-10,20.00,USD,minimum\n")
print(f"wrote {rows} rows to {out}/ledger.csv, {out}/ledger.parquet and {out}/invoice.csv")
