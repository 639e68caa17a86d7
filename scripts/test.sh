#!/usr/bin/env bash
# The tests: set up, lint, then the whole suite (unit, PostgreSQL integration, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
