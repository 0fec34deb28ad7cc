"""onnxruntime side of bench/inference: median/p90 latency of one model, peak RSS of this process.

usage: ort_bench.py MODEL THREADS SPIN(0|1) RUNS
prints one JSON line: {"median_ms", "p90_ms", "items_per_s", "peak_rss_mb"}
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

path, threads, spin, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
options.add_session_config_entry("session.intra_op.allow_spinning", spin)
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
x = np.random.default_rng(1).uniform(-1, 1, [d if isinstance(d, int) else 1 for d in inp.shape]).astype(np.float32)
for _ in range(3):
    session.run(None, {inp.name: x})
times = []
for _ in range(runs):
    t = time.perf_counter()
    session.run(None, {inp.name: x})
    times.append((time.perf_counter() - t) * 1000)
times.sort()
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
median = float(np.median(times))
print(json.dumps({"median_ms": median, "p90_ms": times[min(len(times) - 1, int(np.ceil(0.9 * len(times))) - 1)],
                  "items_per_s": x.shape[0] / (median / 1000), "peak_rss_mb": rss}))
