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


def model(path, nodes, inputs, outputs, inits=(), rank=4):
    # Graph outputs declare a shape (onnx's checker requires one), with free dimensions.
    outputs = [helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, [f"d{i}" for i in range(rank)])
               for o in outputs]
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
    batched = os.path.join(work, "batched_relu.onnx")
    model(batched, [helper.make_node("Relu", ["x"], ["y"], name="act")],
          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2, 4, 4])], [y])
    np.save(os.path.join(work, "good.npy"), np.zeros((1, 2, 4, 4), np.float32))
    np.save(os.path.join(work, "double.npy"), np.zeros((1, 2, 4, 4), np.float64))
    np.save(os.path.join(work, "wrong_shape.npy"), np.zeros((1, 3, 4, 4), np.float32))
    open(os.path.join(work, "garbage.npy"), "wb").write(b"\x93NUMPY\x01\x00garbage")
    fifo = os.path.join(work, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    # Hostile values in otherwise well-formed graphs: each must be refused with the node named
    # (run with --force, since onnx's checker would already reject some of them).
    hostile = {}
    def hostile_model(name, nodes, inits, inputs=None, rank=4):
        path = os.path.join(work, f"hostile_{name}.onnx")
        model(path, nodes, [x] if inputs is None else inputs, [y], inits, rank=rank)
        hostile[name] = path
    big = helper.make_tensor("big", TensorProto.INT64, [3], [1 << 30, 1 << 30, 1 << 30])
    hostile_model("huge_constant", [helper.make_node("ConstantOfShape", ["big"], ["y"], name="fill_node")], [big], inputs=[], rank=3)
    scales = helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, float("inf"), 1])
    hostile_model("inf_scales", [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize_node")], [scales])
    hostile_model("zero_stride", [helper.make_node("MaxPool", ["x"], ["y"], name="pool_node", kernel_shape=[2, 2], strides=[0, 1])], [])
    far = helper.make_tensor("far", TensorProto.INT64, [1], [7])
    hostile_model("gather_oob", [helper.make_node("Gather", ["x", "far"], ["y"], name="gather_node", axis=1)], [far])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [5, 7])
    hostile_model("bad_reshape", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_node")], [shape], rank=2)
    hostile_model("dangling_input", [helper.make_node("Add", ["x", "ghost"], ["y"], name="add_node")], [])
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
        # A FIFO has no writer: opening it for reading would block forever.
        ("FIFO as the input file", [ok_model, "--input", f"x={fifo}"], ["fifo", "regular file"]),
        ("FIFO as the model", [fifo, "--input", f"x={work}/good.npy"], ["fifo", "regular file"]),
        ("huge ConstantOfShape", [hostile["huge_constant"], "--force"], ["fill_node", "exceed"]),
        ("infinite Resize scale", [hostile["inf_scales"], "--force", "--input", f"x={work}/good.npy"], ["resize_node", "scales"]),
        ("zero pooling stride", [hostile["zero_stride"], "--force", "--input", f"x={work}/good.npy"], ["pool_node", "positive"]),
        ("Gather index out of range", [hostile["gather_oob"], "--force", "--input", f"x={work}/good.npy"], ["gather_node", "out of range"]),
        ("impossible Reshape", [hostile["bad_reshape"], "--force", "--input", f"x={work}/good.npy"], ["reshape_node", "reshape"]),
        ("invalid model without --force", [hostile["dangling_input"], "--input", f"x={work}/good.npy"], ["invalid", "--force"]),
    ]
    failures = 0
    for label, args, needles in cases:
        if os.path.exists(out):
            for f in os.listdir(out):
                os.remove(os.path.join(out, f))
        r = subprocess.run([pare, "run"] + args + ["--output-dir", out], capture_output=True, text=True, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        written = os.listdir(out) if os.path.exists(out) else []
        warnings = [l for l in lines if "warning:" in l]  # --force notes the checker findings on stderr
        lines = [l for l in lines if l not in warnings]
        good = (r.returncode != 0 and len(lines) == 1 and all(n in lines[0] for n in needles)
                and not written and "Backtrace" not in r.stderr)
        failures += not good
        print(f"{'ok  ' if good else 'FAIL'} {label}: exit {r.returncode}: {' | '.join(lines)[:200]}")
    # run: an --output-dir that is a file (Foundation's error for it was a raw Cocoa code)
    r = subprocess.run([pare, "run", ok_model, "--input", f"x={work}/good.npy", "--output-dir", f"{work}/good.npy"],
                       capture_output=True, text=True, timeout=60)
    good = r.returncode > 0 and "output folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    failures += not good
    print(f"{'ok  ' if good else 'FAIL'} output folder is a file: exit {r.returncode}: {r.stderr.strip()[:200]}")
    # run: an output named like an input file replaced that file (the model's output is 'y').
    clash = os.path.join(work, "clash")
    os.makedirs(clash, exist_ok=True)
    np.save(os.path.join(clash, "y.npy"), np.ones((1, 2, 4, 4), np.float32))
    before = open(os.path.join(clash, "y.npy"), "rb").read()
    r = subprocess.run([pare, "run", ok_model, "--input", f"x={clash}/y.npy", "--output-dir", clash],
                       capture_output=True, text=True, timeout=60)
    intact = open(os.path.join(clash, "y.npy"), "rb").read() == before
    good = (r.returncode > 0 and "output 'y'" in r.stderr and "--output-dir" in r.stderr and intact
            and len(r.stderr.strip().splitlines()) == 1)
    failures += not good
    print(f"{'ok  ' if good else 'FAIL'} output file is an input file: exit {r.returncode}: {r.stderr.strip()[:200]}")
    # bench: a free non-batch dimension needs --shape; inputs larger than any machine's memory
    # (which once ended in an allocation trap), absurd thread and run counts and zero dims are refused.
    bench_cases = [
        ("bench free dimension", [mismatch], ["--shape"]),
        ("bench input beyond memory", [mismatch, "--shape", "x=100000000x2x64x64"], ["'x'", "GB", "--batch"]),
        ("bench batch beyond memory", [batched, "--batch", "1000000000"], ["'x'", "GB", "--batch"]),
        ("bench zero dimension", [mismatch, "--shape", "x=0x2x4x4"], ["--shape", "positive"]),
        ("bench absurd thread count", [ok_model, "--threads", "100000"], ["--threads", "256"]),
        ("bench absurd run count", [ok_model, "--runs", "1000000000"], ["--runs", "100000"]),
        ("bench absurd warm-up count", [ok_model, "--warmup", "1000000000"], ["--warmup", "100000"]),
    ]
    for label, args, needles in bench_cases:
        runs = [] if "--runs" in args else ["--runs", "1"]
        r = subprocess.run([pare, "bench"] + args + runs, capture_output=True, text=True, timeout=60)
        good = (r.returncode > 0 and all(n in r.stderr for n in needles) and len(r.stderr.strip().splitlines()) == 1
                and "Backtrace" not in r.stderr)
        failures += not good
        print(f"{'ok  ' if good else 'FAIL'} {label}: exit {r.returncode}: {r.stderr.strip()[:200]}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
