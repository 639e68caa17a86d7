"""The same job with DuckDB SQL (all cores)."""
import sys, time, duckdb

ledger, invoice = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
con = duckdb.connect()
src = f"read_parquet('{ledger}')" if ledger.endswith(".parquet") else f"read_csv('{ledger}', header=true, columns={{'tenant_id':'VARCHAR','provider':'VARCHAR','model':'VARCHAR','occurred_at':'VARCHAR','cost_usd':'DOUBLE'}})"
period = "strftime(occurred_at, '%Y-%m')" if ledger.endswith(".parquet") else "substr(occurred_at, 1, 7)"
con.execute(f"""CREATE TEMP TABLE per_tenant AS
  SELECT tenant_id, provider, model, {period} AS period, sum(CAST(floor(cost_usd * 1e6 + 0.5) AS BIGINT)) AS micros,
         count(*) AS events, count(*) FILTER (WHERE cost_usd IS NULL OR cost_usd < 0 OR isnan(cost_usd)) AS bad
  FROM {src} GROUP BY ALL""")
if con.execute("SELECT sum(bad) FROM per_tenant").fetchone()[0]:
    sys.exit("bad cost")
rows = con.execute(f"""
  WITH a AS (SELECT provider, period, sum(micros) / 1e6 AS allocated FROM per_tenant GROUP BY ALL),
       b AS (SELECT provider, billing_period AS period, sum(billed_cost) AS billed FROM read_csv('{invoice}', header=true)
             WHERE charge_category = 'usage' GROUP BY ALL)
  SELECT provider, period, round((billed - allocated) / billed, 4) FROM a JOIN b USING (provider, period) ORDER BY ALL""").fetchall()
n = con.execute("SELECT count(*) FROM per_tenant").fetchone()[0]
elapsed = time.perf_counter() - t0
# CAST(DOUBLE AS BIGINT) rounds in DuckDB; floor(x + 0.5) rounds half up as the others do
for r in rows:
    print(*r)
print(f"duckdb {ledger}: {elapsed:.2f} s, {n} tenant rows")
