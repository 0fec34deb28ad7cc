"""Training parity with PyTorch: one step's loss and gradients, then 20 SGD steps.

For four seeded networks — a CIFAR ResNet-20, a stack of MobileNetV2 inverted-residual blocks
(depthwise convs, ReLU6), a VGG-style net (MaxPool, `x.view(x.size(0), -1)`) and a small
conv + linear net — this script:

  1. builds the network in PyTorch (seeded), exports it to ONNX (eval mode, BatchNormalization
     nodes kept, no constant folding) and writes a seeded uint8 image set as npz (x, y);
  2. computes PyTorch's loss and every parameter gradient of one training step (train mode,
     batch 32) and compares `pare train --gradients` with them: relative error
     max|pare − torch| / max|torch| per tensor, at most 1e-4;
  3. runs 20 steps of SGD (lr 0.05, momentum 0.9, Nesterov, weight decay 5e-4, batch 32, no
     shuffling, no augmentation, constant schedule) in both and compares every weight and BN
     running statistic of `pare train -o` with PyTorch's, at most 1e-3 relative.

Everything is generated from fixed seeds, so the fixtures are the same on every run; they are
generated here (into WORK) rather than committed, because the four models, data and expected
tensors come to about 8 MB.

    .venv/bin/python tests/train/gradient_parity.py PARE WORK
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 32
SAMPLES = 320          # 10 steps per epoch; 2 epochs = 20 steps
LR, MOMENTUM, WD = 0.05, 0.9, 5e-4
GRAD_TOL, WEIGHT_TOL = 1e-4, 1e-3


def cbr(cin, cout, k=3, stride=1, groups=1, act=nn.ReLU):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), act()]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(*cbr(3, 16))
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(3):
                blocks.append(BasicBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_residual = stride == 1 and cin == cout
        self.body = nn.Sequential(*cbr(cin, hidden, 1, act=nn.ReLU6), *cbr(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                                  nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.body(x) if self.use_residual else self.body(x)


class MobileNetV2Blocks(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(*cbr(3, 16, act=nn.ReLU6))
        self.blocks = nn.Sequential(InvertedResidual(16, 16, 1, 4), InvertedResidual(16, 24, 2, 4),
                                    InvertedResidual(24, 24, 1, 4), InvertedResidual(24, 32, 2, 6))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.mean([2, 3]))


class VGGSmall(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(*cbr(3, 16), *cbr(16, 16), nn.MaxPool2d(2), *cbr(16, 32), *cbr(32, 32), nn.MaxPool2d(2),
                                      *cbr(32, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(64 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class SmallConvNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.fc2 = nn.Linear(32, classes)

    def forward(self, x):
        x = F.avg_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.tanh(self.conv2(x))
        return self.fc2(torch.sigmoid(self.fc1(torch.flatten(x, 1))))


NETS = [("resnet20", ResNet20, (3, 32, 32)), ("mobilenetv2_blocks", MobileNetV2Blocks, (3, 32, 32)),
        ("vgg_small", VGGSmall, (3, 32, 32)), ("small_convnet", SmallConvNet, (1, 28, 28))]


def make(name, cls, shape, work):
    torch.manual_seed(sum(map(ord, name)))
    model = cls()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    path = os.path.join(work, name + ".onnx")
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *shape),), path, dynamo=False, opset_version=17, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    x = rng.integers(0, 256, size=(SAMPLES, *shape), dtype=np.uint8)
    y = rng.integers(0, 10, size=SAMPLES).astype(np.int64)
    data = os.path.join(work, name + ".npz")
    np.savez(data, x=x, y=y)
    return model, path, data, torch.from_numpy(x).float() / 255, torch.from_numpy(y)


def relative(a, b):
    scale = float(np.abs(b).max())
    return float(np.abs(a - b).max()) / (scale if scale > 0 else 1.0)


def pare(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: pare {' '.join(args)}\n{result.stderr}")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    failures = []
    for name, cls, shape in NETS:
        model, path, data, x, y = make(name, cls, shape, work)
        common = ["--data", "npz:" + data, "--batch", str(BATCH), "--no-shuffle", "--no-augment", "--threads", "2"]
        # names of the ONNX initializers are the state_dict keys (no constant folding)
        params = dict(model.named_parameters())

        # 1. one step: loss and gradients
        model.train()
        model.zero_grad()
        loss = F.cross_entropy(model(x[:BATCH]), y[:BATCH])
        loss.backward()
        grads_path = os.path.join(work, name + ".grads.npz")
        pare(binary, "train", path, *common, "--gradients", grads_path, "-o", os.path.join(work, name + ".unused.onnx"))
        got = np.load(grads_path)
        worst = relative(got["loss"], loss.detach().numpy())
        worst_name = "loss"
        for pname, p in params.items():
            if pname not in got:
                failures.append(f"{name}: pare wrote no gradient for {pname}")
                continue
            r = relative(got[pname], p.grad.numpy())
            if r > worst:
                worst, worst_name = r, pname
        print(f"{name}: one step, {len(params)} gradients + loss, worst relative error {worst:.2e} ({worst_name})")
        if worst > GRAD_TOL:
            failures.append(f"{name}: gradient of {worst_name} differs by {worst:.2e} > {GRAD_TOL}")

        # 2. twenty SGD steps from the exported weights
        torch.manual_seed(0)
        model, _, _, _, _ = make(name, cls, shape, work)  # the same seeded weights again
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=WD)
        for epoch in range(2):
            for start in range(0, SAMPLES, BATCH):
                optimizer.zero_grad()
                F.cross_entropy(model(x[start:start + BATCH]), y[start:start + BATCH]).backward()
                optimizer.step()
        trained = os.path.join(work, name + ".trained.onnx")
        pare(binary, "train", path, *common, "--epochs", "2", "--lr", str(LR), "--momentum", str(MOMENTUM), "--nesterov",
             "--weight-decay", str(WD), "--schedule", "constant", "-o", trained)
        onnx.checker.check_model(trained, full_check=True)
        values = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(trained).graph.initializer}
        expected = {k: v.detach().numpy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        worst, worst_name = 0.0, ""
        for key, v in expected.items():
            if key not in values:
                failures.append(f"{name}: the trained model has no initializer {key}")
                continue
            r = relative(values[key].reshape(v.shape), v)
            if r > worst:
                worst, worst_name = r, key
        print(f"{name}: 20 SGD steps, {len(expected)} weights and BN statistics, worst relative error {worst:.2e} ({worst_name})")
        if worst > WEIGHT_TOL:
            failures.append(f"{name}: after 20 steps {worst_name} differs by {worst:.2e} > {WEIGHT_TOL}")
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print(f"training parity: {len(NETS)} networks match PyTorch")


if __name__ == "__main__":
    main()
