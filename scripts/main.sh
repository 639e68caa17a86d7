#!/usr/bin/env bash
# The main job: set up, then run every readiness check against the embedded demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --quiet -p bridge-lib
./target/release/bridge check --demo "$@"
