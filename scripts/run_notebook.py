#!/usr/bin/env python3
"""Runs the readiness notebook headless with the Rust kernel and judges the run.

Always saves the executed notebook and an HTML copy under the output folder, even when a cell
fails. The run fails on any cell error and on any stderr output in a cell that contains
`panicked` or `Error` (evcxr reports a caught panic or a `?` error on stderr with status ok).

  run_notebook.py NOTEBOOK [--out DIR] [--name NAME]
                  [--expect-fail-at-last-cell] [--expect-text TEXT ...] [--forbid-env VAR ...]
                  [--runs N] [--expect-img-charts] [--warm]

--expect-fail-at-last-cell  the run must fail, and only at the last code cell (the verdict)
--expect-text TEXT          the saved outputs must contain TEXT
--forbid-env VAR            the value of $VAR must appear in no output, saved file or error
--runs N                    Run All N times in one kernel and print each run's time (the saved
                            notebook holds the last run)
--expect-img-charts         the saved notebook must read right when JupyterLab opens it: charts as <img>
                            SVG data URIs (its sanitizer keeps those in an unsigned notebook) and no raw
                            <svg; every table cell aligned explicitly (its CSS right-aligns the rest);
                            no empty <code> box
--warm                      only build the notebook's dependencies (its `:dep` cell and one cell that
                            uses the library), with cargo's progress on the terminal; saves nothing
Exit status: 0 when the run is as expected, 1 otherwise.
"""
import argparse
import hashlib
import os
import shutil
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = os.path.dirname(os.path.abspath(__file__))
# evcxr's build folder, kept between kernels (scripts/main.sh uses the same)
DEFAULT_BUILD_FOLDER = os.path.join(os.path.dirname(HERE), ".evcxr-build")


def evcxr_commands(source):
    """A cell's evcxr commands (`:opt`, `:cache`, `:dep`, …), without its Rust code."""
    return "\n".join(l for l in source.splitlines() if l.startswith(":"))


def fresh_build_folder(folder, nb):
    """evcxr's build folder is a cache of the notebook's dependency build, kept for its inputs:
    the lock file, the manifests and the `:dep` cell's commands. When they changed (say the library became
    a dylib), it is started anew: a folder built for other inputs fails the `:dep` cell with
    "found possibly newer version of crate"."""
    root = os.path.dirname(HERE)
    digest = hashlib.sha256()
    for rel in ("Cargo.lock", "Cargo.toml", "bridge-lib/Cargo.toml", "bridge-notebook/Cargo.toml",
                ".cargo/config.toml"):
        path = os.path.join(root, rel)
        digest.update(rel.encode() + b"\0" + (open(path, "rb").read() if os.path.exists(path) else b""))
    # the evcxr commands of the cells that load dependencies (`:opt`, `:dep`), not their code:
    # editing the setup cell's `Env::…` line must not throw the build away
    deps = [evcxr_commands(c.source) for c in nb.cells if c.cell_type == "code" and ":dep" in c.source]
    digest.update("\0".join(deps).encode())
    stamp = os.path.join(folder, ".bridge-inputs")
    key = digest.hexdigest()
    if os.path.isdir(folder) and os.listdir(folder):
        kept = open(stamp).read().strip() if os.path.exists(stamp) else ""
        if kept == key:
            return
        # only a folder this runner stamped, or its own default one, is deleted: an EVCXR_TMPDIR
        # chosen by hand may hold anything
        if not kept and os.path.abspath(folder) != DEFAULT_BUILD_FOLDER:
            print(f"run_notebook: {folder} has no stamp of the notebook's inputs; if its :dep cell fails "
                  "with 'found possibly newer version of crate', empty it", flush=True)
            return
        print(f"run_notebook: the notebook's dependencies changed: starting {folder} anew", flush=True)
        shutil.rmtree(folder)
    os.makedirs(folder, exist_ok=True)
    with open(stamp, "w") as f:
        f.write(key + "\n")


def cell_text(cell):
    """Everything a cell showed: streams, results, errors."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") in ("execute_result", "display_data"):
            parts.extend(str(v) for v in o.get("data", {}).values())
        elif o.get("output_type") == "error":
            parts.append(o.get("ename", "") + ": " + o.get("evalue", ""))
            parts.extend(o.get("traceback", []))
    return "\n".join(parts)


def cell_seconds(cell):
    """How long a cell took, from nbclient's timing metadata (0 when it did not run)."""
    from datetime import datetime

    t = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(t["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(t["shell.execute_reply"].replace("Z", "+00:00"))
        return (end - start).total_seconds()
    except (KeyError, ValueError):
        return 0.0


def shows_debug_form(cell):
    """A result shown as `Html("…")`: evcxr fell back from the value's rich display to Debug."""
    for o in cell.get("outputs", []):
        if o.get("output_type") == "execute_result" and "text/html" not in o.get("data", {}):
            text = o.get("data", {}).get("text/plain", "")
            text = text if isinstance(text, str) else "".join(text)
            if text.startswith(("Html(", "CheckOutcome {", "Report {", "Preview {", "Env {")):
                return True
    return False


def stderr_problems(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            text = o.get("text", "")
            if "panicked" in text or "Error" in text:
                yield text.strip()


def warm(nb, src, timeout):
    """Builds the notebook's dependencies in the kernel's build folder, showing cargo's progress."""
    # the setup cell's evcxr commands (`:opt`, `:cache`, `:dep`), not its code (no demo starts)
    first = next(c for c in nb.cells if c.cell_type == "code")
    probe = "use bridge_lib::nb::*;\nlet warm: usize = CheckId::ALL.len();\nwarm"
    nb.cells = [nbformat.v4.new_code_cell(evcxr_commands(first.source)), nbformat.v4.new_code_cell(probe)]
    print("run_notebook: building the notebook's dependencies (the first time takes several minutes; "
          "cargo's progress follows)", flush=True)
    began = time.monotonic()
    client = NotebookClient(nb, kernel_name="rust", timeout=timeout, startup_timeout=300,
                            resources={"metadata": {"path": os.path.dirname(src)}})
    try:
        client.execute()
    except Exception as e:  # a compile error, a timeout, a dead kernel
        print(f"run_notebook: the warm-up failed: {e}", file=sys.stderr)
        return 1
    print(f"run_notebook: the notebook's dependencies are built ({time.monotonic() - began:.0f} s)", flush=True)
    return 0


def img_charts_ok(path):
    """The saved notebook reads right in JupyterLab: its charts are <img> SVG data URIs, none raw
    inline <svg> (the sanitizer drops those from an unsigned notebook); every table cell of its
    HTML says its alignment (JupyterLab's CSS right-aligns text columns otherwise); no <code> is
    empty (an empty grey box)."""
    import re

    nb = nbformat.read(path, as_version=4)
    raw, img, unaligned, empty = 0, 0, 0, 0
    for c in nb.cells:
        for o in c.get("outputs", []):
            for mime, v in o.get("data", {}).items():
                text = v if isinstance(v, str) else "".join(v) if isinstance(v, list) else ""
                raw += text.count("<svg")
                img += text.count('src="data:image/svg+xml;base64,')
                if mime == "text/html":
                    unaligned += len(re.findall(r"<t[dh](?=[\s>])(?![^>]*text-align)[^>]*>", text))
                    empty += len(re.findall(r"<code[^>]*>\s*</code>", text))
    ok = True
    if raw or not img:
        print(f"run_notebook: {path}: {raw} raw <svg> output(s), {img} chart image(s); "
              "JupyterLab drops raw SVG from an unsigned notebook", file=sys.stderr)
        ok = False
    if unaligned:
        print(f"run_notebook: {path}: {unaligned} table cell(s) without text-align; JupyterLab right-aligns them",
              file=sys.stderr)
        ok = False
    if empty:
        print(f"run_notebook: {path}: {empty} empty <code> box(es)", file=sys.stderr)
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("--out", default="out")
    ap.add_argument("--name", default=None)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell (the first cell compiles)")
    ap.add_argument("--expect-fail-at-last-cell", action="store_true")
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--forbid-env", action="append", default=[])
    ap.add_argument("--runs", type=int, default=1, help="Run All this many times in one kernel (timing)")
    ap.add_argument("--expect-img-charts", action="store_true")
    ap.add_argument("--warm", action="store_true")
    a = ap.parse_args()

    # the kernel inherits these: CI's evcxr settings (a panic fails its cell) and rust-src
    os.environ.setdefault("EVCXR_CONFIG_DIR", os.path.join(HERE, "evcxr"))
    # the verdict's gate cell ends the kernel's process on "not ready": a clean failed cell
    os.environ.setdefault("BRIDGE_NOTEBOOK_GATE", "exit")
    # keep evcxr's build folder between kernels (one kernel at a time): a warm Run All then
    # rebuilds only the cells, not the dependency graph (measured: 133 s -> 52 s under load)
    os.environ.setdefault("EVCXR_TMPDIR", DEFAULT_BUILD_FOLDER)
    if "RUST_SRC_PATH" not in os.environ:
        for cand in sorted(os.listdir("/usr/src"), reverse=True) if os.path.isdir("/usr/src") else []:
            lib = os.path.join("/usr/src", cand, "library")
            if cand.startswith("rustc-") and os.path.isdir(lib):
                os.environ["RUST_SRC_PATH"] = lib
                break

    src = os.path.abspath(a.notebook)
    name = a.name or os.path.splitext(os.path.basename(src))[0]
    os.makedirs(a.out, exist_ok=True)
    out_nb = os.path.join(a.out, name + ".ipynb")
    out_html = os.path.join(a.out, name + ".html")

    nb = nbformat.read(src, as_version=4)
    fresh_build_folder(os.environ["EVCXR_TMPDIR"], nb)
    if a.warm:
        sys.exit(warm(nb, src, a.timeout))
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=a.timeout,
        startup_timeout=300,
        resources={"metadata": {"path": os.path.dirname(src)}},
    )
    began = time.monotonic()
    error = None
    try:
        if a.runs == 1:
            client.execute()
        else:
            # Run All several times in one kernel, as a learner who clicks Run All again does
            with client.setup_kernel():
                again = []  # each later Run All's seconds per code cell
                for run in range(1, a.runs + 1):
                    t = time.monotonic()
                    for index, cell in enumerate(nb.cells):
                        client.execute_cell(cell, index)
                    print(f"run_notebook: Run All #{run} in one kernel: {time.monotonic() - t:.1f} s")
                    if run > 1:
                        again.append([cell_seconds(c) for c in nb.cells if c.cell_type == "code"])
                if len(again) > 1:
                    # a figure the machine's noise barely moves: each cell at its fastest
                    floor = sum(min(col) for col in zip(*again))
                    print(f"run_notebook: Run All again, each cell at its fastest over runs 2-{a.runs}: {floor:.2f} s")
    except CellExecutionError as e:
        error = str(e)
    except Exception as e:  # a timeout, a dead kernel
        error = f"{type(e).__name__}: {e}"
    finally:
        elapsed = time.monotonic() - began
        nbformat.write(nb, out_nb)
        try:
            from nbconvert import HTMLExporter

            body, _ = HTMLExporter().from_notebook_node(nb)
            with open(out_html, "w", encoding="utf-8") as f:
                f.write(body)
        except Exception as e:  # the executed notebook is saved either way
            print(f"run_notebook: could not write the HTML copy: {e}", file=sys.stderr)

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    debug_fallbacks = [i for i, c in enumerate(code_cells) if shows_debug_form(c)]
    failed = [i for i, c in enumerate(code_cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    problems = [(i, p) for i, c in enumerate(code_cells) for p in stderr_problems(c)]
    all_text = "\n".join(cell_text(c) for c in code_cells)

    print(f"run_notebook: {name}: {elapsed:.1f} s, saved {out_nb} and {out_html}")
    timings = [f"{cell_seconds(c):.1f}" for c in code_cells]
    print(f"run_notebook: seconds per code cell: {' '.join(timings)}")
    # the verdict cell's text: its `verdict:` and `must fix:` lines (the gate cell comes after it)
    verdict_cells = [c for c in code_cells if "verdict:" in cell_text(c)]
    summary = [l for l in cell_text(verdict_cells[-1]).splitlines() if l.startswith(("verdict:", "must fix:"))] if verdict_cells else []
    for line in dict.fromkeys(summary):
        print("  " + line)

    ok = True
    if a.expect_fail_at_last_cell:
        last = len(code_cells) - 1
        if error is None:
            print("run_notebook: expected the verdict cell to fail, but every cell succeeded", file=sys.stderr)
            ok = False
        elif failed != [last]:
            print(f"run_notebook: expected a failure at the verdict cell only, got failures in code cells {failed}:\n{error}", file=sys.stderr)
            ok = False
        early = [(i, p) for i, p in problems if i != last]
        if early:
            print(f"run_notebook: errors on stderr before the verdict cell: {early}", file=sys.stderr)
            ok = False
    else:
        if error is not None:
            print(f"run_notebook: a cell failed:\n{error}", file=sys.stderr)
            ok = False
        for i, p in problems:
            print(f"run_notebook: code cell {i} reported on stderr: {p}", file=sys.stderr)
            ok = False
    if a.expect_img_charts:
        ok = img_charts_ok(out_nb) and ok
    for i in debug_fallbacks:
        print(f"run_notebook: code cell {i} shows a library value in its Debug form (`Html(\"…`): evcxr could "
              "not display it, usually because a variable made in that cell is moved into its last line", file=sys.stderr)
        ok = False
    for text in a.expect_text:
        if text not in all_text:
            print(f"run_notebook: expected `{text}` in the outputs, not found", file=sys.stderr)
            ok = False
    for var in a.forbid_env:
        secret = os.environ.get(var, "")
        if not secret:
            print(f"run_notebook: --forbid-env {var}: the variable is empty", file=sys.stderr)
            ok = False
            continue
        haystacks = {"cell outputs": all_text, "error": error or ""}
        for path in (out_nb, out_html):
            with open(path, encoding="utf-8") as f:
                haystacks[path] = f.read()
        for where, text in haystacks.items():
            if secret in text:
                print(f"run_notebook: the value of {var} appears in {where}", file=sys.stderr)
                ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
