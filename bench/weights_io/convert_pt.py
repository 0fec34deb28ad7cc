#!/usr/bin/env python3
"""bench/weights_io: `pare convert CKPT.pt OUT.safetensors` on a ≥ 500 MB checkpoint against `cp` of
the same file, same run, interleaved; and Pare's peak resident memory during the conversion.

Usage: .venv/bin/python bench/weights_io/convert_pt.py [--repeats N]

The checkpoint is torchvision VGG-16's state_dict (random init, seeded; 553 MB) saved with
torch.save into .build/bench/. Throughput = checkpoint bytes / wall time of the whole process.
Pare's conversion is durable (fsync, then rename); plain `cp` is not, so the run also times
`cp` followed by fsync of the copy. Targets (issue 3): throughput ≥ 0.8× cp; peak RSS ≤ 1.2× the
largest tensor plus the writer's 1 MiB buffer.
"""
import argparse, os, statistics, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_checkpoint(path):
    import torch, torchvision
    torch.manual_seed(0)
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), path)


def largest_tensor_bytes(path):
    import torch
    sd = torch.load(path, weights_only=True, mmap=True)
    return max(t.numel() * t.element_size() for t in sd.values())


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    return dt, r.stderr


def cp_fsync(src, dst):
    t0 = time.perf_counter()
    subprocess.run(["cp", src, dst], check=True)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    bench = os.path.join(ROOT, ".build", "bench")
    os.makedirs(bench, exist_ok=True)
    ckpt = os.path.join(bench, "vgg16.pt")
    if not os.path.exists(ckpt):
        print(f"saving torchvision VGG-16 state_dict to {ckpt} ...", flush=True)
        make_checkpoint(ckpt)
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "pare"], cwd=ROOT,
                          stdout=subprocess.DEVNULL)
    pare = os.path.join(ROOT, ".build", "release", "pare")
    size = os.path.getsize(ckpt)
    out_cp, out_sync, out_pare = (os.path.join(bench, n) for n in ("cp.pt", "cp-fsync.pt", "vgg16.safetensors"))
    subprocess.run(["cat", ckpt], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    cp_t, sync_t, pare_t, rss = [], [], [], []
    env = dict(os.environ, PARE_PEAK_RSS="1")
    for _ in range(args.repeats):
        cp_t.append(timed(["cp", ckpt, out_cp])[0])
        sync_t.append(cp_fsync(ckpt, out_sync))
        if os.path.exists(out_pare):
            os.unlink(out_pare)  # like cp's outputs: no old file to replace inside the timing
        dt, err = timed([pare, "convert", ckpt, out_pare], env)
        pare_t.append(dt)
        kib = [l for l in err.splitlines() if "peak RSS" in l][0].split()[-2]
        rss.append(int(kib) * 1024)
        for f in (out_cp, out_sync):
            os.unlink(f)
    from safetensors import safe_open
    import torch
    sd = torch.load(ckpt, weights_only=True, mmap=True)
    with safe_open(out_pare, framework="pt") as f:
        identical = all(torch.equal(f.get_tensor(k), sd[k]) for k in sd)
    largest = largest_tensor_bytes(ckpt)
    med = statistics.median
    mb = lambda t: size / t / 1e6
    print(f"checkpoint {ckpt}: {size/1e6:.1f} MB, largest tensor {largest/1e6:.1f} MB; {args.repeats} repeats, medians")
    print(f"cp          {med(cp_t)*1e3:8.1f} ms  {mb(med(cp_t)):7.0f} MB/s")
    print(f"cp + fsync  {med(sync_t)*1e3:8.1f} ms  {mb(med(sync_t)):7.0f} MB/s")
    print(f"pare        {med(pare_t)*1e3:8.1f} ms  {mb(med(pare_t)):7.0f} MB/s   "
          f"= {med(cp_t)/med(pare_t):.2f}x cp, {med(sync_t)/med(pare_t):.2f}x cp+fsync (target >= 0.8x cp)")
    print(f"pare peak RSS {med(rss)/1e6:.1f} MB = {med(rss)/(largest + (1 << 20)):.2f}x (largest tensor + 1 MiB buffer) (target <= 1.2)")
    print(f"output identical to torch.load of the checkpoint: {identical}")


if __name__ == "__main__":
    main()
