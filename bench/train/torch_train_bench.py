"""PyTorch side of bench/train: training images/s of one network in this process, and its peak RSS.

usage: torch_train_bench.py NET THREADS BATCH CHANNELS_LAST(0|1) RUNS
One training step = forward (train mode), cross-entropy, zero_grad, backward, SGD step (momentum
0.9, weight decay 5e-4), on one fixed random batch — what `pare bench --train` times.
Prints one JSON line: {"median_ms", "p90_ms", "items_per_s", "peak_rss_mb", "torch"}.
"""
import json
import sys
import time

import numpy as np
import torch

from nets import build

name, threads, batch, channels_last, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
model, shape = build(name)
model.train()
g = torch.Generator().manual_seed(1)
x = torch.rand(batch, *shape, generator=g) * 2 - 1
y = torch.randint(0, 10, (batch,), generator=g)
if channels_last:
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)


def step():
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
times = []
for _ in range(runs):
    t = time.perf_counter()
    step()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
median = float(np.median(times))
print(json.dumps({"median_ms": median, "p90_ms": times[min(len(times) - 1, int(np.ceil(0.9 * len(times))) - 1)],
                  "items_per_s": batch / (median / 1000), "peak_rss_mb": rss, "torch": torch.__version__}))
