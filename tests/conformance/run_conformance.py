#!/usr/bin/env python3
"""Run Pare against the conformance corpus made by make_models.py.

Usage: run_conformance.py --pare PATH_TO_PARE --models OUTDIR [--exclusions FILE] [--jobs 2]

For every model of OUTDIR/manifest.json two test items run:

  <name>:convert  `pare convert IN OUT` must succeed on every input the ONNX checker accepts; OUT must then
                  pass onnx.checker.check_model(full_check=True) too; and onnxruntime must give bit-identical
                  outputs for IN and OUT on the stored inputs (byte equality of every output array).
                  When onnxruntime cannot load or run IN itself ("ort-unsupported"), OUT only has to fail
                  the same way; that is recorded as a note, not a failure.
  <name>:check    `pare check IN` must agree with onnx.checker.check_model(IN, full_check=True):
                  exit 0 <=> valid, exit 1 <=> invalid. Exit 2 ("could not read the file") is accepted only
                  for a model the checker rejects. Any other exit status, a signal or a timeout is a failure.

The exclusions file ({"convert": {name: reason}, "check": {name: reason}}) skips items; skipped items are
listed with their reason. The last line of output is exactly "N passed, M failed" (", K skipped" appended
when something was skipped); the exit status is 1 when any non-excluded item failed.

onnxruntime runs on the CPU provider with intra_op_num_threads=1 so that the same graph gives the same bits
on every run; everything else is the default session configuration.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------------------------------
# helpers that run inside the worker processes
# ----------------------------------------------------------------------------------------------------

def first_line(text: str, limit: int = 300) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def onnx_check(path: str, full: bool) -> tuple[bool, str]:
    """The oracle: onnx.checker.check_model on the *path* (so external data and >2 GiB models work)."""
    import onnx
    try:
        onnx.checker.check_model(path, full_check=full)
        return True, ""
    except Exception as e:  # ValidationError, InferenceError, DecodeError, ... all mean "invalid"
        return False, f"{type(e).__name__}: {first_line(str(e)) or repr(e)}"


def run_pare(pare: str, args: list[str], timeout: float) -> dict:
    """Run pare in its own process group so a timeout kills it and anything it started."""
    try:
        p = subprocess.Popen([pare, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    except OSError as e:
        return {"rc": None, "stdout": "", "stderr": str(e), "timeout": False, "error": str(e)}
    try:
        out, err = p.communicate(timeout=timeout)
        return {"rc": p.returncode, "stdout": out.decode("utf-8", "replace"),
                "stderr": err.decode("utf-8", "replace"), "timeout": False}
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        return {"rc": None, "stdout": out.decode("utf-8", "replace"),
                "stderr": err.decode("utf-8", "replace"), "timeout": True}


def describe_rc(r: dict) -> str:
    if r.get("error"):
        return f"could not start pare: {r['error']}"
    if r["timeout"]:
        return "timed out"
    rc = r["rc"]
    if rc is not None and rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit {rc}"


def load_feeds(entry: dict, models_dir: str) -> dict:
    """Inputs keyed by graph-input name: TensorProto files for node cases, .npy for exports."""
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    feeds = {}
    if entry["kind"] == "node":
        base = os.path.join(models_dir, entry["data_dir"])
        for inp in entry["inputs"]:
            t = onnx.TensorProto()
            with open(os.path.join(base, inp["file"]), "rb") as f:
                t.ParseFromString(f.read())
            arr = numpy_helper.to_array(t)
            if arr.dtype.isbuiltin != 1:
                # float8 / int4 / float4 come back as ml_dtypes arrays, which onnxruntime's numpy bridge
                # refuses; hand it the raw bytes tagged with the ONNX element type instead.
                arr = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(
                    arr.view(np.uint8 if arr.dtype.itemsize == 1 else np.uint16), t.data_type)
            feeds[inp["name"]] = arr
    else:
        base = os.path.dirname(os.path.join(models_dir, entry["path"]))
        for inp in entry["inputs"]:
            feeds[inp["name"]] = np.load(os.path.join(base, inp["file"]))
    return feeds


def ort_session(path: str):
    import onnxruntime as ort
    # Expected kernel failures ("ort-unsupported") are reported by the runner; keep ORT's log quiet.
    ort.set_default_logger_severity(4)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # single-threaded kernels: the same graph gives the same bits every run
    so.log_severity_level = 4
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


class RawTensor:
    """An onnxruntime output whose element type numpy cannot express (bfloat16, float8, int4, ...):
    compared by ONNX type, shape and the bytes of the tensor buffer."""

    def __init__(self, value):
        import ctypes
        self.type = value.data_type()
        self.shape = tuple(value.shape())
        self.data = ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes())

    def same(self, other) -> tuple[bool, str]:
        if not isinstance(other, RawTensor):
            return False, "kind differs"
        if (self.type, self.shape) != (other.type, other.shape):
            return False, f"{self.type}{list(self.shape)} vs {other.type}{list(other.shape)}"
        return (self.data == other.data), f"{self.type} bytes differ"


def run_outputs(sess, feeds: dict) -> list:
    """sess.run, falling back to OrtValues read as raw bytes when an output type has no numpy twin."""
    try:
        return sess.run(None, feeds)
    except Exception as e:
        if "No corresponding Numpy type" not in str(e):
            raise
    import onnxruntime as ort
    ort_feeds = {k: v if isinstance(v, ort.OrtValue) else ort.OrtValue.ortvalue_from_numpy(v)
                 for k, v in feeds.items()}
    out = []
    for v in sess.run_with_ort_values(None, ort_feeds):
        out.append(RawTensor(v) if v.is_tensor() else v.numpy())
    return out


def norm_err(e: BaseException, paths: list[str]) -> str:
    """An onnxruntime error message without the file paths, so IN and OUT failures can be compared."""
    s = first_line(str(e), 400)
    for p in paths:
        s = s.replace(p, "<model>")
    return f"{type(e).__name__}: {s}"


def same_value(a, b) -> tuple[bool, str]:
    """Bit-identity of two onnxruntime outputs (arrays, sequences of arrays, maps, None)."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
            return False, "sequence length/kind differs"
        for i, (x, y) in enumerate(zip(a, b)):
            ok, why = same_value(x, y)
            if not ok:
                return False, f"element {i}: {why}"
        return True, ""
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False, "map keys differ"
        for k in a:
            ok, why = same_value(a[k], b[k])
            if not ok:
                return False, f"key {k!r}: {why}"
        return True, ""
    if isinstance(a, RawTensor) or isinstance(b, RawTensor):
        return a.same(b) if isinstance(a, RawTensor) else (False, "kind differs")
    if a is None or b is None:
        return (a is None and b is None), "one value is None"
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        return False, f"dtype {a.dtype} vs {b.dtype}"
    if a.shape != b.shape:
        return False, f"shape {a.shape} vs {b.shape}"
    if a.dtype == object:
        return (a.tolist() == b.tolist()), "string values differ"
    if a.tobytes() == b.tobytes():
        return True, ""
    # Explain the difference: same values with different bits (NaN payload, -0.0) or real differences.
    try:
        if np.array_equal(a, b, equal_nan=True):
            return False, "equal values but different bits (NaN payload or signed zero)"
        if a.dtype.kind in "fc":
            d = np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64)))
            return False, f"values differ (max abs diff {d:.3g})"
    except Exception:
        pass
    return False, "values differ"


def compare_ort(entry: dict, models_dir: str, in_path: str, out_path: str) -> tuple[str | None, list[str]]:
    """Run onnxruntime on IN and OUT. Returns (failure reason or None, notes)."""
    notes: list[str] = []
    paths = [in_path, out_path, os.path.dirname(in_path), os.path.dirname(out_path)]
    try:
        s_in = ort_session(in_path)
    except Exception as e:
        e_in = norm_err(e, paths)
        try:
            ort_session(out_path)
            notes.append(f"ort-unsupported: IN does not load ({e_in}) but OUT loads")
        except Exception as e2:
            e_out = norm_err(e2, paths)
            notes.append("ort-unsupported: IN and OUT fail to load"
                         + (f" the same way: {e_in}" if e_in == e_out else f" differently (IN {e_in} | OUT {e_out})"))
        return None, notes
    try:
        s_out = ort_session(out_path)
    except Exception as e:
        return f"onnxruntime loads IN but not OUT: {norm_err(e, paths)}", notes

    in_names = [i.name for i in s_in.get_inputs()]
    out_names_in = [o.name for o in s_in.get_outputs()]
    out_names_out = [o.name for o in s_out.get_outputs()]
    if out_names_in != out_names_out:
        return f"output names differ: {out_names_in} vs {out_names_out}", notes
    if [i.name for i in s_out.get_inputs()] != in_names:
        return f"input names differ: {in_names} vs {[i.name for i in s_out.get_inputs()]}", notes

    skipped_inputs = [s for s in entry.get("skipped_data", []) if s.startswith("input_")]
    if skipped_inputs:
        notes.append("not run: non-tensor inputs (" + "; ".join(skipped_inputs) + "); compared loading only")
        return None, notes

    feeds = load_feeds(entry, models_dir)
    try:
        r_in = run_outputs(s_in, feeds)
    except Exception as e:
        e_in = norm_err(e, paths)
        try:
            run_outputs(s_out, feeds)
            notes.append(f"ort-unsupported: IN fails to run ({e_in}) but OUT runs")
        except Exception as e2:
            e_out = norm_err(e2, paths)
            notes.append("ort-unsupported: IN and OUT fail to run"
                         + (f" the same way: {e_in}" if e_in == e_out else f" differently (IN {e_in} | OUT {e_out})"))
        return None, notes
    try:
        r_out = run_outputs(s_out, feeds)
    except Exception as e:
        return f"onnxruntime runs IN but OUT fails: {norm_err(e, paths)}", notes

    for k, (a, b) in enumerate(zip(r_in, r_out)):
        ok, why = same_value(a, b)
        if not ok:
            # Tell a converter bug from a non-deterministic operator (unseeded Random*, Bernoulli, ...):
            # if IN disagrees with itself, the comparison proves nothing about Pare.
            r_in2 = run_outputs(ort_session(in_path), feeds)
            if not same_value(r_in[k], r_in2[k])[0]:
                return f"output {out_names_in[k]}: {why}; IN is non-deterministic (differs from itself)", notes
            return f"output {out_names_in[k]} differs between IN and OUT: {why}", notes

    if entry["kind"] == "export":
        # Sanity check against the reference stored at generation time (same machine, same options): a
        # mismatch means the corpus or onnxruntime changed, not that Pare is wrong, so it is only a note.
        base = os.path.dirname(os.path.join(models_dir, entry["path"]))
        for k, fn in enumerate(entry.get("reference_outputs", [])):
            if k < len(r_in) and not same_value(r_in[k], np.load(os.path.join(base, fn)))[0]:
                notes.append(f"warning: IN output {k} differs from the stored reference {fn}")
    return None, notes


def run_case(entry: dict, models_dir: str, pare: str, skip_convert: bool, skip_check: bool,
             timeout: float, marker_dir: str) -> dict:
    """All work for one model. Runs in a worker process; never raises."""
    marker = os.path.join(marker_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", entry["name"]))
    with open(marker, "w"):
        pass  # left behind if this process dies, so the parent knows what was running
    res = {"name": entry["name"], "kind": entry["kind"], "items": {}}
    try:
        in_path = os.path.join(models_dir, entry["path"])
        valid, msg = onnx_check(in_path, full=True)
        res["checker"] = {"valid": valid, "message": msg}
        if not valid:
            basic_valid, _ = onnx_check(in_path, full=False)
            res["checker"]["basic_valid"] = basic_valid

        if not skip_convert:
            res["items"]["convert"] = convert_item(entry, models_dir, pare, timeout, in_path, valid)
        if not skip_check:
            res["items"]["check"] = check_item(pare, timeout, in_path, valid, msg, res["checker"])
    except Exception:
        tb = traceback.format_exc().strip().splitlines()
        reason = f"runner error: {tb[-1]}"
        for aspect, skip in (("convert", skip_convert), ("check", skip_check)):
            if not skip and aspect not in res["items"]:
                res["items"][aspect] = {"status": "fail", "reason": reason, "notes": []}
    finally:
        try:
            os.unlink(marker)
        except OSError:
            pass
    return res


def convert_item(entry, models_dir, pare, timeout, in_path, in_valid) -> dict:
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pare-conformance-") as tmp:
        out_path = os.path.join(tmp, "model.onnx")
        r = run_pare(pare, ["convert", in_path, out_path], timeout)
        if r["rc"] != 0:
            what = describe_rc(r)
            detail = first_line(r["stderr"]) or first_line(r["stdout"])
            if r["rc"] in (1, 2) and not in_valid:
                notes.append(f"pare convert refused a model the checker rejects ({what}: {detail})")
                return {"status": "pass", "reason": "", "notes": notes}
            return {"status": "fail", "reason": f"pare convert {what}: {detail}", "notes": notes}
        if not os.path.isfile(out_path):
            return {"status": "fail", "reason": "pare convert exited 0 but wrote no output file", "notes": notes}
        if in_valid:
            ok, msg = onnx_check(out_path, full=True)
            if not ok:
                return {"status": "fail", "reason": f"output fails onnx.checker (full_check): {msg}",
                        "notes": notes}
        else:
            notes.append("input rejected by onnx.checker; output validity not required")
        reason, more = compare_ort(entry, models_dir, in_path, out_path)
        notes += more
        if reason:
            return {"status": "fail", "reason": reason, "notes": notes}
        return {"status": "pass", "reason": "", "notes": notes}


def check_item(pare, timeout, in_path, valid, msg, checker) -> dict:
    r = run_pare(pare, ["check", "--full-check", in_path], timeout)
    rc = r["rc"]
    notes: list[str] = []
    if not valid and checker.get("basic_valid"):
        notes.append("onnx.checker rejects this only with full_check (shape inference)")
    if rc == 0 and valid:
        return {"status": "pass", "reason": "", "notes": notes}
    if rc in (1, 2) and not valid:
        return {"status": "pass", "reason": "", "notes": notes}
    pare_said = first_line(r["stderr"]) if rc == 2 else ""
    if rc == 1:
        # Quote pare's first error finding (its stdout report), falling back to any first line.
        lines = [l for l in r["stdout"].splitlines() if "error" in l.lower()]
        pare_said = (lines[0].strip()[:300] if lines else first_line(r["stdout"]) or first_line(r["stderr"]))
    if rc in (0, 1, 2):
        verdict = {0: "valid", 1: "invalid", 2: "unreadable"}[rc]
        onnx_says = "valid" if valid else f"invalid ({msg})"
        extra = " [checker accepts it without full_check]" if checker.get("basic_valid") else ""
        return {"status": "fail",
                "reason": f"pare check exit {rc} ({verdict}: {pare_said}) but onnx.checker says {onnx_says}{extra}",
                "notes": notes}
    return {"status": "fail", "reason": f"pare check {describe_rc(r)}: {first_line(r['stderr'])}",
            "notes": notes}


# ----------------------------------------------------------------------------------------------------
# parent process
# ----------------------------------------------------------------------------------------------------

def run_all(entries, models_dir, pare, excl, timeout, jobs) -> dict[str, dict]:
    """Run every case on a pool of `jobs` workers.

    A worker that dies (a segfault in onnxruntime or the checker on a bad OUT) breaks the whole pool. The
    cases that were in flight left a marker file; they are re-run one at a time in a fresh single-worker
    pool to find the culprit, and the remaining cases continue on a new pool.
    """
    results: dict[str, dict] = {}
    marker_dir = tempfile.mkdtemp(prefix="pare-conformance-markers-")
    done_count = [0]
    total = len(entries)
    t0 = time.time()

    def args_for(e):
        return (e, models_dir, pare, e["name"] in excl["convert"], e["name"] in excl["check"], timeout, marker_dir)

    def progress():
        done_count[0] += 1
        if done_count[0] % 100 == 0 or done_count[0] == total:
            print(f"  ... {done_count[0]}/{total} ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)

    def crashed(e):
        reason = "worker process crashed (signal in onnx checker or onnxruntime) while testing this model"
        return {"name": e["name"], "kind": e["kind"], "checker": {},
                "items": {a: {"status": "fail", "reason": reason, "notes": []}
                          for a in ("convert", "check") if e["name"] not in excl[a]}}

    try:
        pending = [e for e in entries if not (e["name"] in excl["convert"] and e["name"] in excl["check"])]
        suspects: list[dict] = []
        while pending or suspects:
            for e in suspects:
                with cf.ProcessPoolExecutor(max_workers=1) as ex:
                    try:
                        results[e["name"]] = ex.submit(run_case, *args_for(e)).result()
                    except cf.process.BrokenProcessPool:
                        results[e["name"]] = crashed(e)
                progress()
            suspects = []
            if not pending:
                break
            broken = False
            with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
                futs = {}
                for e in pending:
                    try:
                        futs[ex.submit(run_case, *args_for(e))] = e
                    except cf.process.BrokenProcessPool:  # a worker already died during submission
                        broken = True
                        break
                for f in cf.as_completed(futs):
                    try:
                        r = f.result()
                        results[r["name"]] = r
                        progress()
                    except cf.process.BrokenProcessPool:
                        broken = True
            pending = []
            if broken:
                in_flight = set(os.listdir(marker_dir))
                for name in in_flight:
                    os.unlink(os.path.join(marker_dir, name))
                for e in entries:
                    if e["name"] in results or (e["name"] in excl["convert"] and e["name"] in excl["check"]):
                        continue
                    key = re.sub(r"[^A-Za-z0-9_.-]", "_", e["name"])
                    (suspects if key in in_flight else pending).append(e)
                if not suspects:
                    # No marker survived (the crash came before run_case started): isolate everything
                    # left, one at a time, so that the loop always makes progress.
                    suspects, pending = pending, []
                print(f"  worker crashed; isolating {len(suspects)} case(s)", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(marker_dir, ignore_errors=True)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pare", required=True, help="path to the pare binary")
    ap.add_argument("--models", required=True, help="directory made by make_models.py")
    ap.add_argument("--exclusions", default=os.path.join(HERE, "exclusions.json"),
                    help="JSON {'convert': {name: reason}, 'check': {...}} (default: %(default)s; '' for none)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per pare invocation (default 300)")
    ap.add_argument("--filter", default="", help="only models whose name contains this substring")
    ap.add_argument("--kind", choices=["node", "export"], help="only this kind of model")
    ap.add_argument("--json-out", help="also write every result to this JSON file")
    ap.add_argument("--verbose", action="store_true", help="print the notes of passing items too")
    args = ap.parse_args()

    pare = os.path.abspath(args.pare)
    if not (os.path.isfile(pare) and os.access(pare, os.X_OK)):
        print(f"run_conformance: pare binary not found or not executable: {pare}", file=sys.stderr)
        return 2
    models_dir = os.path.abspath(args.models)
    with open(os.path.join(models_dir, "manifest.json")) as f:
        manifest = json.load(f)
    excl = {"convert": {}, "check": {}}
    if args.exclusions:
        with open(args.exclusions) as f:
            loaded = json.load(f)
        for k in excl:
            excl[k] = dict(loaded.get(k, {}))

    entries = manifest["models"]
    if args.filter:
        entries = [e for e in entries if args.filter in e["name"]]
    if args.kind:
        entries = [e for e in entries if e["kind"] == args.kind]

    t0 = time.time()
    print(f"run_conformance: {len(entries)} models from {models_dir}, pare = {pare}, {args.jobs} workers",
          flush=True)
    results = run_all(entries, models_dir, pare, excl, args.timeout, args.jobs)

    passed, failed, skipped = 0, [], []
    notes_count: dict[str, int] = {}
    valid_count = invalid_count = 0
    for e in entries:
        r = results.get(e["name"], {"items": {}, "checker": {}})
        chk = r.get("checker", {})
        if "valid" in chk:
            if chk["valid"]:
                valid_count += 1
            else:
                invalid_count += 1
        for aspect in ("convert", "check"):
            label = f"{e['name']}:{aspect}"
            if e["name"] in excl[aspect]:
                skipped.append((label, excl[aspect][e["name"]]))
                continue
            item = r["items"].get(aspect)
            if item is None:
                failed.append((label, "no result (runner bug)"))
                continue
            for n in item["notes"]:
                key = ":".join(n.split(":")[:2]).split("(")[0].strip()[:90]
                notes_count[key] = notes_count.get(key, 0) + 1
                if args.verbose:
                    print(f"NOTE {label}: {n}")
            if item["status"] == "pass":
                passed += 1
            else:
                failed.append((label, item["reason"]))

    stale = sorted({n for a in excl for n in excl[a]} - {e["name"] for e in manifest["models"]})

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"results": results, "excluded": excl}, f, indent=1, sort_keys=True)

    print()
    print("=== summary ===")
    kinds: dict[str, int] = {}
    for e in entries:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print("models: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
          + f"; onnx.checker(full_check): {valid_count} valid, {invalid_count} invalid")
    if manifest.get("export_failures"):
        for x in manifest["export_failures"]:
            print(f"export not generated: {x['name']}: {x['error']}")
    for k, v in sorted(notes_count.items()):
        print(f"notes: {v} x {k}")
    for label, why in skipped:
        print(f"SKIP {label}: {why}")
    for name in stale:
        print(f"warning: exclusion for {name} matches no model in the manifest")
    for label, why in failed:
        print(f"FAIL {label}: {why}")
    print(f"time: {time.time() - t0:.0f}s")
    line = f"{passed} passed, {len(failed)} failed"
    if skipped:
        line += f", {len(skipped)} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
