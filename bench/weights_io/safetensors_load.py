#!/usr/bin/env python3
"""bench/weights_io: Pare's safetensors reader against the reference loaders, same file, same run.

Usage: .venv/bin/python bench/weights_io/safetensors_load.py [--repeats N] [--file PATH]

Without --file it exports torchvision ResNet-50's state_dict (random init, seeded; ~102 MB) with
safetensors.torch.save_file to /tmp/pare-bench/resnet50.safetensors. Every side runs in-process and
is timed around the load call only; the figures are medians over N repeats, after one warm-up read
of the file (so all of them measure a file in the page cache).

Pare has two figures: "load" maps the file, validates the header and builds zero-copy views;
"load+touch" also reads one byte of every 4 KiB page of every tensor, which is what a caller pays
when it actually uses the weights. safetensors.numpy.load_file and safetensors.torch.load_file
copy every tensor out of the file, so they always pay for all the bytes.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export_resnet50(path):
    import torch
    import torchvision
    from safetensors.torch import save_file
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path, metadata={"format": "pt"})


def time_calls(fn, path, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(path)
        times.append(time.perf_counter() - t0)
        del result
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--file")
    args = ap.parse_args()
    path = args.file or "/tmp/pare-bench/resnet50.safetensors"
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"exporting torchvision ResNet-50 state_dict to {path} ...", flush=True)
        export_resnet50(path)
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "safetensors-bench"], cwd=ROOT)
    exe = os.path.join(ROOT, ".build", "release", "safetensors-bench")

    from safetensors.numpy import load_file as np_load
    from safetensors.torch import load_file as torch_load
    np_load(path)  # warm the page cache and the imports
    pare = json.loads(subprocess.check_output([exe, path, str(args.repeats)], text=True))
    py_np = time_calls(np_load, path, args.repeats)
    py_torch = time_calls(torch_load, path, args.repeats)

    med = statistics.median
    size = os.path.getsize(path)
    base = med(py_torch)
    print(f"file: {path} ({size / 1e6:.1f} MB, {pare['tensors']} tensors), {args.repeats} repeats, medians")
    for label, times in [("pare load (views, nothing touched)", pare["load"]),
                         ("pare load + touch every page", pare["load_touch"]),
                         ("safetensors.numpy.load_file", py_np),
                         ("safetensors.torch.load_file", py_torch)]:
        m = med(times)
        # Throughput only means something when the bytes were read.
        rate = "" if "nothing touched" in label else f"   {size / m / 1e9:6.2f} GB/s"
        print(f"  {label:38s} {m * 1e3:9.3f} ms   {m / base:7.3f}x torch.load_file{rate}")


if __name__ == "__main__":
    main()
