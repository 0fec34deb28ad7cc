"""Runs onnx's backend node tests through `pare run` and compares with the expected outputs.

A case is relevant when every op of its graph belongs to the op families of the inference
engine (the CNN and Transformer-encoder set below) and its values have types such exports use.
Relevant cases listed in tests/engine/node_manifest.txt are excluded with the reason given there;
every other relevant case must match within rtol 1e-4 / atol 1e-5 (exactly for integers and
booleans). The run fails on any such mismatch, and when a case passes that the manifest excludes
(the manifest must not hide working cases). The pass rate over all relevant cases (exclusions
count as not passing) is printed against the issue's 95% target; `--require-rate R` also fails
the run below R.

usage: node_tests.py PARE_BINARY CASES_DIR [--verbose] [--require-rate 0.95]
"""
import fnmatch
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
from onnx import numpy_helper

FAMILIES = set("""
Conv ConvTranspose MaxPool AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization LayerNormalization
Add Sub Mul Div Pow Sqrt Reciprocal Relu LeakyRelu PRelu Clip Sigmoid HardSigmoid HardSwish Tanh Erf Gelu Exp Log
Neg Abs Softmax LogSoftmax MatMul Gemm ReduceMean ReduceSum ReduceMax Resize Pad Concat Split Slice Reshape Flatten
Transpose Squeeze Unsqueeze Gather Identity Constant ConstantOfShape Shape Cast Dropout Where Equal Expand Range
""".split())

# Element types CNN and encoder exports use (weights may be half or double; indices any integer).
# Cases on 8-, 4- and 2-bit float or integer formats, strings, sequences and optionals test other
# workloads (quantized and LLM kernels) and are not counted as relevant.
TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
         onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16, onnx.TensorProto.INT8,
         onnx.TensorProto.UINT8, onnx.TensorProto.UINT16, onnx.TensorProto.UINT32, onnx.TensorProto.UINT64,
         onnx.TensorProto.BOOL}

HERE = os.path.dirname(os.path.abspath(__file__))


def load_manifest():
    rules = []
    with open(os.path.join(HERE, "node_manifest.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, reason = line.split(None, 1)
            rules.append((pattern, reason))
    return rules


def excluded(name, rules):
    for pattern, reason in rules:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def run_case(pare, folder):
    model = os.path.join(folder, "model.onnx")
    m = onnx.load(model, load_external_data=False)
    data_sets = sorted(d for d in os.listdir(folder) if d.startswith("test_data_set_"))
    for ds in data_sets:
        path = os.path.join(folder, ds)
        if os.path.exists(os.path.join(path, "NOT_TENSORS")):
            return False, "inputs or outputs are not tensors"
        inputs = sorted(f for f in os.listdir(path) if f.startswith("input_"))
        outputs = sorted(f for f in os.listdir(path) if f.startswith("output_"))
        real_inputs = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
        args = []
        for k, f in enumerate(inputs):
            args += ["--input", f"{real_inputs[k].name}={os.path.join(path, f)}"]
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([pare, "run", model, "--output-dir", out] + args, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                return False, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
            for k, f in enumerate(outputs):
                expected = numpy_helper.to_array(onnx.load_tensor(os.path.join(path, f)))
                name = m.graph.output[k].name
                safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in name).strip(".") or "output"
                got = np.load(os.path.join(out, safe + ".npy"))
                if got.shape != expected.shape:
                    return False, f"output {name}: shape {got.shape}, expected {expected.shape}"
                if expected.dtype.kind not in "iub":  # float, half, bfloat16 (ml_dtypes)
                    ok = np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True)
                else:
                    ok = np.array_equal(got.astype(np.int64), expected.astype(np.int64))
                if not ok:
                    diff = np.nanmax(np.abs(got.astype(np.float64) - expected.astype(np.float64))) if got.size else 0
                    return False, f"output {name}: values differ (max abs diff {diff:.3g})"
    return True, ""


def main():
    pare, cases_dir = sys.argv[1], sys.argv[2]
    verbose = "--verbose" in sys.argv
    rules = load_manifest()
    relevant = []
    for name in sorted(os.listdir(cases_dir)):
        m = onnx.load(os.path.join(cases_dir, name, "model.onnx"), load_external_data=False)
        ops = {n.op_type for n in m.graph.node}
        values = list(m.graph.input) + list(m.graph.output)
        typed = all(v.type.HasField("tensor_type") and v.type.tensor_type.elem_type in TYPES for v in values)
        if ops and ops <= FAMILIES and typed and all(n.domain in ("", "ai.onnx") for n in m.graph.node):
            relevant.append(name)
    runnable = [n for n in relevant if not excluded(n, rules)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(relevant, pool.map(lambda n: run_case(pare, os.path.join(cases_dir, n)), relevant)))
    passed = [n for n in runnable if results[n][0]]
    failed = [n for n in runnable if not results[n][0]]
    hidden = [n for n in relevant if excluded(n, rules) and results[n][0]]
    for n in failed:
        print(f"FAIL {n}: {results[n][1]}")
    if verbose:
        for n in relevant:
            if excluded(n, rules):
                print(f"excluded {n}: {excluded(n, rules)} ({'passes' if results[n][0] else results[n][1]})")
    for n in hidden:
        print(f"STALE EXCLUSION {n}: it passes; remove it from node_manifest.txt")
    rate = len(passed) / len(relevant)
    print(f"node tests: {len(relevant)} relevant cases, {len(relevant) - len(runnable)} excluded by the manifest, "
          f"{len(passed)} pass, {len(failed)} fail; pass rate {100 * rate:.1f}% of all relevant cases "
          f"({100 * len(passed) / max(len(runnable), 1):.1f}% of those not excluded)")
    required = float(sys.argv[sys.argv.index("--require-rate") + 1]) if "--require-rate" in sys.argv else 0.0
    print(f"node tests: the 95% target over all relevant cases is {'met' if rate >= 0.95 else 'NOT met'}")
    if rate < required or failed or hidden:
        sys.exit(1)


if __name__ == "__main__":
    main()
