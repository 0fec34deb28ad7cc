"""Real exported graphs through `pare run`, compared with onnxruntime on the same input.

Each model is a torchvision (or CIFAR ResNet-56) network with random weights and randomized
BatchNorm statistics, exported once (seeded) with BatchNormalization nodes kept, so the engine's
Conv+BN folding is exercised. Passing means max|pare − ort| ≤ 1e-4 · max|ort| on every output.
A transformer encoder layer (MatMul, Softmax, LayerNormalization, Gelu/Erf) is included.

usage: real_graphs.py PARE_BINARY WORK_DIR [--big] [--only NAME ...]
  default set: resnet18, mobilenet_v2, shufflenet_v2, densenet121, efficientnet_b0, resnet56, encoder
  --big adds resnet50 and vgg16_bn (the benchmark script runs those)
"""
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "prune"))
from make_models import CifarResNet, randomize  # noqa: E402


class Encoder(nn.Module):
    """Two Transformer encoder layers over 16 tokens, as a small text or ViT head would export."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.1,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(), (1, 3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), (1, 3, 224, 224)),
    "shufflenet_v2": (lambda: torchvision.models.shufflenet_v2_x1_0(), (1, 3, 224, 224)),
    "densenet121": (lambda: torchvision.models.densenet121(), (1, 3, 224, 224)),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(), (1, 3, 224, 224)),
    "resnet56": (lambda: CifarResNet(), (4, 3, 32, 32)),
    "encoder": (lambda: Encoder(), (2, 16, 64)),
}
BIG = {
    "resnet50": (lambda: torchvision.models.resnet50(), (1, 3, 224, 224)),
    "vgg16_bn": (lambda: torchvision.models.vgg16_bn(), (1, 3, 224, 224)),
}


def export(name, make, shape, path):
    torch.manual_seed(sum(map(ord, name)))
    model = randomize(make())
    x = torch.randn(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, input_names=["input"],
                          output_names=["output"], do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)


def check(pare, name, path, shape):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"input": x})
    ref = expected[0]
    scale = float(np.abs(ref).max())
    worst = 0.0
    # Two threads (the benchmark setting) and three: an odd count leaves some layers fewer work
    # blocks than threads (batch-4 CIFAR images), which once trapped.
    for threads in ("2", "3"):
        with tempfile.TemporaryDirectory() as work:
            np.save(os.path.join(work, "x.npy"), x)
            r = subprocess.run([pare, "run", path, "--input", f"input={work}/x.npy", "--output-dir", work,
                                "--threads", threads], capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                return False, f"{threads} threads: exit {r.returncode}: {r.stderr.strip()[-300:]}"
            got = np.load(os.path.join(work, "output.npy"))
        if got.shape != ref.shape:
            return False, f"{threads} threads: shape {got.shape}, onnxruntime {ref.shape}"
        worst = max(worst, float(np.abs(got - ref).max()))
    return worst <= 1e-4 * scale, f"max|diff| {worst:.3g} = {worst / scale:.2g} of max|output| {scale:.3g} (2 and 3 threads)"


def main():
    pare, work = sys.argv[1], sys.argv[2]
    models = dict(MODELS)
    if "--big" in sys.argv:
        models.update(BIG)
    if "--only" in sys.argv:
        names = sys.argv[sys.argv.index("--only") + 1:]
        models = {n: {**MODELS, **BIG}[n] for n in names}
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, (make, shape) in models.items():
        path = os.path.join(work, name + ".onnx")
        if not os.path.exists(path):
            export(name, make, shape, path)
        ok, detail = check(pare, name, path, shape)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name} {list(shape)}: {detail}", flush=True)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
