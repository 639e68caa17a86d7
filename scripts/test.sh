#!/usr/bin/env bash
# The tests: set up, lint, the whole suite (unit, PostgreSQL integration, CLI), then the notebook
# headless: the clean demo (every cell succeeds), the broken demo (the verdict cell fails and the
# outputs show the planted flaws), and planted secrets (they show in no output, file or error).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
cargo fmt --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# the notebook's build of the library (no polars, no HTTP client) must stay clean and tested too
cargo clippy -p bridge-lib --no-default-features --all-targets --quiet -- -D warnings
cargo test --workspace
cargo test -p bridge-lib --no-default-features --lib --quiet

NOTEBOOK=Bridge_L3_M11_1_to_M11_2_Readiness.ipynb
RUN=(python3 scripts/run_notebook.py "$NOTEBOOK" --out out/test)
unset DATABASE_URL BRIDGE_ADMIN_DATABASE_URL PINECONE_API_KEY PINECONE_INDEX PINECONE_INDEX_HOST BRIDGE_NOTEBOOK_DEMO

echo "test: notebook on the clean demo"
"${RUN[@]}" --name clean --expect-text "using the embedded demo" --expect-text "verdict: ready" \
  --expect-text "cost variance by provider and period" --expect-text "namespace usage as percent of quota" \
  --expect-text "namespace forecast as percent of quota" --expect-text "rows each tenant reads per relation" \
  --expect-text "after planting: rls fail" --expect-text "after repair: rls pass" \
  --expect-text "after planting: cost warn" --expect-text "after repair: cost pass" \
  --expect-text "after planting: tenants fail" --expect-text "after repair: tenants pass" \
  --expect-text "after planting: capacity fail" --expect-text "after repair: capacity pass" \
  --expect-img-charts

echo "test: notebook on the broken demo (must fail at the verdict, showing the planted flaws)"
BRIDGE_NOTEBOOK_DEMO=broken "${RUN[@]}" --name broken --expect-fail-at-last-cell \
  --expect-text "verdict: not ready" --expect-text "too-few-test-tenants" --expect-text "test-tenants-share-one-tier" \
  --expect-text "cost COST001 allocation-variance-over-threshold: anthropic 2026-11"

echo "test: notebook with a planted password and API key (neither may show anywhere)"
export PLANTED_PASSWORD="planted-pw-$RANDOM-9c1e" PLANTED_KEY="planted-key-$RANDOM-4b7d"
log=out/test/secrets.kernel.log
mkdir -p out/test
set +e
DATABASE_URL="postgres://bridge_app:$PLANTED_PASSWORD@127.0.0.1:9/bridge_demo" PINECONE_API_KEY="$PLANTED_KEY" \
  PINECONE_INDEX_HOST=http://127.0.0.1:9 "${RUN[@]}" --name secrets --expect-fail-at-last-cell \
  --expect-text "using the configured services" --forbid-env PLANTED_PASSWORD --forbid-env PLANTED_KEY 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || { echo "test: the planted-secrets run failed" >&2; exit 1; }
if grep -qF -e "$PLANTED_PASSWORD" -e "$PLANTED_KEY" "$log"; then
  echo "test: a planted secret appears in the kernel's log" >&2
  exit 1
fi
echo "test: all passed"
