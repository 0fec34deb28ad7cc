#!/usr/bin/env python3
"""bench/onnx_io: Pare's ONNX load/save against onnx.load/onnx.save, same file, same run.

Usage: .venv/bin/python bench/onnx_io/run.py [--repeats N] [--model PATH]
Without --model it exports torchvision ResNet-50 (random init, seeded; ~100 MB) to .build/bench/.
Both sides run in-process and are timed around the call only; medians over N repeats.
Targets (issue 2): load <= 0.25x onnx.load, save <= 0.5x onnx.save, peak RSS while loading <= 1.3x file size.
"""
import argparse, json, os, resource, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export_resnet50(path):
    import torch, torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["logits"])


def python_side(model, repeats):
    import onnx
    loads, saves = [], []
    out = model + ".py-save.onnx"
    for _ in range(repeats):
        t0 = time.perf_counter(); m = onnx.load(model); loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); onnx.save(m, out); saves.append(time.perf_counter() - t0)
        del m
    os.unlink(out)
    return loads, saves


def python_rss(model):
    # A fresh interpreter; VmHWM (not ru_maxrss, which Linux carries over from the parent across
    # fork+exec). The import baseline is reported separately.
    code = ("import onnx, sys\n"
            "def hwm():\n"
            "    return int([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]) * 1024\n"
            "b = hwm(); m = onnx.load(sys.argv[1]); print(b, hwm())")
    b, a = subprocess.check_output([sys.executable, "-c", code, model], text=True).split()
    return int(b), int(a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--model")
    args = ap.parse_args()
    bench_dir = os.path.join(ROOT, ".build", "bench")
    os.makedirs(bench_dir, exist_ok=True)
    model = args.model or os.path.join(bench_dir, "resnet50.onnx")
    if not os.path.exists(model):
        print(f"exporting torchvision ResNet-50 to {model} ...", flush=True)
        export_resnet50(model)
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "onnx-io-bench"], cwd=ROOT)
    exe = os.path.join(ROOT, ".build", "release", "onnx-io-bench")
    size = os.path.getsize(model)

    # Interleave the two sides so machine noise hits both alike.
    pare = {"load": [], "load_touch": [], "save": []}
    py_loads, py_saves, cp_sync = [], [], []
    floor_out = os.path.join(bench_dir, "cp-fsync.onnx")
    for _ in range(args.repeats):
        # The floor of a durable save on this disk: copy the same bytes in the kernel, then fsync.
        t0 = time.perf_counter()
        subprocess.run(["cp", model, floor_out], check=True)
        fd = os.open(floor_out, os.O_RDONLY); os.fsync(fd); os.close(fd)
        cp_sync.append(time.perf_counter() - t0)
        r = json.loads(subprocess.check_output([exe, model, "1"], text=True))
        for k in pare: pare[k] += r[k]
        l, s = python_side(model, 1)
        py_loads += l; py_saves += s
    rss = json.loads(subprocess.check_output([exe, model, "--rss"], text=True))
    py_before, py_after = python_rss(model)

    med = statistics.median
    print(f"model: {model} ({size/1e6:.1f} MB), {args.repeats} repeats, medians")
    print(f"load  pare {med(pare['load'])*1e3:8.2f} ms   onnx.load {med(py_loads)*1e3:8.2f} ms   ratio {med(pare['load'])/med(py_loads):.3f} (target <= 0.25)")
    print(f"load+touch every weight page  pare {med(pare['load_touch'])*1e3:8.2f} ms   ratio {med(pare['load_touch'])/med(py_loads):.3f} (informative)")
    print(f"save  pare {med(pare['save'])*1e3:8.2f} ms   onnx.save {med(py_saves)*1e3:8.2f} ms   ratio {med(pare['save'])/med(py_saves):.3f} (target <= 0.5)")
    print(f"      Pare's save is durable (fsync + rename); onnx.save does not fsync. Floor on this disk:"
          f" cp + fsync of the same bytes {med(cp_sync)*1e3:.2f} ms = {med(cp_sync)/med(py_saves):.3f}x onnx.save")
    print(f"peak RSS after load: pare {rss['rss_after_load']/1e6:.1f} MB = {rss['rss_after_load']/size:.3f}x file (target <= 1.3)"
          f"; after touching every weight {rss['rss_after_touch']/1e6:.1f} MB = {rss['rss_after_touch']/size:.3f}x")
    print(f"peak RSS onnx.load: {py_after/1e6:.1f} MB ({(py_after-py_before)/1e6:.1f} MB above the interpreter's baseline) = {py_after/size:.3f}x file")


if __name__ == "__main__":
    main()
