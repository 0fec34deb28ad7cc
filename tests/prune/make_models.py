"""Models for the pruning tier, seeded, written to OUTDIR:

  OUTDIR/fixtures/<name>.onnx   small nets covering every coupling the pruner must get right:
      residual adds, depthwise and grouped convs (a ResNeXt block), DenseNet-style concat,
      ShuffleNetV2-style split + channel shuffle, flatten → Gemm, squeeze-and-excitation
      (MobileNetV3-style, HardSigmoid gate), an export with BatchNorm folded into the conv,
      Concat([x, x]), a decoder (Pad, ConvTranspose, Resize, Transpose of spatial axes), and
      torchvision ShuffleNetV2 / MobileNetV2 at a small input.
  OUTDIR/torchvision/<name>.onnx + <name>.pt   ResNet-18, MobileNetV2, CIFAR ResNet-56 (and with
      --big ResNet-50, VGG-16-BN): initializer names = state_dict keys, BatchNormalization kept
      (TrainingMode.PRESERVE with the model in eval mode and no constant folding: the exporter
      folds BN only in EVAL mode), plus the state_dict for Torch-Pruning.

Weights are random; BatchNorm affine parameters and running statistics are randomized so that
no two initializers are equal (the exporter deduplicates equal initializers through Identity
nodes, which would tie unrelated layers together).

    python tests/prune/make_models.py OUTDIR [--big]
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
import torchvision

torch.manual_seed(20261202)


def randomize(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.normal_(0, 0.1)
    return model.eval()


def export(model, shape, path, fold_bn=False, fold_constants=None):
    """BN folding needs EVAL mode with constant folding; PRESERVE keeps BatchNormalization nodes
    and may still fold constant subgraphs (computed Pad pads, Resize scales) when asked."""
    x = torch.randn(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=fold_bn if fold_constants is None else fold_constants,
                          training=torch.onnx.TrainingMode.EVAL if fold_bn else torch.onnx.TrainingMode.PRESERVE)


def cbr(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Residual(nn.Module):
    """Two basic blocks, the second with a strided 1×1 downsample."""
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 16)
        self.a1, self.a2 = cbr(16, 16), nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16))
        self.b1, self.b2 = cbr(16, 24, stride=2), nn.Sequential(nn.Conv2d(24, 24, 3, 1, 1, bias=False), nn.BatchNorm2d(24))
        self.down = nn.Sequential(nn.Conv2d(16, 24, 1, 2, bias=False), nn.BatchNorm2d(24))
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.a2(self.a1(x)))
        x = torch.relu(self.down(x) + self.b2(self.b1(x)))
        return self.head(x.mean((2, 3)))


class Grouped(nn.Module):
    """Depthwise (with a depth multiplier of 2) and a ResNeXt-style grouped block."""
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 16)
        self.dw = cbr(16, 32, groups=16)
        self.reduce = cbr(32, 32, k=1)
        self.grouped = cbr(32, 32, groups=4)
        self.expand = nn.Sequential(nn.Conv2d(32, 32, 1, bias=False), nn.BatchNorm2d(32))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        x = self.reduce(self.dw(self.stem(x)))
        x = torch.relu(x + self.expand(self.grouped(x)))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Dense(nn.Module):
    """DenseNet-style: every layer's output is concatenated to its input."""
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 12)
        self.l1, self.l2, self.l3 = cbr(12, 8), cbr(20, 8), cbr(28, 8)
        self.trans = cbr(36, 16, k=1)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        for layer in (self.l1, self.l2, self.l3):
            x = torch.cat([x, layer(x)], 1)
        return self.head(self.trans(x).mean((2, 3)))


class Shuffle(nn.Module):
    """ShuffleNetV2 unit with torch.split (a Split node with sizes) and the channel shuffle."""
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 24)
        self.branch = nn.Sequential(cbr(12, 12, k=1), nn.Conv2d(12, 12, 3, 1, 1, groups=12, bias=False),
                                    nn.BatchNorm2d(12), cbr(12, 12, k=1))
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        x = self.stem(x)
        a, b = torch.split(x, [12, 12], dim=1)
        x = torch.cat([a, self.branch(b)], 1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        return self.head(x.mean((2, 3)))


class FlattenGemm(nn.Module):
    """Conv features flattened into a two-layer classifier (VGG-style)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(cbr(3, 8), nn.MaxPool2d(2), cbr(8, 16), nn.MaxPool2d(2))
        self.fc1, self.fc2 = nn.Linear(16 * 4 * 4, 32), nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(torch.flatten(self.features(x), 1))))


class SqueezeExcite(nn.Module):
    """MobileNetV3-style block: depthwise conv, SE gate with HardSigmoid, Hardswish."""
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 16)
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.se1, self.se2 = nn.Conv2d(16, 8, 1), nn.Conv2d(8, 16, 1)
        self.project = nn.Sequential(nn.Conv2d(16, 24, 1, bias=False), nn.BatchNorm2d(24))
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        x = self.dw(self.stem(x))
        s = nn.functional.hardsigmoid(self.se2(torch.relu(self.se1(x.mean((2, 3), keepdim=True)))))
        return self.head(self.project(x * s).mean((2, 3)))


class Twice(nn.Module):
    """Concat([x, x]): each channel owns two positions of the consumer's input."""
    def __init__(self):
        super().__init__()
        self.stem, self.mix = cbr(3, 8), cbr(16, 12)
        self.head = nn.Linear(12, 10)

    def forward(self, x):
        x = self.stem(x)
        return self.head(self.mix(torch.cat([x, x], 1)).mean((2, 3)))


class Decoder(nn.Module):
    """Pad, ConvTranspose, Resize and a 1×1 conv after a Transpose that keeps the channel axis."""
    def __init__(self):
        super().__init__()
        self.enc = cbr(3, 8, stride=2)
        self.up = nn.ConvTranspose2d(8, 6, 2, stride=2)
        self.bn = nn.BatchNorm2d(6)
        self.mix = cbr(6, 10, k=1)
        self.head = nn.Linear(10, 4)

    def forward(self, x):
        x = nn.functional.pad(self.enc(x), (1, 1, 1, 1))
        x = torch.relu(self.bn(self.up(x)))
        x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.mix(x.transpose(2, 3))
        return self.head(x.mean((2, 3)))


class CifarBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet-56 for CIFAR (He et al. 2016, option B shortcuts): 3 stages of 9 blocks."""
    def __init__(self, blocks=9, classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            stage = []
            for b in range(blocks):
                stage.append(CifarBlock(cin, cout, stride if b == 0 else 1))
                cin = cout
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


FIXTURES = {
    "residual": (Residual, (1, 3, 16, 16), False),
    "grouped": (Grouped, (1, 3, 16, 16), False),
    "dense_concat": (Dense, (1, 3, 16, 16), False),
    "shuffle": (Shuffle, (1, 3, 16, 16), False),
    "flatten_gemm": (FlattenGemm, (1, 3, 16, 16), False),
    "squeeze_excite": (SqueezeExcite, (1, 3, 16, 16), False),
    "bn_folded": (Residual, (1, 3, 16, 16), True),
    "concat_twice": (Twice, (1, 3, 16, 16), False),
    "decoder": (Decoder, (1, 3, 16, 16), "constants"),
    "tv_shufflenet_v2": (lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10), (1, 3, 32, 32), False),
    "tv_mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=10), (1, 3, 32, 32), False),
}

TORCHVISION = {
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=1000), (1, 3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=1000), (1, 3, 224, 224)),
    "resnet56": (CifarResNet, (1, 3, 32, 32)),
}
BIG = {
    "resnet50": (lambda: torchvision.models.resnet50(num_classes=1000), (1, 3, 224, 224)),
    "vgg16_bn": (lambda: torchvision.models.vgg16_bn(num_classes=1000), (1, 3, 224, 224)),
}


def main():
    out = sys.argv[1]
    big = "--big" in sys.argv
    os.makedirs(os.path.join(out, "fixtures"), exist_ok=True)
    os.makedirs(os.path.join(out, "torchvision"), exist_ok=True)
    for name, (make, shape, fold) in FIXTURES.items():
        path = os.path.join(out, "fixtures", name + ".onnx")
        if not os.path.exists(path):
            export(randomize(make()), shape, path, fold_bn=fold is True, fold_constants=True if fold == "constants" else None)
    for name, (make, shape) in {**TORCHVISION, **(BIG if big else {})}.items():
        path = os.path.join(out, "torchvision", name + ".onnx")
        if not os.path.exists(path):
            model = randomize(make())
            torch.save(model.state_dict(), os.path.join(out, "torchvision", name + ".pt"))
            export(model, shape, path)
    print(f"models in {out}")


if __name__ == "__main__":
    main()
