"""Equivalence of physical pruning with masking (dependency-graph.md §9.3), through the CLI.

For every model and seeded random plan: `pare prune --plan` writes the pruned model; the
"masked original" zeroes, in a copy of the original, every producer, consumer and norm slice of
the removed channels (positions from `pare groups --json`). Both run in onnxruntime on the same
seeded input; the outputs must agree within 1e-5 · max(1, max|y|). The pruned model must also
pass onnx.checker.check_model(full_check=True). An empty plan must reproduce the original.

    python tests/prune/equivalence.py --pare PARE --models DIR [--plans N] [--seed S]
Prints one line per model and ends with `N passed, N failed`.
"""
import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def run(model_path, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"]).run(None, feeds)


def feeds_for(model, rng):
    feeds = {}
    inits = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        dims = [d.dim_value if d.dim_value > 0 else 2 for d in inp.type.tensor_type.shape.dim]
        feeds[inp.name] = rng.standard_normal(dims).astype(np.float32)
    return feeds


def masked_copy(model, groups, plan):
    """The original with every member slice of the removed channels set to zero."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    tensors = {t.name: t for t in m.graph.initializer}
    for node in m.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    tensors[node.output[0]] = a.t
    arrays = {}
    for gid, removed in plan.items():
        for member in groups[gid]["members"]:
            if member["role"] not in ("producer", "consumer", "norm"):
                continue
            name, axis = member["tensor"], member["axis"]
            if name not in arrays:
                arrays[name] = numpy_helper.to_array(tensors[name]).copy()
            index = [slice(None)] * arrays[name].ndim
            positions = [p for c in removed for p in member["positions"][c]]
            index[axis] = positions
            arrays[name][tuple(index)] = 0
    for name, arr in arrays.items():
        tensors[name].CopyFrom(numpy_helper.from_array(arr, name=tensors[name].name))
    return m


def plan_member(group, groups):
    """How a plan names a group: its first producer weight with its axis, plus the group id when
    that weight axis also feeds other groups (a Split of one conv's outputs)."""
    m = next((m for m in group["members"] if m["role"] == "producer"), group["members"][0])
    entry = {"member": m["tensor"], "axis": m["axis"]}
    shared = [g for g in groups.values() if any(x["tensor"] == m["tensor"] and x["axis"] == m["axis"] for x in g["members"])]
    if len(shared) > 1:
        entry["group"] = group["id"]
    return entry


def random_plans(groups, count, rng):
    prunable = [g for g in groups if g["prunable"] and g["channels"] > 1]
    plans = [{}]  # the empty plan first
    for k in range(count):
        chosen = rng.sample(prunable, max(1, len(prunable) // (1 + k % 3)))
        plan = {}
        for g in chosen:
            n = g["channels"]
            style = (k + g["id"]) % 4
            if style == 0:
                removed = list(range(n - 1))                  # all but the last
            elif style == 1:
                removed = [0, n - 1] if n > 2 else [0]         # first and last
            else:
                removed = sorted(rng.sample(range(n), rng.randint(1, n - 1)))
            plan[g["id"]] = removed
        plans.append(plan)
    return plans


def check_model(pare, path, plans_per_model, seed, work):
    rng = random.Random(seed)
    model = onnx.load(path)
    groups = json.loads(subprocess.run([pare, "groups", path, "--json"], check=True, capture_output=True, text=True).stdout)["groups"]
    by_id = {g["id"]: g for g in groups}
    feeds = feeds_for(model, np.random.default_rng(seed))
    failures = []
    for k, plan in enumerate(random_plans(groups, plans_per_model, rng)):
        plan_path = os.path.join(work, f"plan{k}.json")
        out_path = os.path.join(work, f"pruned{k}.onnx")
        doc = {"groups": [dict(**plan_member(by_id[g], by_id), remove=r) for g, r in plan.items()]}
        with open(plan_path, "w") as f:
            json.dump(doc, f)
        result = subprocess.run([pare, "prune", path, "--plan", plan_path, "-o", out_path], capture_output=True, text=True)
        if result.returncode != 0:
            failures.append(f"plan {k}: pare prune failed: {result.stderr.strip()}")
            continue
        try:
            onnx.checker.check_model(onnx.load(out_path), full_check=True)
        except Exception as e:  # noqa: BLE001 - report any checker failure
            failures.append(f"plan {k}: onnx checker: {str(e).splitlines()[0]}")
            continue
        masked = masked_copy(model, by_id, plan)
        masked_path = os.path.join(work, f"masked{k}.onnx")
        onnx.save(masked, masked_path)
        want = run(masked_path, feeds)
        got = run(out_path, feeds)
        for w, g in zip(want, got):
            if w.shape != g.shape:
                failures.append(f"plan {k}: output shape {g.shape} != {w.shape}")
                break
            tol = 1e-5 * max(1.0, float(np.abs(w).max()))
            err = float(np.abs(w - g).max())
            if err > tol or not np.isfinite(g).all():
                failures.append(f"plan {k}: max |Δ| {err:.3g} > {tol:.3g} ({sum(len(v) for v in plan.values())} channels in {len(plan)} groups)")
                break
        if not plan:
            pruned_bytes = open(out_path, "rb").read()
            if got[0].tobytes() != run(path, feeds)[0].tobytes():
                failures.append("empty plan: outputs differ from the original")
    return failures, len(random_plans(groups, plans_per_model, random.Random(seed)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--models", required=True, help="a folder of .onnx files (searched recursively)")
    ap.add_argument("--plans", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip", action="append", default=[], help="model names to leave out (e.g. the big ones)")
    args = ap.parse_args()
    paths = sorted(p for p in glob.glob(os.path.join(args.models, "**", "*.onnx"), recursive=True)
                   if os.path.splitext(os.path.basename(p))[0] not in args.skip)
    passed = failed = 0
    for path in paths:
        with tempfile.TemporaryDirectory() as work:
            failures, total = check_model(args.pare, path, args.plans, args.seed, work)
        passed += total - len(failures)
        failed += len(failures)
        status = "ok" if not failures else "FAIL"
        print(f"{status:4} {os.path.relpath(path, args.models)}: {total - len(failures)}/{total} plans")
        for f in failures[:5]:
            print(f"       {f}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not paths else 0)


if __name__ == "__main__":
    main()
