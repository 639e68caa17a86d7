#!/usr/bin/env bash
# The main job: set up, then run the readiness notebook headless on the embedded demo, save the
# executed notebook and an HTML copy under out/, and print the verdict.
#   main.sh            the clean demo (or the services in DATABASE_URL etc. when configured)
#   main.sh broken     the demo with planted flaws: the verdict cell fails and lists them
#   main.sh --lab      open the notebook in JupyterLab instead
# Before the first run (and before JupyterLab opens) the notebook's dependencies are built with
# cargo's progress on this terminal, so Run All does not sit on `[*]` for minutes. Nothing here
# compiles polars: on the demo every check, cost included, runs in the notebook's own build.
# The command-line route is `./target/debug/bridge check --demo` (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
NOTEBOOK=Bridge_L3_M11_1_to_M11_2_Readiness.ipynb
# one build folder for the warm-up, the headless runs and JupyterLab (one kernel at a time)
export EVCXR_TMPDIR="$PWD/.evcxr-build"
warm() {
  echo "main: warming the notebook's build in $EVCXR_TMPDIR"
  python3 scripts/run_notebook.py "$NOTEBOOK" --warm
}
case "${1:-}" in
  --lab)
    bash scripts/setup.sh --lab
    warm
    ROOT=()
    # JupyterLab refuses to run as root without it (most containers run as root)
    [ "$(id -u)" = 0 ] && ROOT=(--allow-root)
    # through python3: pip may have put the `jupyter` script in a user folder that is not on PATH
    exec python3 -m jupyter lab "${ROOT[@]}" "$NOTEBOOK"
    ;;
  broken)
    bash scripts/setup.sh
    warm
    BRIDGE_NOTEBOOK_DEMO=broken exec python3 scripts/run_notebook.py "$NOTEBOOK" --out out --name readiness-broken
    ;;
  "")
    bash scripts/setup.sh
    warm
    exec python3 scripts/run_notebook.py "$NOTEBOOK" --out out --name readiness
    ;;
  *)
    echo "usage: scripts/main.sh [broken|--lab]" >&2
    exit 64
    ;;
esac
