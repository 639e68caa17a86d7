#!/usr/bin/env python3
"""Regenerates the demo's provider exports from the seed's usage_events (data/demo/seed.sql).

The allocated totals are recomputed here with the seed's own formula (the per-tenant profiles,
event times, tokens and model prices of seed.sql; checked against the demo database by
bridge-lib/tests/cost_check.rs), then each provider's bill is derived from them with a
small, realistic difference: OpenAI +2.1% / +1.4%, Anthropic -1.5% / +3.0%, Pinecone +1.8% / -2.2%,
plus Pinecone's platform minimum (up to $50 a month) and 8% tax, which no tenant consumed.
Run: python3 data/demo/cost/make_exports.py  (writes next to itself; deterministic)
"""
import csv, json, os
from datetime import datetime, timedelta, timezone
from decimal import Decimal, ROUND_HALF_UP

HERE = os.path.dirname(os.path.abspath(__file__))
# seed.sql's profiles: tenant -> (events, shape, in_base, in_span, out_base, out_span, openai, anthropic)
PROFILES = {
    "acme": (2400, "steady", 400, 1600, 100, 600, "gpt-4o", "claude-sonnet-4"),
    "globex": (1500, "growing", 300, 1100, 100, 400, "gpt-4o-mini", "claude-sonnet-4"),
    "initech": (700, "shrinking", 150, 450, 50, 200, "gpt-4o-mini", "claude-haiku-3.5"),
    "test-alpha": (120, "steady", 150, 450, 50, 200, "gpt-4o-mini", "claude-haiku-3.5"),
    "test-beta": (180, "steady", 300, 1100, 100, 400, "gpt-4o-mini", "claude-sonnet-4"),
    "test-gamma": (240, "steady", 400, 1600, 100, 600, "gpt-4o", "claude-sonnet-4"),
}
PRICES = {"gpt-4o": ("2.50", "10.00"), "gpt-4o-mini": ("0.15", "0.60"),
          "claude-sonnet-4": ("3.00", "15.00"), "claude-haiku-3.5": ("0.80", "4.00")}
PINECONE_READ = Decimal("0.004000")
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
FACTOR = {("openai", "2026-10"): "1.021", ("openai", "2026-11"): "1.014",
          ("anthropic", "2026-10"): "0.985", ("anthropic", "2026-11"): "1.030",
          ("pinecone", "2026-10"): "1.018", ("pinecone", "2026-11"): "0.978"}
q = lambda x, e="0.000001": x.quantize(Decimal(e), rounding=ROUND_HALF_UP)


def minute(shape, n, events):
    if shape == "steady":
        return 87840 * (n - 1) // events
    if shape == "growing":  # more events later
        return 87839 - 87840 * (events - n) * (events - n) // (events * events)
    return 87840 * (n - 1) * (n - 1) // (events * events)  # shrinking: more events early


daily = {}  # (provider, date) -> allocated
for tenant, (events, shape, ib, ispan, ob, ospan, oa, an) in PROFILES.items():
    for n in range(1, events + 1):
        t = START + timedelta(minutes=minute(shape, n, events))
        p = {0: "pinecone", 1: "openai", 2: "anthropic"}[n % 3]
        if p == "pinecone":
            cost = PINECONE_READ
        else:
            pin, pout = PRICES[oa if p == "openai" else an]
            tokens_in, tokens_out = ib + (n * 37) % ispan, ob + (n * 53) % ospan
            cost = q((tokens_in * Decimal(pin) + tokens_out * Decimal(pout)) / Decimal(1000000))
        daily[(p, t.date())] = daily.get((p, t.date()), Decimal(0)) + cost

def month(d):
    return f"{d.year:04d}-{d.month:02d}"

monthly = {}
for (p, d), v in daily.items():
    monthly[(p, month(d))] = monthly.get((p, month(d)), Decimal(0)) + v
billed = {k: q(v * Decimal(FACTOR[k]), "0.01") for k, v in monthly.items()}
for k in sorted(monthly):
    print(k, "allocated", monthly[k], "billed", billed[k])

days = [START.date() + timedelta(days=i) for i in range(61)]  # Oct 1 .. Nov 30

def spread(p):
    """Daily bill amounts that add up exactly to the monthly bill, in proportion to usage."""
    out = {}
    for m in ("2026-10", "2026-11"):
        ds = [d for d in days if month(d) == m]
        total, alloc = billed[(p, m)], monthly[(p, m)]
        acc = Decimal(0)
        for i, d in enumerate(ds):
            v = daily.get((p, d), Decimal(0))
            share = total - acc if i == len(ds) - 1 else q(total * v / alloc)
            acc += share
            out[d] = share
    return out

# OpenAI organization costs: daily buckets, amount.value a float in USD
o = spread("openai")
buckets = []
for d in days:
    s = int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())
    v = o[d]
    inp = q(v * Decimal("0.4"))
    results = [] if v == 0 else [
        {"object": "organization.costs.result", "amount": {"value": float(inp), "currency": "usd"},
         "line_item": "gpt-4o-mini-2024-07-18, input", "project_id": "proj_bridge_demo"},
        {"object": "organization.costs.result", "amount": {"value": float(v - inp), "currency": "usd"},
         "line_item": "gpt-4o-mini-2024-07-18, output", "project_id": "proj_bridge_demo"}]
    buckets.append({"object": "bucket", "start_time": s, "end_time": s + 86400, "results": results})
json.dump({"object": "page", "data": buckets, "has_more": False, "next_page": None},
          open(os.path.join(HERE, "openai_costs.json"), "w"), indent=1)

# Anthropic cost report: daily buckets, amount a decimal string in cents
a = spread("anthropic")
buckets = []
for d in days:
    v = a[d] * 100
    inp = q(v * Decimal("0.3"), "0.0001")
    results = [] if v == 0 else [
        {"amount": str(inp), "currency": "USD", "cost_type": "tokens", "context_window": "0-200k",
         "description": "Claude Sonnet 4 Usage - Input Tokens", "model": "claude-sonnet-4",
         "service_tier": "standard", "token_type": "uncached_input_tokens", "workspace_id": None},
        {"amount": str(q(v - inp, "0.0001")), "currency": "USD", "cost_type": "tokens", "context_window": "0-200k",
         "description": "Claude Sonnet 4 Usage - Output Tokens", "model": "claude-sonnet-4",
         "service_tier": "standard", "token_type": "output_tokens", "workspace_id": None}]
    buckets.append({"starting_at": f"{d.isoformat()}T00:00:00Z",
                    "ending_at": f"{(d + timedelta(days=1)).isoformat()}T00:00:00Z", "results": results})
json.dump({"data": buckets, "has_more": False, "next_page": None},
          open(os.path.join(HERE, "anthropic_cost_report.json"), "w"), indent=1)

# Pinecone invoice CSV: usage, the rest of the $50 monthly minimum, 8% tax
def pinecone_lines(m):
    usage = billed[("pinecone", m)]
    minimum = max(Decimal("50.00") - usage, Decimal(0))
    tax = q((usage + minimum) * Decimal("0.08"), "0.01")
    return [("usage", "Serverless read/write units and storage", usage),
            ("minimum", "Monthly minimum usage commitment (Standard plan)", minimum),
            ("tax", "Sales tax", tax)]

with open(os.path.join(HERE, "pinecone_invoice.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["invoice_id", "provider", "billing_period", "line_item", "charge_category", "billed_cost", "currency", "period_status"])
    for m in ("2026-10", "2026-11"):
        for cat, desc, amt in pinecone_lines(m):
            w.writerow([f"PC-{m}", "Pinecone Systems, Inc.", m, desc, cat, amt, "USD", "final"])

# The same bills as one FOCUS 1.2-style export (monthly lines)
with open(os.path.join(HERE, "focus.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["BillingPeriodStart", "BillingPeriodEnd", "ServiceProviderName", "InvoiceIssuerName", "ChargeCategory",
                "ChargeDescription", "BilledCost", "EffectiveCost", "BillingCurrency", "x_Source"])
    for m, end in (("2026-10", "2026-11"), ("2026-11", "2026-12")):
        for p, name in (("openai", "OpenAI"), ("anthropic", "Anthropic")):
            v = billed[(p, m)]
            w.writerow([f"{m}-01T00:00:00Z", f"{end}-01T00:00:00Z", name, name, "Usage", f"{name} API usage", v, v, "USD", "demo"])
        for cat, desc, amt in pinecone_lines(m):
            focus_cat = {"usage": "Usage", "minimum": "Purchase", "tax": "Tax"}[cat]
            w.writerow([f"{m}-01T00:00:00Z", f"{end}-01T00:00:00Z", "Pinecone", "Pinecone Systems, Inc.", focus_cat, desc, amt, amt, "USD", "demo"])
