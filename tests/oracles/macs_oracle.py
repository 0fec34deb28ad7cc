"""Compares `pare inspect --json` MAC totals with Torch-Pruning's count_ops_and_params.

Exports torchvision resnet18, resnet50 and mobilenet_v2 (weights=None, seeded, 1x3x224x224) twice
with the TorchScript exporter: as exported by default (BatchNormalization folded into Conv) and
with constant folding off (BatchNormalization kept, as in the PyTorch module Torch-Pruning
counts). Prints Torch-Pruning's MACs, Pare's, and their ratio for both.

Usage: python macs_oracle.py PARE_BINARY OUTDIR
"""
import json
import os
import subprocess
import sys

import torch
import torch_pruning as tp
import torchvision


def main():
    pare, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    image = torch.randn(1, 3, 224, 224)
    worst = 0.0
    for name in ["resnet18", "resnet50", "mobilenet_v2"]:
        model = getattr(torchvision.models, name)(weights=None).eval()
        reference, _ = tp.utils.count_ops_and_params(model, image)
        for variant, folding in [("fused", True), ("bn", False)]:
            path = os.path.join(outdir, f"{name}.{variant}.onnx")
            with torch.no_grad():
                torch.onnx.export(model, (image,), path, dynamo=False, do_constant_folding=folding)
            summary = json.loads(subprocess.run([pare, "inspect", "--json", path], check=True,
                                                capture_output=True, text=True).stdout)
            ratio = summary["macs"] / reference
            if variant == "bn":
                worst = max(worst, abs(ratio - 1))
            print(f"{name:13s} {variant:5s} torch-pruning {int(reference):>14,d}  pare {summary['macs']:>14,d}"
                  f"  ratio {ratio:.5f}  uncounted {summary.get('uncountedNodes')}")
    print(f"largest deviation with BatchNormalization kept: {worst:.4%}")


if __name__ == "__main__":
    main()
