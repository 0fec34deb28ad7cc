#!/usr/bin/env python3
"""Oracle for files the Swift writer produced: PARE_FILE must load in safetensors.safe_open with the
same tensors and metadata as REFERENCE_FILE (written by safetensors itself), its data buffer must
start on a 64-byte boundary and its tensors must be ordered as the reference writer orders them.

Usage: verify_written.py PARE_FILE REFERENCE_FILE [PARE_FILE REFERENCE_FILE ...]
Prints OK and exits 0, or says what differs. Several pairs share one interpreter start (torch is slow to import).
"""
import json
import struct
import sys

import torch
from safetensors import safe_open

ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
         "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]


def raw(t):
    """The tensor's bytes (flattened first: a scalar cannot be viewed as bytes directly)."""
    return t.reshape(-1).view(torch.uint8).tolist()


def load(path):
    with safe_open(path, framework="pt") as f:
        return f.metadata(), {k: f.get_tensor(k) for k in f.keys()}


def check(pare, ref):
    (meta_p, got), (meta_r, want) = load(pare), load(ref)
    problems = []
    if (meta_p or {}) != (meta_r or {}):
        problems.append(f"metadata {meta_p} != {meta_r}")
    if sorted(got) != sorted(want):
        problems.append(f"names {sorted(got)} != {sorted(want)}")
    for k in sorted(set(got) & set(want)):
        a, b = got[k], want[k]
        if a.dtype != b.dtype or a.shape != b.shape:
            problems.append(f"{k}: {a.dtype}{list(a.shape)} != {b.dtype}{list(b.shape)}")
        elif raw(a) != raw(b):
            problems.append(f"{k}: bytes differ")
    with open(pare, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    if (8 + n) % 64:
        problems.append(f"data buffer starts at {8 + n}, not a multiple of 64")
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    laid_out = sorted(header, key=lambda k: header[k]["data_offsets"])
    expected = sorted(header, key=lambda k: (-ORDER.index(header[k]["dtype"]), k.encode()))
    if laid_out != expected:
        problems.append(f"order {laid_out} != reference order {expected}")
    return [f"{pare}: {p}" for p in problems]


def main():
    args = sys.argv[1:]
    problems = [p for i in range(0, len(args) - 1, 2) for p in check(args[i], args[i + 1])]
    print("\n".join(problems) if problems else "OK")
    sys.exit(1 if problems or not args else 0)


if __name__ == "__main__":
    main()
