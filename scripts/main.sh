#!/usr/bin/env bash
# The main job: set up, then run the readiness notebook headless on the embedded demo, save the
# executed notebook and an HTML copy under out/, and print the verdict.
#   main.sh            the clean demo (or the services in DATABASE_URL etc. when configured)
#   main.sh broken     the demo with planted flaws: the verdict cell fails and lists them
#   main.sh --lab      open the notebook in JupyterLab instead
# The command-line route is `./target/debug/bridge check --demo` (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
NOTEBOOK=Bridge_L3_M11_1_to_M11_2_Readiness.ipynb
case "${1:-}" in
  --lab)
    bash scripts/setup.sh --lab
    EVCXR_TMPDIR="$PWD/.evcxr-build" exec jupyter lab "$NOTEBOOK"
    ;;
  broken)
    bash scripts/setup.sh
    BRIDGE_NOTEBOOK_DEMO=broken exec python3 scripts/run_notebook.py "$NOTEBOOK" --out out --name readiness-broken
    ;;
  "")
    bash scripts/setup.sh
    exec python3 scripts/run_notebook.py "$NOTEBOOK" --out out --name readiness
    ;;
  *)
    echo "usage: scripts/main.sh [broken|--lab]" >&2
    exit 64
    ;;
esac
