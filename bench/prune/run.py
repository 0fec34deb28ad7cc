"""bench/prune: `pare prune --method l2 --channel-ratio 0.5` on ResNet-50 against Torch-Pruning
doing the same work, in the same run, plus onnxruntime latency of the original and pruned models.

Work compared (medians of --repeats interleaved runs):
  pare: the whole `pare prune` process (read the ONNX file, dependency graph, L2 ranking, surgery,
        checker, atomic write of the pruned ONNX);
  Torch-Pruning, in-process (after `import torch`): torch.load of the state_dict + model build +
        load_state_dict, DependencyGraph + MagnitudePruner(L2, ratio 0.5, classifier ignored) +
        step(), and the write — torch.save of the pruned model (what Torch-Pruning users do), and
        separately ONNX export (what a user who wants an ONNX file must do).
  Also whole-process wall time for both (Python must import torch; pare starts in milliseconds).

    .venv/bin/python bench/prune/run.py --pare .build/release/pare [--repeats 5] [--work DIR]
onnxruntime does not use OpenBLAS; pare's pruning does no GEMM at all.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "prune"))

TP_SCRIPT = r"""
import sys, time, json, warnings
t0 = time.perf_counter()
import torch, torchvision, torch_pruning as tp
t_import = time.perf_counter()
state = torch.load(sys.argv[1], weights_only=True)
model = torchvision.models.resnet50(num_classes=1000).eval()
model.load_state_dict(state)
t_read = time.perf_counter()
x = torch.randn(1, 3, 224, 224)
pruner = tp.pruner.MagnitudePruner(model, x, importance=tp.importance.MagnitudeImportance(p=2),
                                   pruning_ratio=0.5, ignored_layers=[model.fc])
pruner.step()
t_prune = time.perf_counter()
torch.save(model, sys.argv[2])
t_save = time.perf_counter()
export = {}
if sys.argv[3] == "1":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), sys.argv[4], dynamo=False, opset_version=17, input_names=["input"])
    export["export_s"] = time.perf_counter() - t_save
macs, params = tp.utils.count_ops_and_params(model, x)
print(json.dumps(dict(import_s=t_import - t0, read_s=t_read - t_import, prune_s=t_prune - t_read, save_s=t_save - t_prune,
                      macs=macs, params=params, **export)))
"""


def ort_latency(path, threads, spinning, runs=30):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    if not spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    name = sess.get_inputs()[0].name
    for _ in range(5):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="pare-bench-prune-")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "tests", "prune", "make_models.py"), work, "--big"], check=True)
    onnx_path = os.path.join(work, "torchvision", "resnet50.onnx")
    state_path = os.path.join(work, "torchvision", "resnet50.pt")
    ours_out, tp_out, tp_onnx = os.path.join(work, "r50_pare.onnx"), os.path.join(work, "r50_tp.pt"), os.path.join(work, "r50_tp.onnx")
    tp_script = os.path.join(work, "tp_prune.py")
    with open(tp_script, "w") as f:
        f.write(TP_SCRIPT)

    pare_wall, tp_wall, tp_inproc, tp_inproc_onnx, tp_runs = [], [], [], [], []
    for k in range(args.repeats):
        t = time.perf_counter()
        r = subprocess.run([args.pare, "prune", onnx_path, "--method", "l2", "--channel-ratio", "0.5", "-o", ours_out,
                            "--report", os.path.join(work, "report.json")], capture_output=True, text=True, check=True)
        pare_wall.append(time.perf_counter() - t)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, tp_script, state_path, tp_out, "1" if k == 0 else "0", tp_onnx],
                             capture_output=True, text=True, check=True)
        tp_wall.append(time.perf_counter() - t)
        d = json.loads(out.stdout.strip().splitlines()[-1])
        tp_runs.append(d)
        tp_inproc.append(d["read_s"] + d["prune_s"] + d["save_s"])
        if "export_s" in d:
            tp_inproc_onnx.append(d["read_s"] + d["prune_s"] + d["export_s"])
    report = json.load(open(os.path.join(work, "report.json")))
    med = statistics.median
    print(f"ResNet-50, L2 magnitude, 50% of channels, classifier kept (2 cores, shared VM; medians of {args.repeats})")
    print(r.stdout.strip().splitlines()[-2])
    print(f"pare prune, whole process:                      {med(pare_wall) * 1000:7.0f} ms")
    print(f"Torch-Pruning in-process: read + prune + torch.save {med(tp_inproc) * 1000:7.0f} ms  "
          f"(read {med(d['read_s'] for d in tp_runs) * 1000:.0f}, prune {med(d['prune_s'] for d in tp_runs) * 1000:.0f}, "
          f"save {med(d['save_s'] for d in tp_runs) * 1000:.0f})")
    if tp_inproc_onnx:
        print(f"Torch-Pruning in-process with ONNX export instead: {tp_inproc_onnx[0] * 1000:7.0f} ms (one run)")
    print(f"Torch-Pruning whole process (incl. import torch):   {med(tp_wall) * 1000:7.0f} ms")
    print(f"ratio pare / Torch-Pruning in-process (torch.save): {med(pare_wall) / med(tp_inproc):.2f}")
    print(f"ratio pare / Torch-Pruning whole process:           {med(pare_wall) / med(tp_wall):.2f}")
    tp_macs, tp_params = tp_runs[0]["macs"], tp_runs[0]["params"]
    print(f"MACs   pare {report['macs']['before']:,} → {report['macs']['after']:,};  Torch-Pruning → {int(tp_macs):,}")
    print(f"params pare {report['parameters']['before']:,} → {report['parameters']['after']:,};  Torch-Pruning → {int(tp_params):,}")
    print("onnxruntime latency, 1×3×224×224, median ms (original → pare-pruned → Torch-Pruning-pruned):")
    for threads, spinning in ((1, True), (2, True), (2, False)):
        lat = [ort_latency(p, threads, spinning) for p in (onnx_path, ours_out, tp_onnx)]
        label = f"{threads} thread{'s' if threads > 1 else ''}" + ("" if spinning else ", allow_spinning=0")
        print(f"  {label:28} {lat[0]:6.2f} → {lat[1]:6.2f} ({lat[0] / lat[1]:.2f}×) ; TP {lat[2]:6.2f} ({lat[0] / lat[2]:.2f}×)")


if __name__ == "__main__":
    main()
