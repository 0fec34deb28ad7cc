"""Bad input to `pare run` / `pare bench`: each must fail with one line on stderr that names the
input or node, a non-zero exit, and no output file.

usage: bad_input.py PARE_BINARY WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def model(path, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, path)


def main():
    pare, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    ok_model = os.path.join(work, "relu.onnx")
    model(ok_model, [helper.make_node("Relu", ["x"], ["y"], name="act")], [x], [y])
    unsupported = os.path.join(work, "unsupported.onnx")
    model(unsupported, [helper.make_node("Relu", ["x"], ["h"], name="act"),
                        helper.make_node("NonMaxSuppression", ["h"], ["y"], name="nms_node")], [x], [y])
    custom = os.path.join(work, "custom.onnx")
    model(custom, [helper.make_node("Fancy", ["x"], ["y"], name="fancy_node", domain="com.example")], [x], [y])
    mismatch = os.path.join(work, "mismatch.onnx")
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 5, 1, 1], np.ones(15, np.float32))
    model(mismatch, [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_bad")],
          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, "h", "w"])], [y], [w])
    np.save(os.path.join(work, "good.npy"), np.zeros((1, 2, 4, 4), np.float32))
    np.save(os.path.join(work, "double.npy"), np.zeros((1, 2, 4, 4), np.float64))
    np.save(os.path.join(work, "wrong_shape.npy"), np.zeros((1, 3, 4, 4), np.float32))
    open(os.path.join(work, "garbage.npy"), "wb").write(b"\x93NUMPY\x01\x00garbage")
    out = os.path.join(work, "out")
    cases = [
        ("wrong dtype", [ok_model, "--input", f"x={work}/double.npy"], ["'x'", "float"]),
        ("wrong shape", [ok_model, "--input", f"x={work}/wrong_shape.npy"], ["'x'", "[1, 2, 4, 4]"]),
        ("missing input", [ok_model], ["'x'", "missing"]),
        ("unknown input", [ok_model, "--input", f"x={work}/good.npy", "--input", f"z={work}/good.npy"], ["'z'"]),
        ("missing file", [ok_model, "--input", f"x={work}/nope.npy"], ["nope.npy"]),
        ("corrupt file", [ok_model, "--input", f"x={work}/garbage.npy"], ["garbage.npy"]),
        ("unsupported op", [unsupported, "--input", f"x={work}/good.npy"], ["nms_node", "NonMaxSuppression"]),
        ("custom domain", [custom, "--input", f"x={work}/good.npy"], ["fancy_node", "com.example"]),
        ("channel mismatch", [mismatch, "--input", f"x={work}/good.npy"], ["conv_bad", "channels"]),
        ("bad NAME=FILE", [ok_model, "--input", "x"], ["NAME=FILE"]),
    ]
    failures = 0
    for label, args, needles in cases:
        if os.path.exists(out):
            for f in os.listdir(out):
                os.remove(os.path.join(out, f))
        r = subprocess.run([pare, "run"] + args + ["--output-dir", out], capture_output=True, text=True, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        written = os.listdir(out) if os.path.exists(out) else []
        good = (r.returncode != 0 and len(lines) == 1 and all(n in lines[0] for n in needles)
                and not written and "Backtrace" not in r.stderr)
        failures += not good
        print(f"{'ok  ' if good else 'FAIL'} {label}: exit {r.returncode}: {' | '.join(lines)[:200]}")
    # bench: a free non-batch dimension needs --shape
    r = subprocess.run([pare, "bench", mismatch, "--runs", "1"], capture_output=True, text=True, timeout=60)
    good = r.returncode != 0 and "--shape" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    failures += not good
    print(f"{'ok  ' if good else 'FAIL'} bench free dimension: exit {r.returncode}: {r.stderr.strip()[:200]}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
