"""Bad input to `pare train` / `pare eval`: each case must fail before the first training step with
one line on stderr that names what is wrong (the input, output, file or option), a non-zero exit,
and no output model or metrics log.

    .venv/bin/python tests/train/bad_input.py PARE WORK
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CNN = os.path.join(ROOT, "fixtures/models/fmnist_cnn.onnx")


def save(path, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def linear_classifier(path, channels, size, classes):
    """Flatten → Gemm: a model for `channels`×`size`×`size` images with `classes` logits."""
    features = channels * size * size
    w = helper.make_tensor("w", TensorProto.FLOAT, [classes, features], np.full(classes * features, 0.01, np.float32))
    b = helper.make_tensor("b", TensorProto.FLOAT, [classes], np.zeros(classes, np.float32))
    save(path, [helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                helper.make_node("Gemm", ["flat", "w", "b"], ["logits"], name="fc", transB=1)],
         [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", channels, size, size])],
         [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", classes])], [w, b])


def main():
    pare, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    path = lambda name: os.path.join(work, name)
    linear_classifier(path("size32.onnx"), 1, 32, 10)
    linear_classifier(path("rgb.onnx"), 3, 28, 10)
    linear_classifier(path("five_classes.onnx"), 1, 28, 5)
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 1, 28, 28])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 784])
    save(path("no_weights.onnx"), [helper.make_node("Flatten", ["image"], ["logits"], name="flatten")], [image], [logits])
    # A weight that reaches the logits only through Shape, which has no gradient.
    w = helper.make_tensor("w", TensorProto.FLOAT, [4], np.ones(4, np.float32))
    save(path("shape_only.onnx"), [
        helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
        helper.make_node("Shape", ["w"], ["w_shape"], name="shape_of_w"),
        helper.make_node("Cast", ["w_shape"], ["w_size"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Add", ["flat", "w_size"], ["logits"], name="add")], [image], [logits], [w])
    np.savez(path("no_y.npz"), x=np.zeros((8, 1, 28, 28), np.uint8))
    np.savez(path("bad_labels.npz"), x=np.zeros((8, 1, 28, 28), np.uint8), y=np.array([0, 1, 2, 3, 4, 5, 6, 42]))
    np.savez(path("count_mismatch.npz"), x=np.zeros((8, 1, 28, 28), np.uint8), y=np.zeros(5, np.int64))

    out = path("out.onnx")
    cnn_copy = path("cnn_copy.onnx")
    pipe = path("pipe")
    if not os.path.exists(pipe):
        os.mkfifo(pipe)
    with open(CNN, "rb") as f:
        cnn_bytes = f.read()
    with open(cnn_copy, "wb") as f:
        f.write(cnn_bytes)
    train = lambda model, data, *extra: [pare, "train", model, "--data", data, "-o", out, *extra]
    cases = [
        ("image size does not fit", train(path("size32.onnx"), "fashion-mnist"), ["32×32", "28×28", "--fit"]),
        ("channel count does not fit", train(path("rgb.onnx"), "fashion-mnist"), ["3-channel", "image"]),
        ("fewer logits than classes", train(path("five_classes.onnx"), "fashion-mnist"), ["logits", "10 classes"]),
        ("no weights at all", train(path("no_weights.onnx"), "fashion-mnist"), ["no trainable"]),
        ("weight reaches the output only through Shape", train(path("shape_only.onnx"), "fashion-mnist"), ["no trainable"]),
        ("missing npz file", train(CNN, "npz:" + path("absent.npz")), ["absent.npz"]),
        ("missing data folder", train(CNN, "fashion-mnist:" + path("absent_dir")), ["absent_dir"]),
        ("missing CIFAR folder", train(CNN, "cifar10:" + path("absent_cifar")), ["absent_cifar"]),
        ("npz without labels", train(CNN, "npz:" + path("no_y.npz")), ["no_y.npz", "'y'"]),
        ("label outside the model's classes", train(CNN, "npz:" + path("bad_labels.npz")), ["bad_labels.npz", "42"]),
        ("image and label counts differ", train(CNN, "npz:" + path("count_mismatch.npz")), ["count_mismatch.npz"]),
        ("unknown data set name", train(CNN, "imagenet"), ["imagenet"]),
        ("missing model", train(path("absent_model.onnx"), "fashion-mnist"), ["absent_model.onnx"]),
        ("unknown schedule", train(CNN, "fashion-mnist", "--schedule", "triangle"), ["--schedule", "triangle"]),
        ("resume from a file that is not a checkpoint", train(CNN, "fashion-mnist", "--resume", CNN), ["fmnist_cnn.onnx"]),
        ("negative gradient-norm bound", train(CNN, "fashion-mnist", "--clip-norm=-1"), ["--clip-norm", "positive"]),
        ("NaN gradient-norm bound", train(CNN, "fashion-mnist", "--clip-norm", "nan"), ["--clip-norm", "nan"]),
        ("absurd thread count", train(CNN, "fashion-mnist", "--threads", "100000"), ["--threads", "100000", "256"]),
        ("eval: absurd thread count", [pare, "eval", CNN, "--data", "fashion-mnist", "--threads", "257"], ["--threads", "257"]),
        ("output is a folder", [pare, "train", CNN, "--data", "fashion-mnist", "-o", work], ["folder", "model.onnx"]),
        ("output folder missing", [pare, "train", CNN, "--data", "fashion-mnist", "-o", path("absent_dir/out.onnx")],
         ["absent_dir", "create the folder"]),
        ("checkpoint folder under a file", train(CNN, "fashion-mnist", "--checkpoint-dir", CNN + "/ck"),
         ["checkpoint folder", "not a folder"]),
        # A metrics log on another file replaced it after the first epoch (the model itself,
        # quietly); one that could not be written lost the whole run at the end.
        ("metrics log names the model", train(cnn_copy, "fashion-mnist", "--metrics", cnn_copy), ["--metrics", "is also the model"]),
        ("metrics log names the output", train(CNN, "fashion-mnist", "--metrics", out), ["--metrics", "is also -o"]),
        ("metrics log names the data", train(CNN, "npz:" + path("no_y.npz"), "--metrics", path("no_y.npz")),
         ["--metrics", "is also the --data file"]),
        ("metrics log is a folder", train(CNN, "fashion-mnist", "--metrics", work), ["folder", "metrics.jsonl"]),
        # Checked with the other options now; they were found only after loading the data (the
        # warm-up one under a generic "Error:"), and a NaN momentum was called negative.
        ("negative warm-up", train(CNN, "fashion-mnist", "--warmup=-5"), ["--warmup", "-5"]),
        ("warm-up longer than the run", train(CNN, "fashion-mnist", "--limit", "640", "--warmup", "100"), ["warm-up", "--warmup"]),
        ("one-cycle run too short to ramp", train(CNN, "fashion-mnist", "--limit", "128", "--schedule", "onecycle"),
         ["one-cycle", "more iterations"]),
        ("NaN momentum", train(CNN, "fashion-mnist", "--momentum", "nan"), ["--momentum", "nan"]),
        # A FIFO stands in for /dev/null: a binary that got this wrong must not damage /dev.
        ("output is a pipe without --metrics", [pare, "train", CNN, "--data", "fashion-mnist", "-o", pipe], ["pipe", "--metrics"]),
        ("eval: NaN normalisation", [pare, "eval", CNN, "--data", "fashion-mnist", "--normalize", "nan,1"], ["--normalize", "finite"]),
        ("eval: image size does not fit", [pare, "eval", path("size32.onnx"), "--data", "fashion-mnist"], ["--fit"]),
        ("eval: missing data file", [pare, "eval", CNN, "--data", "npz:" + path("absent.npz")], ["absent.npz"]),
    ]
    failures = 0
    for name, cmd, expected in cases:
        for stale in (out, path("out.metrics.jsonl")):
            if os.path.exists(stale):
                os.remove(stale)
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        problems = []
        if run.returncode == 0:
            problems.append("exit 0")
        if run.returncode < 0:
            problems.append(f"crashed with signal {-run.returncode}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr")
        missing = [e for e in expected if e not in run.stderr]
        if missing:
            problems.append(f"message lacks {missing}")
        if "epoch" in run.stderr or "pare: training " in run.stderr:
            problems.append("training started")
        if os.path.exists(out) or os.path.exists(path("out.metrics.jsonl")):
            problems.append("wrote an output")
        status = "ok  " if not problems else "FAIL"
        print(f"{status} {name}: {run.stderr.strip()[:200]}" + (f"  <- {'; '.join(problems)}" if problems else ""))
        failures += bool(problems)
    with open(cnn_copy, "rb") as f:
        assert f.read() == cnn_bytes, "the model named by --metrics was changed"
    assert failures == 0, f"{failures} of {len(cases)} bad-input cases misbehaved"
    print(f"bad input: ok ({len(cases)} cases)")


if __name__ == "__main__":
    main()
