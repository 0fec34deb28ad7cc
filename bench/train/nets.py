"""The benchmark's networks: CIFAR-style ResNets (He et al. 2016, option B shortcuts) of depth
6n+2 with any input channel count, as PyTorch modules; exported to ONNX with BatchNormalization kept
(training mode preserved, no constant folding) so that `pare train` trains the same graph."""
import os
import sys

import torch

# The network is the parity test's (tests/train/gradient_parity.py), so the benchmark times the
# very architecture whose gradients the test checks.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "train"))
from gradient_parity import CifarResNet, export_trainable  # noqa: E402


# name: (depth, input shape C×H×W)
NETS = {"resnet56_cifar": (56, (3, 32, 32)), "resnet20_fmnist": (20, (1, 28, 28))}


def build(name):
    depth, shape = NETS[name]
    torch.manual_seed(sum(map(ord, name)))
    return CifarResNet(depth, shape[0]), shape


def export(name, path):
    model, shape = build(name)
    export_trainable(model, shape, path)
