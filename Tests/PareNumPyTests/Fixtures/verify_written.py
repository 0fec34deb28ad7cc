#!/usr/bin/env python3
"""Oracle for files the Swift writer produced. Each argument triple PARE_FILE REFERENCE_FILE METHOD says:
PARE_FILE (.npy or .npz) must load with numpy.load(allow_pickle=False) to the same arrays as REFERENCE_FILE
(written by NumPy) — same names, shapes, values and dtypes up to byte order (Pare writes little-endian,
row-major) — and every member of a .npz must use METHOD ("stored" or "deflated"). A .npy must also open
with mmap_mode="r".

Usage: verify_written.py PARE_FILE REFERENCE_FILE METHOD [...]   prints OK and exits 0, or what differs.
"""
import sys
import zipfile

import numpy as np


def arrays(path, mmap=False):
    if path.endswith(".npy"):
        return {"": np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)}
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def check(pare, ref, method):
    problems = []
    got, want = arrays(pare, mmap=True), arrays(ref)
    if list(got) != list(want):
        problems.append(f"names {list(got)} != {list(want)}")
    for k in set(got) & set(want):
        a, b = got[k], want[k]
        if a.dtype.str[0] == ">" or not a.flags.c_contiguous:
            problems.append(f"{k}: {a.dtype.str} (contiguous: {a.flags.c_contiguous}), not little-endian row-major")
        if a.dtype.newbyteorder("<") != b.dtype.newbyteorder("<") or a.shape != b.shape:
            problems.append(f"{k}: {a.dtype}{a.shape} != {b.dtype}{b.shape}")
        elif not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
            problems.append(f"{k}: values differ")
    if pare.endswith(".npz"):
        wanted = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}[method]
        with zipfile.ZipFile(pare) as z:
            problems += [f"{i.filename}: compress_type {i.compress_type}" for i in z.infolist() if i.compress_type != wanted]
            bad = z.testzip()
            if bad:
                problems.append(f"{bad}: CRC error")
    return [f"{pare}: {p}" for p in problems]


def main():
    args = sys.argv[1:]
    problems = [p for i in range(0, len(args) - 2, 3) for p in check(*args[i:i + 3])]
    print("\n".join(problems) if problems else "OK")
    sys.exit(1 if problems or not args else 0)


if __name__ == "__main__":
    main()
