#!/usr/bin/env bash
# Cost reconciliation benchmark: bridge (polars, release) vs pandas vs DuckDB on the same
# 10-million-row ledger (CSV and Parquet), then the PostgreSQL path on the same rows.
# Usage: bash bench/cost/run.sh [ROWS]     (from the repository root; ROWS defaults to 10000000)
set -euo pipefail
ROWS="${1:-10000000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA="${BENCH_DATA:-/tmp/bridge-cost-bench}"
mkdir -p "$DATA"
if [ ! -x "$HERE/.venv/bin/python" ]; then
  python3 -m venv "$HERE/.venv"
  "$HERE/.venv/bin/pip" install --quiet pandas pyarrow duckdb
fi
PY="$HERE/.venv/bin/python"
[ -f "$DATA/ledger.parquet" ] && [ "$(cat "$DATA/rows" 2>/dev/null)" = "$ROWS" ] || { "$PY" "$HERE/generate.py" "$ROWS" "$DATA"; echo "$ROWS" > "$DATA/rows"; }
ls -la "$DATA"
# BENCH_PROFILE=dev reuses the test build (dependencies at opt-level 1) when a release build is
# too slow to wait for; the report names the profile.
PROFILE="${BENCH_PROFILE:-release}"
DIR=$([ "$PROFILE" = release ] && echo release || echo debug)
[ -n "${BENCH_SKIP_BUILD:-}" ] || (cd "$ROOT" && cargo build --profile "$PROFILE" -p bridge-lib --bin bridge --example cost_pg_bench)
echo "bridge built with profile $PROFILE"
BRIDGE="$ROOT/target/$DIR/bridge"
peak() { grep -E "Maximum resident|Elapsed \(wall" "$1" | sed 's/^\s*//'; }
for f in ledger.csv ledger.parquet; do
  echo "== $f"
  /usr/bin/time -v env -u DATABASE_URL BRIDGE_ALLOCATED_FILES="$DATA/$f" BRIDGE_BILLED_FILES="$DATA/invoice.csv" \
    "$BRIDGE" check --only cost --format json > "$DATA/bridge-$f.json" 2> "$DATA/bridge-$f.time" || true
  "$PY" - "$DATA/bridge-$f.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["checks"][0]
for v in c["data"]["variance"]:
    print(v["provider"], v["period"], round(v["variance"], 4), v["band"])
PY
  echo "bridge $f"; peak "$DATA/bridge-$f.time"
  /usr/bin/time -v "$PY" "$HERE/reconcile_pandas.py" "$DATA/$f" "$DATA/invoice.csv" 2> "$DATA/pandas-$f.time" | tail -1
  peak "$DATA/pandas-$f.time"
  /usr/bin/time -v "$PY" "$HERE/reconcile_duckdb.py" "$DATA/$f" "$DATA/invoice.csv" 2> "$DATA/duckdb-$f.time" | tail -1
  peak "$DATA/duckdb-$f.time"
done
echo "== PostgreSQL path (COPY into a throwaway cluster, then the cost check's GROUP BY)"
"$ROOT/target/$DIR/examples/cost_pg_bench" "$DATA/ledger.csv" "$DATA/invoice.csv"
