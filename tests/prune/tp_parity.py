"""Parity with Torch-Pruning (dependency-graph.md §9.5–9.6), for the torchvision exports of
tests/prune/make_models.py (initializer names = state_dict keys, BatchNormalization kept):

1. groups: Torch-Pruning's DependencyGraph groups (classifier ignored) and the prunable groups of
   `pare groups --json` have the same member parameters (one Torch-Pruning BatchNorm member is
   the ONNX scale, shift, mean and variance) and the same channel counts;
2. one seeded random removal plan, applied by Torch-Pruning (then exported to ONNX) and by
   `pare prune --plan`, gives onnxruntime outputs within 1e-4 · max(1, max|y|);
3. MACs: `pare inspect --json` equals torch_pruning.utils.count_ops_and_params within 1%
   (ResNet-18, ResNet-50, MobileNetV2).

    python tests/prune/tp_parity.py --pare PARE --models DIR/torchvision
Ends with `N passed, N failed`.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch_pruning as tp

sys.path.insert(0, os.path.dirname(__file__))
import make_models  # noqa: E402  (the same model definitions)

CLASSIFIER = {"resnet18": "fc", "resnet50": "fc", "mobilenet_v2": "classifier.1", "vgg16_bn": "classifier.6",
              "resnet56": "linear"}
INPUT = {"resnet56": (1, 3, 32, 32)}


def load(name, folder):
    make = {**make_models.TORCHVISION, **make_models.BIG}[name][0]
    model = make().eval()
    model.load_state_dict(torch.load(os.path.join(folder, name + ".pt"), weights_only=True))
    return model


def tp_members(DG, group):
    """(parameter name, axis) pairs a Torch-Pruning group slices."""
    members = set()
    for dep, _ in group:
        module = dep.target.module
        name = DG._module2name.get(module)
        out = DG.is_out_channel_pruning_fn(dep.handler)
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            # A depthwise conv is pruned on its outputs whichever side the group reached it from.
            depthwise = isinstance(module, nn.Conv2d) and module.groups == module.in_channels == module.out_channels > 1
            if out or depthwise:
                members.add((name + ".weight", 0))
                if module.bias is not None:
                    members.add((name + ".bias", 0))
            else:
                members.add((name + ".weight", 1))
        elif isinstance(module, nn.BatchNorm2d):
            for p in ("weight", "bias", "running_mean", "running_var"):
                members.add((f"{name}.{p}", 0))
    return frozenset(members)


def ort_run(path, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


def check(name, folder, pare, seed, work):
    failures = []
    model = load(name, folder)
    shape = INPUT.get(name, (1, 3, 224, 224))
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    onnx_path = os.path.join(folder, name + ".onnx")
    classifier = model.get_submodule(CLASSIFIER[name])
    DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
    tp_groups = list(DG.get_all_groups(ignored_layers=[classifier]))
    ours = json.loads(subprocess.run([pare, "groups", onnx_path, "--json"], check=True, capture_output=True, text=True).stdout)["groups"]
    ours = [g for g in ours if g["prunable"]]
    our_sets = {frozenset((m["tensor"], m["axis"]) for m in g["members"]): g for g in ours}
    theirs = {}
    for group in tp_groups:
        theirs[tp_members(DG, group)] = group
    # 1. groups
    only_tp = [s for s in theirs if s not in our_sets]
    only_ours = [s for s in our_sets if s not in theirs]
    for s in only_tp:
        failures.append(f"groups: Torch-Pruning group not in pare: {sorted(s)[:4]}… ({len(s)} members)")
    for s in only_ours:
        failures.append(f"groups: pare group not in Torch-Pruning: {sorted(s)[:4]}… ({len(s)} members)")
    for s, group in theirs.items():
        if s in our_sets and len(group[0].idxs) != our_sets[s]["channels"]:
            failures.append(f"groups: channel count {our_sets[s]['channels']} vs Torch-Pruning {len(group[0].idxs)} for {sorted(s)[0]}")
    print(f"  {name}: {len(theirs)} Torch-Pruning groups, {len(our_sets)} pare prunable groups, "
          f"{len(theirs) - len(only_tp)} identical")
    if failures:
        return failures, 1
    # 2. the same random plan in both
    rng = random.Random(seed)
    plan_entries, tp_plan = [], []
    for s, group in theirs.items():
        g = our_sets[s]
        root_module = group[0].dep.target.module
        root_name = DG._module2name[root_module] + ".weight"
        root_member = next(m for m in g["members"] if m["tensor"] == root_name and m["axis"] == 0)
        position_to_channel = {m[0]: c for c, m in enumerate(root_member["positions"])}
        n = g["channels"]
        remove_positions = sorted(rng.sample(range(n), rng.randint(1, n // 2)))
        plan_entries.append({"group": g["id"], "remove": sorted(position_to_channel[p] for p in remove_positions)})
        tp_plan.append((root_module, group[0].dep.handler, remove_positions))
    for module, handler, idxs in tp_plan:
        DG.get_pruning_group(module, handler, idxs).prune()
    tp_path = os.path.join(work, name + "_tp.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (x,), tp_path, dynamo=False, opset_version=17, input_names=["input"])
    plan_path, ours_path = os.path.join(work, "plan.json"), os.path.join(work, name + "_pare.onnx")
    with open(plan_path, "w") as f:
        json.dump({"groups": plan_entries}, f)
    result = subprocess.run([pare, "prune", onnx_path, "--plan", plan_path, "-o", ours_path], capture_output=True, text=True)
    if result.returncode != 0:
        return failures + [f"plan: pare prune failed: {result.stderr.strip()}"], 2
    a, b = ort_run(tp_path, x.numpy()), ort_run(ours_path, x.numpy())
    tol = 1e-4
    err = float(np.abs(a - b).max())
    print(f"  {name}: random plan ({sum(len(e['remove']) for e in plan_entries)} channels in {len(plan_entries)} groups): "
          f"max |Δ| vs Torch-Pruning = {err:.2e} (tolerance {tol:.1e})")
    if a.shape != b.shape or err > tol:
        failures.append(f"plan: outputs differ from Torch-Pruning's by {err:.3g} (> {tol:.3g})")
    return failures, 2


def macs(name, folder, pare):
    model = load(name, folder)
    x = torch.randn(*INPUT.get(name, (1, 3, 224, 224)))
    theirs, _ = tp.utils.count_ops_and_params(model, x)
    out = subprocess.run([pare, "inspect", os.path.join(folder, name + ".onnx"), "--json"], check=True, capture_output=True, text=True)
    ours = json.loads(out.stdout)["macs"]
    diff = abs(ours - theirs) / theirs
    print(f"  {name}: MACs pare {ours:,} vs Torch-Pruning {int(theirs):,} ({diff * 100:.3f}% apart)")
    return [] if diff <= 0.01 else [f"MACs differ by {diff * 100:.2f}%"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    names = [n for n in ("resnet18", "mobilenet_v2", "resnet56", "resnet50", "vgg16_bn")
             if os.path.exists(os.path.join(args.models, n + ".onnx"))]
    passed = failed = 0
    for name in names:
        with tempfile.TemporaryDirectory() as work:
            failures, checks = check(name, args.models, args.pare, args.seed, work)
        if name in ("resnet18", "resnet50", "mobilenet_v2"):
            failures += macs(name, args.models, args.pare)
            checks += 1
        for f in failures:
            print(f"FAIL {name}: {f}")
        failed += len(failures)
        passed += max(0, checks - len(failures))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not names else 0)


if __name__ == "__main__":
    main()
