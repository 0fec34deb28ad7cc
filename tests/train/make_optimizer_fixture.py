"""Writes Tests/PareTrainTests/Fixtures/optimizer.json: PyTorch's own optimizer steps, gradient
clipping and learning-rate schedules on seeded random tensors, the oracle for PareTrain's tests.

    .venv/bin/python tests/train/make_optimizer_fixture.py Tests/PareTrainTests/Fixtures/optimizer.json
"""
import json
import sys

import torch

torch.manual_seed(20261202)
SHAPES = {"conv.weight": (7,), "bn.bias": (5,)}
STEPS = 6
START = {name: torch.randn(shape) for name, shape in SHAPES.items()}
GRADS = [{name: torch.randn(shape) for name, shape in SHAPES.items()} for _ in range(STEPS)]
LRS = [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]


def floats(t):
    return [float(v) for v in t.detach().reshape(-1)]


def run(make_optimizer):
    params = {name: torch.nn.Parameter(t.clone()) for name, t in START.items()}
    opt = make_optimizer(list(params.values()))
    trajectory = []
    for step in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = LRS[step]
        for name, p in params.items():
            p.grad = GRADS[step][name].clone()
        opt.step()
        trajectory.append({name: floats(p) for name, p in params.items()})
    return trajectory


def lrs(make_scheduler, steps, momentum=0.9):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=momentum)
    sched = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append({"lr": opt.param_groups[0]["lr"], "momentum": opt.param_groups[0]["momentum"]})
        opt.step()
        sched.step()
    return out


def clipped():
    grads = [GRADS[0][name].clone() for name in SHAPES]
    norm = torch.nn.utils.clip_grad_norm_([torch.nn.Parameter(torch.zeros_like(g)) for g in grads], 1.0)  # no grads: norm 0
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    return {"max_norm": 1.0, "norm": float(norm), "grads": [floats(p.grad) for p in params]}


fixture = {
    "torch": torch.__version__,
    "names": list(SHAPES),
    "start": {name: floats(t) for name, t in START.items()},
    "grads": [{name: floats(g[name]) for name in SHAPES} for g in GRADS],
    "lrs": LRS,
    "optimizers": {
        "sgd_nesterov": run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)),
        "sgd_dampened": run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-4)),
        "sgd_plain": run(lambda ps: torch.optim.SGD(ps, lr=0.1)),
        "adamw": run(lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.01)),
    },
    "clip": clipped(),
    "schedules": {
        "multistep": lrs(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 6], gamma=0.1), 10),
        "cosine": lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 10),
        "onecycle": lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20), 20),
        "warmup_cosine": lrs(lambda o: torch.optim.lr_scheduler.ChainedScheduler([
            torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=3),
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.0)]), 12),
    },
}
with open(sys.argv[1], "w") as f:
    json.dump(fixture, f, indent=None, separators=(",", ":"))
    f.write("\n")
