"""The same job as `bridge check --only cost` on files, with pandas: aggregate the ledger by
tenant, provider, model and month, then reconcile provider-months against the invoice."""
import sys, time, pandas as pd

ledger, invoice = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
cols = ["tenant_id", "provider", "model", "occurred_at", "cost_usd"]
if ledger.endswith(".parquet"):
    df = pd.read_parquet(ledger, columns=cols)
    df["period"] = df["occurred_at"].dt.strftime("%Y-%m")
else:
    df = pd.read_csv(ledger, usecols=cols, dtype={"tenant_id": str, "provider": str, "model": str, "occurred_at": str, "cost_usd": "float64"})
    df["period"] = df["occurred_at"].str.slice(0, 7)
if df["cost_usd"].isna().any() or (df["cost_usd"] < 0).any():
    sys.exit("bad cost")
df["micros"] = (df["cost_usd"] * 1e6 + 0.5).astype("int64")
per_tenant = df.groupby(["tenant_id", "provider", "model", "period"], sort=False)["micros"].sum().reset_index()
alloc = per_tenant.groupby(["provider", "period"])["micros"].sum() / 1e6
inv = pd.read_csv(invoice)
billed = inv[inv.charge_category == "usage"].groupby(["provider", "billing_period"])["billed_cost"].sum()
billed.index.names = ["provider", "period"]
var = ((billed - alloc) / billed).rename("variance")
elapsed = time.perf_counter() - t0
print(var.round(4).to_string())
print(f"pandas {ledger}: {elapsed:.2f} s, {len(per_tenant)} tenant rows")
