"""Resume is exact: a `pare train` killed with SIGKILL during epoch 2 and resumed from its last
checkpoint ends with weights, BN running statistics and per-epoch losses bit-identical to an
uninterrupted run with the same settings and thread count.

The run exercises every piece of random and schedule state a checkpoint must carry: shuffled data,
random crops and flips (Fashion-MNIST's default augmentation), SGD with Nesterov momentum and
weight decay, and a one-cycle schedule stepped per iteration — 3 epochs of 16,000 images, batch
64, 2 threads. The kill is checked to have landed in epoch 2 (the process was still running,
the checkpoint says epoch 1, and no trained model had been written).

    .venv/bin/python tests/train/resume.py PARE WORK
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train_command(pare, out, checkpoints, extra=()):
    return [pare, "train", os.path.join(ROOT, "fixtures/models/fmnist_cnn.onnx"), "--data", "fashion-mnist",
            "--limit", "16000", "--test-limit", "2000", "--epochs", "3", "--batch", "64", "--lr", "0.05",
            "--nesterov", "--schedule", "onecycle", "--seed", "7", "--threads", "2",
            "--checkpoint-dir", checkpoints, "-o", out, *extra]


def weights(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def losses(path):
    return [(line["epoch"], line["step"], line["loss"], line.get("test_accuracy")) for line in map(json.loads, open(path))]


def main():
    pare, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    whole, whole_ckpt = os.path.join(work, "whole.onnx"), os.path.join(work, "whole_ckpt")
    run = subprocess.run(train_command(pare, whole, whole_ckpt), capture_output=True, text=True)
    assert run.returncode == 0, f"uninterrupted run failed:\n{run.stderr}"
    per_epoch = [line["images_per_s"] for line in map(json.loads, open(os.path.join(work, "whole.metrics.jsonl")))]
    epoch_seconds = 16000 / float(np.median(per_epoch))
    print(f"uninterrupted: 3 epochs, about {epoch_seconds:.1f} s per epoch")

    killed, killed_ckpt = os.path.join(work, "killed.onnx"), os.path.join(work, "killed_ckpt")
    checkpoint = os.path.join(killed_ckpt, "last.safetensors")
    process = subprocess.Popen(train_command(pare, killed, killed_ckpt), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not os.path.exists(checkpoint):
        assert process.poll() is None, "the run ended before writing its first checkpoint"
        assert time.time() < deadline, "no checkpoint after 300 s"
        time.sleep(0.05)
    time.sleep(max(0.5, epoch_seconds / 3))  # well inside epoch 2
    assert process.poll() is None, "the run finished epoch 2 before it could be killed; raise --limit"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    metadata = json.loads(open(checkpoint, "rb").read()[8:8 + int.from_bytes(open(checkpoint, "rb").read(8), "little")])
    assert metadata["__metadata__"]["epoch"] == "1", f"the kill did not land in epoch 2: {metadata['__metadata__']['epoch']}"
    assert not os.path.exists(killed), "a trained model was written before the run finished"
    leftovers = [f for f in os.listdir(killed_ckpt) if f != "last.safetensors"]
    assert not leftovers, f"the killed run left partial files: {leftovers}"
    print("killed with SIGKILL during epoch 2 (checkpoint: epoch 1)")

    resumed = subprocess.run(train_command(pare, killed, killed_ckpt, ["--resume", checkpoint]), capture_output=True, text=True)
    assert resumed.returncode == 0, f"resume failed:\n{resumed.stderr}"
    assert "resuming after epoch 1" in resumed.stderr, resumed.stderr

    a, b = weights(whole), weights(killed)
    assert a.keys() == b.keys()
    differing = [name for name in a if a[name].tobytes() != b[name].tobytes()]
    assert not differing, f"resumed weights differ from the uninterrupted run's: {differing}"
    la, lb = losses(os.path.join(work, "whole.metrics.jsonl")), losses(os.path.join(work, "killed.metrics.jsonl"))
    assert la == lb, f"metrics differ:\n{la}\n{lb}"
    start = weights(os.path.join(ROOT, "fixtures/models/fmnist_cnn.onnx"))
    assert any(start[n].tobytes() != a[n].tobytes() for n in a), "training changed nothing"
    print(f"resume: ok ({len(a)} tensors bit-identical, losses per epoch identical: {[round(l[2], 4) for l in la]})")


if __name__ == "__main__":
    main()
