#!/usr/bin/env python3
"""Writes the demo's provider usage exports from the seed's usage_events (data/demo/seed.sql).

The token counts are the seed's own (its per-tenant profiles, event times and tokens, as
make_exports.py recomputes them), every event counted, as the providers count them. With the
broken demo's dropped Anthropic spend logs (broken.sql), the cost check's gap explanation then
finds the missing tokens as the volume component. Saved as the usage APIs return them, one
daily bucket per day of October and November 2026, not grouped by model or project (so the
split is over all of a provider's models):
- openai_usage_completions.json: OpenAI GET /v1/organization/usage/completions?bucket_width=1d
- anthropic_usage_report.json: Anthropic GET /v1/organizations/usage_report/messages?bucket_width=1d
Run: python3 data/demo/cost/make_usage.py  (writes next to itself; deterministic)
"""
import json, os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
# seed.sql's profiles: tenant -> (events, shape, in_base, in_span, out_base, out_span)
PROFILES = {
    "acme": (2400, "steady", 400, 1600, 100, 600),
    "globex": (1500, "growing", 300, 1100, 100, 400),
    "initech": (700, "shrinking", 150, 450, 50, 200),
    "test-alpha": (120, "steady", 150, 450, 50, 200),
    "test-beta": (180, "steady", 300, 1100, 100, 400),
    "test-gamma": (240, "steady", 400, 1600, 100, 600),
}
START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def minute(shape, n, events):
    if shape == "steady":
        return 87840 * (n - 1) // events
    if shape == "growing":
        return 87839 - 87840 * (events - n) * (events - n) // (events * events)
    return 87840 * (n - 1) * (n - 1) // (events * events)


usage = {}  # (provider, date) -> [input, output, requests]
for tenant, (events, shape, ib, ispan, ob, ospan) in PROFILES.items():
    for n in range(1, events + 1):
        p = {0: None, 1: "openai", 2: "anthropic"}[n % 3]
        if p is None:
            continue
        d = (START + timedelta(minutes=minute(shape, n, events))).date()
        u = usage.setdefault((p, d), [0, 0, 0])
        u[0] += ib + (n * 37) % ispan
        u[1] += ob + (n * 53) % ospan
        u[2] += 1

days = [START.date() + timedelta(days=i) for i in range(61)]
buckets = []
for d in days:
    s = int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())
    i, o, r = usage.get(("openai", d), [0, 0, 0])
    results = [] if r == 0 else [{
        "object": "organization.usage.completions.result", "input_tokens": i, "output_tokens": o,
        "input_cached_tokens": 0, "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": r,
        "project_id": None, "user_id": None, "api_key_id": None, "model": None, "batch": None}]
    buckets.append({"object": "bucket", "start_time": s, "end_time": s + 86400, "results": results})
json.dump({"object": "page", "data": buckets, "has_more": False, "next_page": None},
          open(os.path.join(HERE, "openai_usage_completions.json"), "w"), indent=1)

buckets = []
for d in days:
    i, o, r = usage.get(("anthropic", d), [0, 0, 0])
    results = [] if r == 0 else [{
        "uncached_input_tokens": i, "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
        "cache_read_input_tokens": 0, "output_tokens": o, "server_tool_use": {"web_search_requests": 0},
        "api_key_id": None, "workspace_id": None, "model": None, "service_tier": None, "context_window": None}]
    buckets.append({"starting_at": f"{d.isoformat()}T00:00:00Z",
                    "ending_at": f"{(d + timedelta(days=1)).isoformat()}T00:00:00Z", "results": results})
json.dump({"data": buckets, "has_more": False, "next_page": None},
          open(os.path.join(HERE, "anthropic_usage_report.json"), "w"), indent=1)
