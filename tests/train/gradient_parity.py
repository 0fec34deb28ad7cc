"""Training parity with PyTorch, step for step, on four seeded networks.

A CIFAR ResNet-20, a stack of MobileNetV2 inverted-residual blocks (depthwise convs, ReLU6), a
VGG-style net (MaxPool, `x.view(x.size(0), -1)`) and a small conv + linear net were built in
PyTorch from fixed seeds, exported to ONNX (BatchNormalization nodes kept, no constant folding)
with seeded uint8 image sets (npz x, y) and committed in fixtures/parity/ (3 MB) by this
script's `--regenerate`, so a change of PyTorch's RNG or exporter cannot silently change what
is tested. `pare train` then runs 20 steps of SGD (lr 0.01,
momentum 0.9, Nesterov, weight decay 5e-4, batch 32, no shuffling or augmentation, constant
schedule) with `--trace`, which records every step's loss, gradients and the inputs of its
ReLU/Clip/MaxPool nodes.

Why a replay. Two correct float32 implementations round differently, and a ReLU input that lies
within rounding of zero can fall on either side: at batch 32 a ResNet-20 has ~6 million ReLU
inputs per step, and PyTorch's own float32 gradients differ from its float64 ones by up to 1e-2
(relative) for that reason alone. Once one step differs, later steps move more inputs across
kinks, and after 20 steps at this learning rate PyTorch float32 and PyTorch float64 disagree
by up to 100% on some BN biases. A comparison with PyTorch float32 at 1e-4 would therefore test
luck. So the reference is PyTorch in float64 (exact for our purposes) on the same branches:

  1. a float64 PyTorch evaluation of the ONNX graph is first checked against the nn.Module
     itself (loss and every gradient within 1e-9), so it computes exactly what PyTorch computes;
  2. every step is replayed in float64 — forward in training mode, autograd backward,
     torch.optim.SGD, BN running statistics updated by F.batch_norm — taking each ReLU, Clip
     and MaxPool branch from Pare's traced input, and only where Pare's branch differs from the
     float64 one *and* the float64 value lies within 1e-4 (relative) of the kink; a branch
     differing anywhere else fails the test;
  3. each step's loss and every gradient must match within 1e-4 relative
     (max|pare − ref| / max|ref|; a gradient that is exactly zero by structure must be below
     1e-4 of the step's largest gradient), and after 20 steps every weight and BN running
     statistic of `pare train -o` within 1e-3 relative.

For context the script also prints how far plain PyTorch float32 (nn.Module, torch.optim.SGD,
holding the fixture's weights) lands from the float64 replay. Pare's traces (several hundred MB
for the ResNet) and trained models go into WORK.

    .venv/bin/python tests/train/gradient_parity.py PARE WORK
    .venv/bin/python tests/train/gradient_parity.py --regenerate    # rewrite fixtures/parity/

For diagnosis: PARITY_ONLY=resnet20,vgg_small picks networks, PARITY_STEPS and PARITY_LR change
the run, PARITY_DEBUG=1 prints every step and every tensor. (At lr 0.05 on this random-label
data the ResNet's training is chaotic: rounding differences grow about 2× per step even on the
same branches, and by step 11 the float64 replay and Pare land on different sides of kinks
that are not within rounding; lr 0.01 is the default for that reason.)
"""
import copy
import glob
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 32
SAMPLES = 320          # 10 steps per epoch; 2 epochs = 20 steps
STEPS = int(os.environ.get("PARITY_STEPS", "20"))
LR, MOMENTUM, WD = float(os.environ.get("PARITY_LR", "0.01")), 0.9, 5e-4
GRAD_TOL, WEIGHT_TOL, KINK_TOL, SELF_TOL = 1e-4, 1e-3, 1e-4, 1e-9


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


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet of depth 6n + 2 (bench/train uses it at depth 56)."""

    def __init__(self, depth=20, in_channels=3, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(*cbr(in_channels, 16))
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
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


NETS_ALL = [("resnet20", CifarResNet, (3, 32, 32)), ("mobilenetv2_blocks", MobileNetV2Blocks, (3, 32, 32)),
        ("vgg_small", VGGSmall, (3, 32, 32)), ("small_convnet", SmallConvNet, (1, 28, 28))]
NETS = [n for n in NETS_ALL if not os.environ.get("PARITY_ONLY") or n[0] in os.environ["PARITY_ONLY"].split(",")]


def export_trainable(model, shape, path):
    """ONNX as `pare train` wants it: BatchNormalization nodes kept (training mode preserved, no
    constant folding), a free batch dimension, input 'input' and output 'logits'."""
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *shape),), path, dynamo=False, opset_version=17, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "parity")


def data_name(shape):
    """One image set per input shape (the three 32×32 nets share ResNet-20's)."""
    return "images_%dx%dx%d.npz" % shape


def make(name, cls, shape, out):
    """The fixtures of one net: its seeded weights exported to ONNX, and (once per shape) seeded
    uint8 images with labels."""
    torch.manual_seed(sum(map(ord, name)))
    model = cls()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    export_trainable(model, shape, os.path.join(out, name + ".onnx"))
    data = os.path.join(out, data_name(shape))
    if not os.path.exists(data):
        rng = np.random.default_rng(sum(map(ord, name)) + 1)
        x = rng.integers(0, 256, size=(SAMPLES, *shape), dtype=np.uint8)
        y = rng.integers(0, 10, size=SAMPLES).astype(np.int64)
        np.savez(data, x=x, y=y)


def load(name, cls, shape):
    """The committed fixtures of one net: the ONNX model, an nn.Module holding its weights (for
    the self-check and the float32 comparison), the npz path and its images as float64."""
    path = os.path.join(FIXTURES, name + ".onnx")
    data = os.path.join(FIXTURES, data_name(shape))
    model = cls()
    graph = onnx.load(path).graph
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    # The exporter keeps one copy of equal buffers (the BN running statistics, all zeros or ones)
    # and names the others through Identity nodes.
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    state = model.state_dict()
    missing = [k for k in state if not k.endswith("num_batches_tracked") and k not in values]
    if missing:
        sys.exit(f"FAIL: {path} has no initializer {missing[0]} (regenerate: gradient_parity.py --regenerate)")
    model.load_state_dict({k: values[k].reshape(v.shape) if k in values else v for k, v in state.items()})
    arrays = np.load(data)
    return model, path, data, torch.from_numpy(arrays["x"]).double() / 255, torch.from_numpy(arrays["y"])


class GraphReplay:
    """The ONNX graph evaluated by PyTorch in float64, in training mode, with its initializers as
    leaves. `branches` (value name → Pare's float32 value) fixes the side each ReLU/Clip/MaxPool
    element takes; elements where that differs from float64's own side are counted in `flips`
    and must lie within KINK_TOL of the kink."""

    def __init__(self, path, trainable):
        graph = onnx.load(path).graph
        self.nodes = []
        self.state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
        for k, v in self.state.items():
            if v.is_floating_point():
                self.state[k] = v.double().requires_grad_(k in trainable)
        for n in graph.node:  # the exporter's Identity(initializer) copies become initializers of their own, as in Pare
            if n.op_type == "Identity" and n.input[0] in self.state:
                self.state[n.output[0]] = self.state[n.input[0]].detach().clone()
            else:
                self.nodes.append(n)
        self.input = graph.input[0].name
        self.output = graph.output[0].name
        self.flips = 0

    def params(self, names):
        return [self.state[n] for n in names]

    def forward(self, x, branches=None):
        v = dict(self.state)
        v[self.input] = x
        for n in self.nodes:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            i = [v[name] if name else None for name in n.input]
            traced = branches.get(n.input[0]) if branches is not None and n.input else None
            v[n.output[0]] = self.op(n.op_type, a, i, traced, n.input[0] if n.input else "")
        return v[self.output]

    def kink_check(self, exact, side64, side_pare, kinks, where):
        differ = side64 != side_pare
        if differ.any():
            scale = exact.abs().max().item() or 1.0
            distance = torch.stack([(exact - k).abs() for k in kinks]).min(0).values[differ]
            if distance.max().item() > KINK_TOL * scale:
                raise AssertionError(f"{where}: Pare took another branch {distance.max().item() / scale:.1e} (relative) away from a kink")
            self.flips += int(differ.sum())

    def op(self, op, a, i, traced, name):
        x = i[0] if i else None
        if op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[:2] == p[2:], "asymmetric pads"
            return F.conv2d(x, i[1], i[2] if len(i) > 2 else None, a.get("strides", 1), p[:2], a.get("dilations", 1), a.get("group", 1))
        if op == "BatchNormalization":
            return F.batch_norm(x, i[3], i[4], i[1], i[2], training=True, momentum=1 - a.get("momentum", 0.9), eps=a.get("epsilon", 1e-5))
        if op == "Relu":
            if traced is None:
                return F.relu(x)
            t = torch.from_numpy(traced).double()
            self.kink_check(x.detach(), x.detach() > 0, t > 0, [0.0], name)
            return x * (t > 0)
        if op == "Clip":
            lo, hi = i[1].item(), i[2].item()
            if traced is None:
                return torch.clamp(x, lo, hi)
            t = torch.from_numpy(traced).double()
            d = x.detach()
            region = lambda z: (z > lo).long() + (z >= hi).long()
            self.kink_check(d, region(d), region(t), [lo, hi], name)
            return x * ((t > lo) & (t < hi)) + hi * (t >= hi) + lo * (t <= lo)
        if op == "MaxPool":
            assert a.get("ceil_mode", 0) == 0
            k, s, p = a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])[:2]
            if traced is None:
                return F.max_pool2d(x, k, s, p)
            _, own = F.max_pool2d(x.detach(), k, s, p, return_indices=True)
            _, idx = F.max_pool2d(torch.from_numpy(traced).double(), k, s, p, return_indices=True)
            differ = own != idx
            if differ.any():
                flat = x.detach().flatten(2)
                gap = (flat.gather(2, own.flatten(2)) - flat.gather(2, idx.flatten(2))).abs()
                if gap.max().item() > KINK_TOL * (flat.abs().max().item() or 1.0):
                    raise AssertionError(f"{name}: Pare's max differs from float64's by more than rounding")
                self.flips += int(differ.sum())
            return x.flatten(2).gather(2, idx.flatten(2)).view(idx.shape)
        if op == "AveragePool":
            return F.avg_pool2d(x, a["kernel_shape"], a.get("strides", 1), a.get("pads", [0, 0, 0, 0])[:2],
                                count_include_pad=bool(a.get("count_include_pad", 0)))
        if op == "GlobalAveragePool":
            return x.mean([2, 3], keepdim=True)
        if op == "ReduceMean":
            return x.mean(a["axes"], keepdim=bool(a.get("keepdims", 1)))
        if op == "Flatten":
            axis = a.get("axis", 1)
            return x.reshape(int(np.prod(x.shape[:axis])), -1)
        if op == "Gemm":
            A = x.t() if a.get("transA", 0) else x
            B = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            return y + a.get("beta", 1.0) * i[2] if len(i) > 2 and i[2] is not None else y
        if op == "Add":
            return x + i[1]
        if op == "Tanh":
            return torch.tanh(x)
        if op == "Sigmoid":
            return torch.sigmoid(x)
        if op == "Constant":
            return torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        if op == "Shape":
            return torch.tensor(list(x.shape), dtype=torch.int64)
        if op == "Gather":
            return torch.index_select(x, a.get("axis", 0), i[1].reshape(-1)).reshape(list(x.shape[:a.get("axis", 0)]) + list(i[1].shape))
        if op == "Unsqueeze":
            for axis in sorted(i[1].tolist()):
                x = x.unsqueeze(axis)
            return x
        if op == "Concat":
            return torch.cat(i, a["axis"])
        if op == "Reshape":
            shape = [x.shape[j] if d == 0 else d for j, d in enumerate(i[1].tolist())]
            return x.reshape(shape)
        raise NotImplementedError(op)


def relative(a, b, floor=0.0):
    scale = max(float(np.abs(b).max()), floor)
    return float(np.abs(a - b).max()) / (scale if scale > 0 else 1.0)


def pare(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: pare {' '.join(args)}\n{result.stderr}")


def check_replay_is_pytorch(model, replay, names, x, y):
    """The float64 graph evaluation must equal the nn.Module's own float64 step."""
    m64 = copy.deepcopy(model).double().train()
    F.cross_entropy(m64(x), y).backward()
    saved = {k: v.detach().clone() for k, v in replay.state.items() if v.is_floating_point()}
    loss = F.cross_entropy(replay.forward(x), y)
    grads = torch.autograd.grad(loss, replay.params(names))
    with torch.no_grad():  # undo the running-statistics update of this check
        for k, v in saved.items():
            replay.state[k].copy_(v)
    module = dict(m64.named_parameters())
    largest = max(float(g.abs().max()) for g in grads)
    worst = max(relative(g.numpy(), module[n].grad.numpy(), 1e-6 * largest) for n, g in zip(names, grads))
    if worst > SELF_TOL:
        sys.exit(f"FAIL: the float64 replay of the ONNX graph differs from the PyTorch module by {worst:.1e}")


def torch_float32_run(model, x, y):
    m = copy.deepcopy(model).float().train()
    opt = torch.optim.SGD(m.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=WD)
    for step in range(STEPS):
        start = (step * BATCH) % SAMPLES
        opt.zero_grad()
        F.cross_entropy(m(x[start:start + BATCH].float()), y[start:start + BATCH]).backward()
        opt.step()
    return {k: v.double().numpy() for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}


def regenerate():
    os.makedirs(FIXTURES, exist_ok=True)
    for old in glob.glob(os.path.join(FIXTURES, "*")):
        os.remove(old)
    for name, cls, shape in NETS_ALL:
        make(name, cls, shape, FIXTURES)
    print(f"wrote {len(NETS_ALL)} models and their images into {os.path.normpath(FIXTURES)}")


def main():
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
        return
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    failures = []
    for name, cls, shape in NETS:
        model, path, data, x, y = load(name, cls, shape)
        names = [n for n, _ in model.named_parameters()]
        trace = os.path.join(work, name + ".trace")
        shutil.rmtree(trace, ignore_errors=True)
        trained = os.path.join(work, name + ".trained.onnx")
        pare(binary, "train", path, "--data", "npz:" + data, "--batch", str(BATCH), "--no-shuffle", "--no-augment", "--threads", "2",
             "--epochs", str(STEPS * BATCH // SAMPLES), "--lr", str(LR), "--momentum", str(MOMENTUM), "--nesterov",
             "--weight-decay", str(WD), "--schedule", "constant", "--trace", trace, "-o", trained)
        onnx.checker.check_model(trained, full_check=True)

        replay = GraphReplay(path, set(names))
        check_replay_is_pytorch(model, replay, names, x[:BATCH], y[:BATCH])
        params = replay.params(names)
        optimizer = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=WD)
        worst_grad, worst_where, broken = 0.0, "", False
        for step in range(1, STEPS + 1):
            traced = np.load(os.path.join(trace, f"step-{step}.npz"))
            missing = [n for n in names if n not in traced.files]
            if missing:
                failures.append(f"{name}: the trace of step {step} has no gradient for {missing[0]}")
                broken = True
                break
            branches = {k[len("input:"):]: traced[k] for k in traced.files if k.startswith("input:")}
            start = ((step - 1) * BATCH) % SAMPLES
            try:
                loss = F.cross_entropy(replay.forward(x[start:start + BATCH], branches), y[start:start + BATCH])
            except AssertionError as e:
                failures.append(f"{name}, step {step}: {e}")
                broken = True
                break
            optimizer.zero_grad()
            loss.backward()
            largest = max(float(p.grad.abs().max()) for p in params)
            checks = [("loss", relative(traced["loss"], loss.detach().numpy()))]
            for n, p in zip(names, params):
                ref = p.grad.numpy()
                exact_zero = float(np.abs(ref).max()) < 1e-12 * largest
                checks.append((n, relative(traced[n], ref, largest if exact_zero else 0.0)))
            where, err = max(checks, key=lambda c: c[1])[0], max(c[1] for c in checks)
            if os.environ.get("PARITY_DEBUG"):
                print(f"   step {step}: loss {float(traced['loss']):.6f} vs {loss.item():.6f}, worst {err:.2e} ({where})")
            if err > worst_grad:
                worst_grad, worst_where = err, f"{where}, step {step}"
            optimizer.step()
            del traced
        print(f"{name}: {STEPS} steps, loss and {len(names)} gradients per step, worst relative error {worst_grad:.2e} "
              f"({worst_where}); Pare took the other side of a kink at {replay.flips} of the traced elements")
        if worst_grad > GRAD_TOL:
            failures.append(f"{name}: {worst_where} differs by {worst_grad:.2e} > {GRAD_TOL}")

        if broken:  # the replay stopped following Pare, so its weights say nothing
            continue
        values = {t.name: numpy_helper.to_array(t) for t in onnx.load(trained).graph.initializer}
        module_keys = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
        expected = {k: replay.state[k].detach().numpy() for k in module_keys}
        worst, worst_key = 0.0, ""
        for key, v in expected.items():
            if key not in values:
                failures.append(f"{name}: the trained model has no initializer {key}")
                continue
            r = relative(values[key].reshape(v.shape), v)
            if os.environ.get("PARITY_DEBUG"):
                print(f"   {key:45s} {r:.2e}  max|ref| {np.abs(v).max():.3e}")
            if r > worst:
                worst, worst_key = r, key
        torch32 = torch_float32_run(model, x, y)
        t32, t32_key = max((relative(torch32[k], v), k) for k, v in expected.items())
        print(f"{name}: after {STEPS} SGD steps, {len(expected)} weights and BN statistics, worst relative error {worst:.2e} "
              f"({worst_key}); plain PyTorch float32 ends {t32:.1e} from the float64 replay ({t32_key})")
        if worst > WEIGHT_TOL:
            failures.append(f"{name}: after {STEPS} steps {worst_key} differs by {worst:.2e} > {WEIGHT_TOL}")
        shutil.rmtree(trace, ignore_errors=True)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print(f"training parity: {len(NETS)} networks match PyTorch step for step")


if __name__ == "__main__":
    main()
