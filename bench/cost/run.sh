#!/usr/bin/env bash
# Cost reconciliation benchmark: bridge (polars) vs pandas vs DuckDB on the same ledger (CSV and
# Parquet, 10 million rows by default), in one run, then the PostgreSQL path on the same rows.
#
#   bash bench/cost/run.sh [ROWS]            (from anywhere; ROWS defaults to 10000000)
#
# Every tool is timed the same way: the wall-clock time and peak memory of its whole process
# (start-up, imports, reading, aggregating, reconciling, output), from /usr/bin/time, fastest of
# BENCH_REPEAT runs (default 3; the file is in the page cache after the first).
# BENCH_PROFILE=dev reuses the test build (dependencies at opt-level 1) instead of a release
# build; BENCH_SIMD=1 builds with nightly Rust and the `simd` feature (polars' SIMD kernels);
# BENCH_DATA moves the generated files (default /tmp/bridge-cost-bench).
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
if [ ! -f "$DATA/ledger.parquet" ] || [ "$(cat "$DATA/rows" 2>/dev/null)" != "$ROWS" ]; then
  "$PY" "$HERE/generate.py" "$ROWS" "$DATA"
  echo "$ROWS" > "$DATA/rows"
fi
PROFILE="${BENCH_PROFILE:-release}"
DIR=$([ "$PROFILE" = release ] && echo release || echo debug)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BUILD=(cargo build)
[ -z "${BENCH_SIMD:-}" ] || BUILD=(cargo +nightly build --features simd)
[ -n "${BENCH_SKIP_BUILD:-}" ] || (cd "$ROOT" && "${BUILD[@]}" --profile "$PROFILE" -p bridge-lib --bin bridge --example cost_pg_bench)
BRIDGE="$TARGET/$DIR/bridge"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; bridge built with ${BUILD[*]} --profile $PROFILE; $("$PY" -c 'import pandas, duckdb; print("pandas", pandas.__version__, "duckdb", duckdb.__version__)')"

REPEAT="${BENCH_REPEAT:-3}"
# measure NAME CMD...: runs CMD $REPEAT times (stdout kept in $DATA/NAME.out); prints the fastest
# wall-clock time, the slowest, and the highest peak memory of the runs
measure() {
  local name=$1; shift
  local best="" worst="" peak=0 secs kb
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e %M" -o "$DATA/$name.time" "$@" > "$DATA/$name.out" || true
    read -r secs kb < "$DATA/$name.time"
    best=$(echo "${best:-$secs} $secs" | awk '{print ($1 < $2) ? $1 : $2}')
    worst=$(echo "${worst:-$secs} $secs" | awk '{print ($1 > $2) ? $1 : $2}')
    peak=$((kb > peak ? kb : peak))
  done
  printf '%-8s %-16s %8.2f s (slowest %.2f s of %d) %8d MB peak\n' "${name%%-*}" "${name#*-}" "$best" "$worst" "$REPEAT" "$((peak / 1024))"
  echo "$best" > "$DATA/$name.secs"
}
for f in ledger.csv ledger.parquet; do
  echo "== $f ($(du -h "$DATA/$f" | cut -f1))"
  measure "bridge-$f" env -u DATABASE_URL -u BRIDGE_ADMIN_DATABASE_URL BRIDGE_ALLOCATED_FILES="$DATA/$f" \
    BRIDGE_BILLED_FILES="$DATA/invoice.csv" "$BRIDGE" check --only cost --format json
  measure "pandas-$f" "$PY" "$HERE/reconcile_pandas.py" "$DATA/$f" "$DATA/invoice.csv"
  measure "duckdb-$f" "$PY" "$HERE/reconcile_duckdb.py" "$DATA/$f" "$DATA/invoice.csv"
  # the three must agree on every variance (to 4 decimals)
  "$PY" - "$DATA" "$f" <<'PY'
import json, re, sys
data, f = sys.argv[1], sys.argv[2]
c = json.load(open(f"{data}/bridge-{f}.out"))["checks"][0]
ours = {(v["provider"], v["period"]): round(v["variance"], 4) for v in c["data"]["variance"]}
duck = {}
for line in open(f"{data}/duckdb-{f}.out"):
    m = re.match(r"(\w+) (\d{4}-\d{2}) (-?[\d.]+)$", line.strip())
    if m:
        duck[(m[1], m[2])] = float(m[3])
assert ours and ours == duck, f"variances differ: bridge {ours} duckdb {duck}"
b, p, d = (float(open(f"{data}/{t}-{f}.secs").read()) for t in ("bridge", "pandas", "duckdb"))
print(f"all agree on the {len(ours)} variances; bridge {b:.2f} s: {p / b:.1f}x faster than pandas, {d / b:.2f}x DuckDB's speed")
PY
done
echo "== PostgreSQL path (COPY into a throwaway cluster, then the cost check's GROUP BY)"
"$TARGET/$DIR/examples/cost_pg_bench" "$DATA/ledger.csv" "$DATA/invoice.csv"
