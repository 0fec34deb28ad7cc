#!/usr/bin/env python3
"""Generate Pare's ONNX conformance corpus.

Usage: make_models.py OUTDIR [--big] [--skip-node] [--skip-exports]

The corpus is not committed: the conformance test command regenerates it, so generation must stay fast
(the default set takes well under a minute on two cores). It holds two kinds of models:

  node/<case>/model.onnx          the ONNX backend node test suite, one single-operator model per case,
  node/<case>/test_data_set_0/    with its inputs and expected outputs as serialized TensorProto files
                                  (input_K.pb / output_K.pb), the layout the ONNX backend tests use.
  export/<name>/model.onnx        real networks exported from PyTorch (random init, never downloaded),
  export/<name>/input_0.npy       a seeded random input, and
  export/<name>/output_K.npy      onnxruntime's output for it (the reference the runner can sanity-check).

OUTDIR/manifest.json lists every model with its kind and paths; run_conformance.py reads only that file.

Everything is seeded (torch.manual_seed, numpy default_rng) so two runs produce the same models and inputs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
import warnings

import numpy as np
import onnx
from onnx import numpy_helper

# Seeds used throughout. One constant per purpose so that adding a model never changes another model's data.
TORCH_SEED = 0
INPUT_SEED = 1234


def log(msg: str) -> None:
    print(f"make_models: {msg}", flush=True)


# ----------------------------------------------------------------------------------------------------
# a. ONNX backend node test suite
# ----------------------------------------------------------------------------------------------------

def _value_kind(type_proto: onnx.TypeProto) -> str:
    """Which TypeProto case a graph input/output has ('tensor_type', 'sequence_type', ...)."""
    return type_proto.WhichOneof("value") or "none"


def _as_tensor_proto(value, name: str, type_proto: onnx.TypeProto):
    """Return a TensorProto for a data-set entry, or None with a reason when it is not a plain tensor.

    The brief limits the corpus to plain tensors, because the runner feeds onnxruntime from TensorProto
    files only. An optional input that actually holds a tensor is still a plain tensor value (onnxruntime
    accepts a bare array for an optional tensor input), so it is kept; sequences, maps and empty optionals
    are skipped and recorded in the manifest.
    """
    kind = _value_kind(type_proto)
    if kind == "optional_type" and type_proto.optional_type.elem_type.WhichOneof("value") == "tensor_type":
        if value is None:
            return None, "optional holding no value"
        kind = "tensor_type"
    if kind != "tensor_type":
        return None, f"{kind} value"
    if isinstance(value, onnx.TensorProto):
        # Cases for types numpy cannot express (float8, int4, ...) already give TensorProto: keep the bytes.
        t = onnx.TensorProto()
        t.CopyFrom(value)
        if not t.name:
            t.name = name
        return t, None
    if isinstance(value, (list, tuple, dict)) or value is None:
        return None, f"{type(value).__name__} value for a tensor input"
    # numpy scalars (np.float32(1.0)) become 0-d arrays.
    return numpy_helper.from_array(np.asarray(value), name), None


def gen_node_suite(outdir: str) -> list[dict]:
    # Importing the case modules prints numpy warnings for deliberate overflows in the test definitions.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        cases = collect_testcases(None)  # None = every op_type (signature checked against onnx 1.23)

    entries = []
    root = os.path.join(outdir, "node")
    os.makedirs(root, exist_ok=True)
    for case in sorted(cases, key=lambda c: c.name):
        if case.model is None or not case.data_sets:
            continue
        case_dir = os.path.join(root, case.name)
        os.makedirs(case_dir, exist_ok=True)
        model_path = os.path.join(case_dir, "model.onnx")
        with open(model_path, "wb") as f:
            f.write(case.model.SerializeToString())

        skipped = []
        ds_rel = None
        # Every case in onnx 1.23 has exactly one data set; write only the first, as the brief asks.
        inputs, outputs = case.data_sets[0]
        ds_dir = os.path.join(case_dir, "test_data_set_0")
        os.makedirs(ds_dir, exist_ok=True)
        ds_rel = os.path.relpath(ds_dir, outdir)
        graph = case.model.graph
        written_inputs = []
        for k, value in enumerate(inputs):
            if k >= len(graph.input):
                skipped.append(f"input_{k}: no matching graph input")
                continue
            vi = graph.input[k]
            tensor, why = _as_tensor_proto(value, vi.name, vi.type)
            if tensor is None:
                skipped.append(f"input_{k} ({vi.name}): {why}")
                continue
            with open(os.path.join(ds_dir, f"input_{k}.pb"), "wb") as f:
                f.write(tensor.SerializeToString())
            written_inputs.append({"index": k, "name": vi.name, "file": f"input_{k}.pb"})
        written_outputs = []
        for k, value in enumerate(outputs):
            if k >= len(graph.output):
                skipped.append(f"output_{k}: no matching graph output")
                continue
            vi = graph.output[k]
            tensor, why = _as_tensor_proto(value, vi.name, vi.type)
            if tensor is None:
                skipped.append(f"output_{k} ({vi.name}): {why}")
                continue
            with open(os.path.join(ds_dir, f"output_{k}.pb"), "wb") as f:
                f.write(tensor.SerializeToString())
            written_outputs.append({"index": k, "name": vi.name, "file": f"output_{k}.pb"})

        entries.append({
            "name": case.name,
            "kind": "node",
            "path": os.path.relpath(model_path, outdir),
            "data_dir": ds_rel,
            "inputs": written_inputs,
            "outputs": written_outputs,
            # Non-empty = the runner cannot feed this model completely and only compares loading.
            "skipped_data": skipped,
            "ir_version": case.model.ir_version,
        })
    return entries


# ----------------------------------------------------------------------------------------------------
# b. Real exports from PyTorch
# ----------------------------------------------------------------------------------------------------

def _cifar_resnet(depth: int):
    """CIFAR ResNet (He et al. 2016, section 4.2): 3 stages of 16/32/64 channels, n BasicBlocks each,
    depth = 6n + 2.

    Shortcut: option B, a 1x1 conv + BN projection when the shape changes (stride 2 or channel change),
    identity otherwise. This is the variant the project's pruning work uses (specs/ocspruner.md: "1x1-conv +
    BN shortcut when shape changes"; ResNet-56 then has 855,770 parameters, which this definition matches),
    and it gives the exporter a real Conv+BN branch rather than option A's Slice/Pad zero padding.
    """
    import torch.nn as nn

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            else:
                self.shortcut = nn.Sequential()

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    class CifarResNet(nn.Module):
        def __init__(self, depth: int, num_classes: int = 10):
            super().__init__()
            assert (depth - 2) % 6 == 0, "CIFAR ResNet depth must be 6n+2"
            n = (depth - 2) // 6
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.relu = nn.ReLU(inplace=True)
            layers = []
            cin = 16
            for stage, cout in enumerate((16, 32, 64)):
                blocks = []
                for b in range(n):
                    stride = 2 if (stage > 0 and b == 0) else 1
                    blocks.append(BasicBlock(cin, cout, stride))
                    cin = cout
                layers.append(nn.Sequential(*blocks))
            self.layer1, self.layer2, self.layer3 = layers
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, num_classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            x = self.avgpool(x).flatten(1)
            return self.fc(x)

    return CifarResNet(depth)


def _build_model(name: str):
    import torchvision
    builders = {
        "resnet18": lambda: torchvision.models.resnet18(weights=None),
        "resnet50": lambda: torchvision.models.resnet50(weights=None),
        "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
        "vgg16_bn": lambda: torchvision.models.vgg16_bn(weights=None),
        "cifar_resnet20": lambda: _cifar_resnet(20),
        "cifar_resnet56": lambda: _cifar_resnet(56),
    }
    return builders[name]()


def _seeded_model(name: str):
    """Build `name` with random init from a fixed seed and random BN statistics, in eval mode.

    Freshly initialised BN layers have mean 0, var 1, weight 1, bias 0, i.e. they are (almost) the
    identity; folding such a BN into the conv changes nothing, so a converter that dropped or mis-applied
    BN would go unnoticed. Randomising the four BN tensors makes BN (and its folding) observable.
    """
    import torch
    torch.manual_seed(TORCH_SEED)
    model = _build_model(name)
    g = torch.Generator().manual_seed(TORCH_SEED + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)   # in [0.5, 1.5): positive, not 1
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
    model.eval()
    return model


def _ort_run(path: str, feeds: dict) -> list:
    """Run onnxruntime with the same options the runner uses, so the stored reference is reproducible."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # single-threaded kernels: bit-reproducible results
    sess = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def _export_one(outdir: str, model_name: str, variant: str, input_shape: tuple) -> dict:
    """Export one model in one variant; return its manifest entry. Raises on failure."""
    import torch
    name = f"{model_name}_{variant}"
    case_dir = os.path.join(outdir, "export", name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)  # a failed earlier run may have left a partial external-data file
    os.makedirs(case_dir)
    model_path = os.path.join(case_dir, "model.onnx")
    model = _seeded_model(model_name)
    x = torch.from_numpy(np.random.default_rng(INPUT_SEED).standard_normal(input_shape, dtype=np.float32))

    common = dict(export_params=True, keep_initializers_as_inputs=False,
                  input_names=["input"], output_names=["output"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter warns that it is deprecated on every call
        if variant == "fold":
            # EVAL lets the exporter's eval peephole fuse every BatchNormalization into the preceding Conv;
            # constant folding then leaves one pre-computed weight per conv (with generated names).
            torch.onnx.export(model, (x,), model_path, dynamo=False, do_constant_folding=True,
                              training=torch.onnx.TrainingMode.EVAL, **common)
        elif variant == "bn":
            # PRESERVE skips the eval peephole (no Conv+BN fusion) and no constant folding keeps the
            # state-dict names ('layer1.0.bn1.running_var', ...) as initializer names.
            torch.onnx.export(model, (x,), model_path, dynamo=False, do_constant_folding=False,
                              training=torch.onnx.TrainingMode.PRESERVE, **common)
        elif variant == "dynamo":
            # torch.export-based exporter (needs onnxscript); weights go to model.onnx.data so the corpus
            # holds at least one external-data model produced by a real tool.
            torch.onnx.export(model, (x,), model_path, dynamo=True, external_data=True,
                              input_names=["input"], output_names=["output"], verbose=False)
        else:
            raise ValueError(variant)

    inp = x.numpy()
    np.save(os.path.join(case_dir, "input_0.npy"), inp)
    # Feed by the model's actual first graph input name: the dynamo exporter may not honour input_names.
    m = onnx.load(model_path, load_external_data=False)
    init_names = {t.name for t in m.graph.initializer}
    in_names = [i.name for i in m.graph.input if i.name not in init_names]
    outs = _ort_run(model_path, {in_names[0]: inp})
    out_files = []
    for k, o in enumerate(outs):
        fn = f"output_{k}.npy"
        np.save(os.path.join(case_dir, fn), o)
        out_files.append(fn)
    files = sorted(os.listdir(case_dir))
    return {
        "name": name,
        "kind": "export",
        "model": model_name,
        "variant": variant,
        "path": os.path.relpath(model_path, outdir),
        "inputs": [{"index": 0, "name": in_names[0], "file": "input_0.npy"}],
        "reference_outputs": out_files,
        "external_data": any(f.endswith(".data") for f in files),
        "files": files,
        "ir_version": m.ir_version,
        "op_types": sorted({n.op_type for n in m.graph.node}),
    }


def gen_exports(outdir: str, big: bool) -> tuple[list[dict], list[dict]]:
    import torch
    # Two cores: keep torch from oversubscribing; results don't depend on it (the reference comes from ORT).
    torch.set_num_threads(1)
    models = [("resnet18", (1, 3, 224, 224)), ("mobilenet_v2", (1, 3, 224, 224)),
              ("cifar_resnet20", (1, 3, 32, 32)), ("cifar_resnet56", (1, 3, 32, 32))]
    if big:
        models += [("resnet50", (1, 3, 224, 224)), ("vgg16_bn", (1, 3, 224, 224))]
    jobs = [(m, v, s) for m, s in models for v in ("fold", "bn")]
    jobs.append(("resnet18", "dynamo", (1, 3, 224, 224)))

    entries, failures = [], []
    for model_name, variant, shape in jobs:
        t0 = time.time()
        try:
            entries.append(_export_one(outdir, model_name, variant, shape))
            log(f"export {model_name}_{variant}: ok ({time.time() - t0:.1f}s)")
        except Exception as e:  # record why and go on: one broken exporter must not hide the rest
            msg = f"{type(e).__name__}: {e}".splitlines()[0][:500]
            failures.append({"name": f"{model_name}_{variant}", "error": msg,
                             "traceback": traceback.format_exc()[-4000:]})
            log(f"export {model_name}_{variant}: FAILED: {msg}")
    return entries, failures


# ----------------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--big", action="store_true", help="also export resnet50 and vgg16_bn (100 MB / 500+ MB)")
    ap.add_argument("--skip-node", action="store_true", help="skip the node suite (for debugging)")
    ap.add_argument("--skip-exports", action="store_true", help="skip the PyTorch exports (for debugging)")
    args = ap.parse_args()

    outdir = os.path.abspath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    t_start = time.time()
    models: list[dict] = []
    notes: dict = {}

    if not args.skip_node:
        t0 = time.time()
        node_entries = gen_node_suite(outdir)
        models += node_entries
        with_skips = [e["name"] for e in node_entries if e["skipped_data"]]
        notes["node_cases"] = len(node_entries)
        notes["node_cases_with_skipped_data"] = with_skips
        log(f"node suite: {len(node_entries)} cases ({len(with_skips)} with non-tensor data skipped) "
            f"in {time.time() - t0:.1f}s")

    export_failures: list[dict] = []
    if not args.skip_exports:
        t0 = time.time()
        export_entries, export_failures = gen_exports(outdir, args.big)
        models += export_entries
        log(f"exports: {len(export_entries)} ok, {len(export_failures)} failed in {time.time() - t0:.1f}s")

    manifest = {
        "generator": "tests/conformance/make_models.py",
        "onnx_version": onnx.__version__,
        "big": args.big,
        "models": models,
        "export_failures": export_failures,
        "notes": notes,
        "generation_seconds": round(time.time() - t_start, 1),
    }
    try:
        import onnxruntime, torch
        manifest["onnxruntime_version"] = onnxruntime.__version__
        manifest["torch_version"] = torch.__version__
    except Exception:
        pass
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    log(f"wrote {len(models)} models to {outdir}/manifest.json in {time.time() - t_start:.1f}s")
    # Export failures are recorded, not fatal: the runner tests whatever exists.
    return 0


if __name__ == "__main__":
    sys.exit(main())
