#!/usr/bin/env python3
"""Run pare on every hostile input made by make_hostile.py and check that it fails cleanly.

Usage: run_hostile.py --pare PATH --dir OUTDIR [--timeout 20] [--jobs 2]

For each file, `pare check FILE`, `pare inspect FILE`, `pare convert FILE TMP/out.onnx`, `pare groups FILE`
and `pare prune FILE --method l2 --channel-ratio 0.5 -o TMP/out.onnx` each run with a 20-second timeout. Each invocation is one test item and passes when:

  - it ends by itself within the timeout (no hang, no unbounded allocation stall),
  - its exit status is 1 (read, but invalid) or 2 (could not be read); never 0 (every file is invalid),
    never a signal (crash, abort, OOM kill), never anything else,
  - for exit 2, stderr holds exactly one non-empty line (the one-line error message),
  - for convert and prune, the output directory is still empty afterwards: no output file, no data file and no
    leftover temporary file (writes are atomic, a failed conversion leaves nothing behind).

The last line of output is exactly "N passed, M failed"; the exit status is 1 when anything failed.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import tempfile
import time


def run(cmd: list[str], timeout: float) -> dict:
    """Run in a new process group so that a timeout kills pare and anything it spawned."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        timed_out = True
    return {"rc": p.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "timeout": timed_out, "seconds": time.time() - t0}


def judge(r: dict, command: str, leftovers: list[str] | None) -> str | None:
    """None when the invocation failed cleanly as required, else the reason it did not."""
    if r["timeout"]:
        return f"timed out after {r['seconds']:.0f}s"
    rc = r["rc"]
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    if rc == 0:
        return "exit 0 for an invalid file"
    if rc not in (1, 2):
        return f"exit {rc} (expected 1 or 2)"
    if rc == 2:
        lines = [l for l in r["stderr"].splitlines() if l.strip()]
        if len(lines) != 1:
            shown = " | ".join(l.strip()[:120] for l in lines[:3])
            return f"exit 2 with {len(lines)} non-empty stderr lines (expected 1): {shown}"
    if command in ("convert", "prune") and leftovers:
        return f"{command} left files behind: {', '.join(sorted(leftovers))}"
    return None


def test_file(pare: str, path: str, timeout: float) -> list[tuple[str, str | None, str]]:
    results = []
    for command in ("check", "inspect", "convert", "groups", "prune"):
        if command in ("convert", "prune"):
            with tempfile.TemporaryDirectory(prefix="pare-hostile-") as tmp:
                out = os.path.join(tmp, "out.onnx")
                argv = [pare, "convert", path, out] if command == "convert" else \
                    [pare, "prune", path, "--method", "l2", "--channel-ratio", "0.5", "-o", out]
                r = run(argv, timeout)
                leftovers = os.listdir(tmp)
        else:
            r = run([pare, command, path], timeout)
            leftovers = None
        reason = judge(r, command, leftovers)
        first = next((l.strip() for l in r["stderr"].splitlines() if l.strip()), "")
        results.append((command, reason, f"exit {r['rc']}: {first[:160]}"))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", required=True)
    ap.add_argument("--dir", required=True, help="directory made by make_hostile.py")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verbose", action="store_true", help="also print what pare said for passing items")
    args = ap.parse_args()

    pare = os.path.abspath(args.pare)
    if not (os.path.isfile(pare) and os.access(pare, os.X_OK)):
        print(f"run_hostile: pare binary not found or not executable: {pare}", file=sys.stderr)
        return 2
    manifest_path = os.path.join(args.dir, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            files = [e["file"] for e in json.load(f)["files"]]
    else:
        files = sorted(n for n in os.listdir(args.dir) if n.endswith(".onnx"))
    paths = [os.path.abspath(os.path.join(args.dir, n)) for n in files]

    t0 = time.time()
    passed, failed = 0, []
    # Threads suffice: the work happens in the pare child processes.
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futures = {ex.submit(test_file, pare, p, args.timeout): os.path.basename(p) for p in paths}
        all_results = {}
        for fut in cf.as_completed(futures):
            all_results[futures[fut]] = fut.result()
    for name in files:
        for command, reason, said in all_results[name]:
            if reason is None:
                passed += 1
                if args.verbose:
                    print(f"ok   {name} [{command}] {said}")
            else:
                failed.append(f"FAIL {name} [{command}]: {reason} ({said})")
    print(f"run_hostile: {len(files)} files x 5 commands in {time.time() - t0:.0f}s")
    for line in failed:
        print(line)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
