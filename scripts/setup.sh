#!/usr/bin/env bash
# Installs what bridge needs on a fresh machine, skipping what is already there:
# PostgreSQL server binaries (for the embedded demo and the tests), the Rust toolchain check, and
# the notebook's tools: Debian's rust-web-src (evcxr's rust-analyzer needs the standard library's
# sources, which rustup cannot download here), pinned nbclient/nbconvert, evcxr_jupyter 0.22.0 and
# the `rust` kernelspec. The notebook's build has no polars: on the demo (a database ledger, CSV
# and JSON bills) every check runs in the notebook, so the main job compiles no polars.
#   setup.sh          everything for the headless notebook (scripts/main.sh)
#   setup.sh --lab    also JupyterLab (pinned), for `scripts/main.sh --lab`
#   setup.sh --tests  also the test binaries and the `bridge` binary, default features (polars:
#                     ~25 min on 2 cores, once), for scripts/test.sh and the command line
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=0
TESTS=0
for arg in "$@"; do
  case "$arg" in
    --lab) LAB=1 ;;
    --tests) TESTS=1 ;;
    *) echo "usage: scripts/setup.sh [--lab] [--tests]" >&2; exit 64 ;;
  esac
done

EVCXR_VERSION=0.22.0
PY_PACKAGES=(nbclient==0.11.0 nbconvert==7.17.2)
LAB_PACKAGES=(jupyterlab==4.6.6)

# evcxr_jupyter is the one long step on a fresh machine (about 10 minutes of compiling on 2
# cores): it starts first, in the background, and the package installs below (network and disk,
# not CPU) run while it compiles
EVCXR_PID=
EVCXR_LOG="${TMPDIR:-/tmp}/bridge-setup-evcxr.$$.log"
if command -v cargo >/dev/null && ! cargo install --list | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
  echo "setup: cargo install evcxr_jupyter $EVCXR_VERSION in the background (about 10 minutes on 2 cores, once)"
  cargo install --locked --quiet evcxr_jupyter --version "$EVCXR_VERSION" >"$EVCXR_LOG" 2>&1 &
  EVCXR_PID=$!
  # a failure further down stops the build too, rather than leave it compiling
  trap '[ -z "$EVCXR_PID" ] || kill "$EVCXR_PID" 2>/dev/null || true' EXIT
fi

have_pg_server() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && return 0
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; return 1; fi
}

if ! have_pg_server; then
  echo "setup: installing PostgreSQL server binaries"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust (rustup) first" >&2; exit 1; }
echo "setup: PostgreSQL and Rust are ready"

# --- the notebook -------------------------------------------------------------------------
rust_src() { ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(rust_src)" ] && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
  echo "setup: installing rust-web-src (the standard library's sources, for evcxr)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rust-web-src >/dev/null
fi
RUST_SRC="$(rust_src)"
[ -n "$RUST_SRC" ] || RUST_SRC="$(rustc --print sysroot)/lib/rustlib/src/rust/library"

pip_install() {
  python3 -m pip --version >/dev/null 2>&1 || {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip python3-venv >/dev/null
  }
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location "$@" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --user --break-system-packages "$@"
}
py_has() { # py_has module version
  python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null
}
missing=()
for p in "${PY_PACKAGES[@]}" $([ "$LAB" = 1 ] && echo "${LAB_PACKAGES[@]}"); do
  py_has "${p%%==*}" "${p##*==}" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: pip install ${missing[*]}"
  pip_install "${missing[@]}"
fi

if [ -n "$EVCXR_PID" ]; then
  echo "setup: waiting for evcxr_jupyter's build"
  if ! wait "$EVCXR_PID"; then
    cat "$EVCXR_LOG" >&2
    echo "setup: cargo install evcxr_jupyter $EVCXR_VERSION failed (its output is above)" >&2
    exit 1
  fi
  EVCXR_PID=
  rm -f "$EVCXR_LOG"
  echo "setup: evcxr_jupyter $EVCXR_VERSION installed"
fi
export PATH="$HOME/.cargo/bin:$PATH"

# the `rust` kernelspec, with RUST_SRC_PATH in its env so JupyterLab and nbclient both find it
KERNEL_DIR="$(python3 -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())')/kernels/rust"
if [ ! -f "$KERNEL_DIR/kernel.json" ] || ! grep -q "RUST_SRC_PATH" "$KERNEL_DIR/kernel.json"; then
  echo "setup: installing the rust kernelspec in $KERNEL_DIR"
  evcxr_jupyter --install >/dev/null
fi
python3 - "$KERNEL_DIR/kernel.json" "$RUST_SRC" <<'PY'
import json, sys
path, src = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
if spec.get("env", {}).get("RUST_SRC_PATH") != src:
    spec.setdefault("env", {})["RUST_SRC_PATH"] = src
    json.dump(spec, open(path, "w"), indent=2)
PY

# --tests: the test binaries and the `bridge` binary (which the notebook also uses for Parquet
# bills and ledger files), built the way `cargo test` builds them (dev-dependencies unify
# features), so the tests that follow reuse the same polars build instead of compiling polars a
# second time with other features
if [ "$TESTS" = 1 ]; then
  echo "setup: building the tests and the bridge binary (polars: ~25 minutes on 2 cores the first time)"
  cargo test --quiet -p bridge-lib --no-run
fi
echo "setup: the notebook is ready (kernel rust, evcxr_jupyter $EVCXR_VERSION, RUST_SRC_PATH=$RUST_SRC)"
