"""bench/inference: `pare bench` against onnxruntime in the same run, same thread count.

For ResNet-18 and ResNet-50 at 1×3×224×224 and a CIFAR ResNet-56 at batch 128 (3×32×32), with 1
and 2 threads: Pare's median latency with OPENBLAS_CORETYPE=Haswell (the environment's preset)
and with it unset (OpenBLAS picks its kernel for the CPU: SkylakeX with AVX-512), onnxruntime's with default settings and
with allow_spinning=0. Each figure is the median of ROUNDS interleaved rounds (the machine is
shared and noisy). onnxruntime does not use OpenBLAS (it has its own MLAS kernels), so the ratio
compares whole engines. Peak RSS: Pare's process (PARE_PEAK_RSS) and the onnxruntime process
(Python included), for the 1-thread runs. Target (issue 4): Pare ≤ 1.25× onnxruntime's latency
for ResNet-18/50; peak RSS ≤ 1.5×. First, ResNet-50 and VGG-16-BN outputs are checked against
onnxruntime (the test command checks the smaller exports).

usage: python bench/inference/run.py [--pare .build/release/pare] [--work .build/bench-inference]
                                     [--rounds 3] [--runs 20]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "engine"))
from real_graphs import BIG, MODELS, export  # noqa: E402


def pare_bench(pare, model, threads, runs, coretype):
    env = dict(os.environ, PARE_PEAK_RSS="1")
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    r = subprocess.run([pare, "bench", model, "--threads", str(threads), "--runs", str(runs), "--json"],
                       capture_output=True, text=True, env=env, check=True)
    result = json.loads(r.stdout)
    for line in r.stderr.splitlines():
        if "peak RSS" in line:
            result["peak_rss_mb"] = int(line.split()[-2]) / 1024
    return result


def ort_bench(model, threads, spin, runs):
    r = subprocess.run([sys.executable, os.path.join(HERE, "ort_bench.py"), model, str(threads), spin, str(runs)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", default=".build/release/pare")
    ap.add_argument("--work", default=".build/bench-inference")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # The big exports are checked against onnxruntime here rather than in the test command.
    print("correctness of the big exports (tests/engine/real_graphs.py --only resnet50 vgg16_bn):", flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "tests", "engine", "real_graphs.py"), args.pare,
                    os.path.join(args.work, "checked"), "--only", "resnet50", "vgg16_bn"], check=True)
    specs = {"resnet18": (MODELS["resnet18"][0], (1, 3, 224, 224)), "resnet50": (BIG["resnet50"][0], (1, 3, 224, 224)),
             "resnet56_b128": (MODELS["resnet56"][0], (128, 3, 32, 32))}
    rows = []
    for name, (make, shape) in specs.items():
        path = os.path.join(args.work, name + ".onnx")
        if not os.path.exists(path):
            export(name, make, shape, path)
        for threads in (1, 2):
            samples = {k: [] for k in ("pare_haswell", "pare_default", "ort_spin", "ort_nospin")}
            rss = {}
            for _ in range(args.rounds):
                a = pare_bench(args.pare, path, threads, args.runs, "Haswell")
                b = pare_bench(args.pare, path, threads, args.runs, None)
                c = ort_bench(path, threads, "1", args.runs)
                d = ort_bench(path, threads, "0", args.runs)
                for k, v in zip(samples, (a, b, c, d)):
                    samples[k].append(v["median_ms"])
                    rss[k] = max(rss.get(k, 0), v.get("peak_rss_mb", 0))
            med = {k: statistics.median(v) for k, v in samples.items()}
            best_ort = min(med["ort_spin"], med["ort_nospin"])
            # Each round's Pare figure against that round's faster onnxruntime figure: the four
            # measurements of a round run back to back, so a slow spell of the shared machine
            # tends to hit them together; the spread of these shows how much one run can be trusted.
            paired = {k: [round(p / min(s, n), 2) for p, s, n in zip(samples[k], samples["ort_spin"], samples["ort_nospin"])]
                      for k in ("pare_haswell", "pare_default")}
            row = {"model": name, "threads": threads, **{k + "_ms": round(v, 2) for k, v in med.items()},
                   "ratio_haswell": round(med["pare_haswell"] / best_ort, 2),
                   "ratio_default": round(med["pare_default"] / best_ort, 2),
                   "round_ratios_haswell": paired["pare_haswell"], "round_ratios_default": paired["pare_default"],
                   "pare_rss_mb": round(rss["pare_haswell"], 1), "ort_rss_mb": round(rss["ort_spin"], 1)}
            if shape[0] > 1:
                row["pare_items_per_s"] = round(shape[0] / (med["pare_default"] / 1000), 1)
                row["ort_items_per_s"] = round(shape[0] / (best_ort / 1000), 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\nmodel            thr  pare(Haswell)  pare(default)  ort(spin)  ort(no spin)  ratio H / default (vs faster ort)  RSS pare/ort MB")
    for r in rows:
        print(f"{r['model']:<16} {r['threads']:>3}  {r['pare_haswell_ms']:>10.1f} ms  {r['pare_default_ms']:>10.1f} ms  "
              f"{r['ort_spin_ms']:>6.1f} ms  {r['ort_nospin_ms']:>9.1f} ms   {r['ratio_haswell']:.2f}× / {r['ratio_default']:.2f}×"
              f"   {r['pare_rss_mb']:.0f}/{r['ort_rss_mb']:.0f}")
    print("per-round ratios (Haswell | default OpenBLAS kernel), each against the same round's faster onnxruntime:")
    for r in rows:
        print(f"{r['model']:<16} {r['threads']:>3}  {r['round_ratios_haswell']} | {r['round_ratios_default']}")
    print("target: ratio ≤ 1.25 for resnet18/resnet50; onnxruntime uses its own MLAS kernels, not OpenBLAS")


if __name__ == "__main__":
    main()
