"""bench/train: training images/s of `pare bench --train` against PyTorch CPU in the same run.

Networks (bench/train/nets.py): a CIFAR ResNet-56 at batch 128 on 3×32×32 and a ResNet-20 on
Fashion-MNIST shapes (1×28×28) at batch 128. One step = forward in training mode, cross-entropy,
backward and an SGD step (momentum 0.9, weight decay 5e-4) on one fixed random batch, on both
sides. Threads: 2 (the issue's setting) unless --threads says otherwise.

Pare runs with OPENBLAS_CORETYPE=Haswell (the environment's preset) and with it unset (OpenBLAS
picks its kernel for the CPU: SkylakeX with AVX-512, Zen on AMD Zen 1–3; the table names it); PyTorch (which does not use OpenBLAS: its convolutions run on oneDNN)
runs in its default NCHW layout and with channels_last. Each figure is the median of ROUNDS
interleaved rounds, each round itself a median over RUNS steps after warm-up, every measurement
in its own process so that peak RSS (VmHWM) is per configuration.

Target (issue 5): Pare ≥ 1.0× PyTorch's images/s (against the faster PyTorch layout) and peak RSS
≤ PyTorch's.

usage: python bench/train/run.py [--pare .build/release/pare] [--work .build/bench-train]
                                 [--rounds 3] [--runs 10] [--threads 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nets import NETS, export  # noqa: E402


def pare_bench(pare, model, threads, batch, runs, coretype):
    env = dict(os.environ, PARE_PEAK_RSS="1")
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    r = subprocess.run([pare, "bench", model, "--train", "--batch", str(batch), "--threads", str(threads), "--runs", str(runs),
                        "--warmup", "2", "--json"], capture_output=True, text=True, env=env, check=True)
    result = json.loads(r.stdout)
    for line in r.stderr.splitlines():
        if "peak RSS" in line:
            result["peak_rss_mb"] = int(line.split()[-2]) / 1024
    return result


def torch_bench(net, threads, batch, channels_last, runs):
    r = subprocess.run([sys.executable, os.path.join(HERE, "torch_train_bench.py"), net, str(threads), str(batch),
                        "1" if channels_last else "0", str(runs)], capture_output=True, text=True, check=True, cwd=HERE)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", default=".build/release/pare")
    ap.add_argument("--work", default=".build/bench-train")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for net in NETS:
        path = os.path.join(args.work, net + ".onnx")
        if not os.path.exists(path):
            export(net, path)
        samples = {k: [] for k in ("pare_haswell", "pare_default", "torch_nchw", "torch_channels_last")}
        rss = {k: 0.0 for k in samples}
        blas = {}
        for _ in range(args.rounds):
            results = {
                "pare_haswell": pare_bench(args.pare, path, args.threads, args.batch, args.runs, "Haswell"),
                "pare_default": pare_bench(args.pare, path, args.threads, args.batch, args.runs, None),
                "torch_nchw": torch_bench(net, args.threads, args.batch, False, args.runs),
                "torch_channels_last": torch_bench(net, args.threads, args.batch, True, args.runs),
            }
            for k, v in results.items():
                samples[k].append(v["items_per_s"])
                rss[k] = max(rss[k], v.get("peak_rss_mb", 0))
                if "blas" in v:
                    blas[k] = v["blas"].split("(kernel: ")[-1].rstrip(")")
                if "conv_kernels" in v:
                    blas["pare_conv"] = v["conv_kernels"]
                if "torch" in v:
                    blas["torch"] = v["torch"]
        med = {k: statistics.median(v) for k, v in samples.items()}
        best_torch = max(med["torch_nchw"], med["torch_channels_last"])
        row = {"net": net, "threads": args.threads, "batch": args.batch, **{k + "_img_s": round(v, 1) for k, v in med.items()},
               "ratio_haswell": round(med["pare_haswell"] / best_torch, 2), "ratio_default": round(med["pare_default"] / best_torch, 2),
               **{k + "_rss_mb": round(v) for k, v in rss.items()}, "kernels": blas}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\ntraining images/s, batch {args.batch}, {args.threads} threads (medians of {args.rounds} rounds of {args.runs} steps)")
    default = rows[0]["kernels"].get("pare_default", "default") if rows else "default"
    conv = rows[0]["kernels"].get("pare_conv", "?") if rows else "?"
    print(f"Pare's conv kernels: {conv}; OpenBLAS kernels: Haswell (the preset) and {default} (OPENBLAS_CORETYPE unset)")
    print("net               pare(Haswell)  pare(default)  torch(NCHW)  torch(channels_last)  ratio H / default (vs faster torch)"
          "  peak RSS pare/torch MB")
    for r in rows:
        print(f"{r['net']:<17} {r['pare_haswell_img_s']:>13.1f}  {r['pare_default_img_s']:>13.1f}  {r['torch_nchw_img_s']:>11.1f}"
              f"  {r['torch_channels_last_img_s']:>20.1f}  {r['ratio_haswell']:.2f}× / {r['ratio_default']:.2f}×"
              f"   {r['pare_haswell_rss_mb']}/{min(r['torch_nchw_rss_mb'], r['torch_channels_last_rss_mb'])}")
    print("target: ratio ≥ 1.0 and RSS ≤ PyTorch's; PyTorch computes with oneDNN, not OpenBLAS, so the ratio compares whole engines")


if __name__ == "__main__":
    main()
