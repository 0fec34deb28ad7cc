#!/usr/bin/env python3
"""Regenerate the valid NumPy fixtures of Tests/PareNumPyTests/Fixtures.

Usage: .venv/bin/python Tests/PareNumPyTests/Fixtures/make_fixtures.py [OUTDIR]

Every file is written by NumPy itself (numpy.save, numpy.lib.format.write_array for header versions
2.0 and 3.0, numpy.savez, numpy.savez_compressed) from seeded values; only the Python-2 style header
(TV-N05) and the archive with a non-array member (TV-N09) are assembled by hand. expected.json maps
each file to its arrays (in archive order) with the Pare dtype name, the shape and the bytes the Swift
reader must return — little-endian and row-major whatever the file's byte order and layout — as hex,
plus the rule ids of the warnings or infos the reader should report. Files named c-*.npy are
little-endian, C-ordered arrays: the Swift writer must reproduce them byte for byte.
"""
import io
import json
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PARE = {"b1": "BOOL", "i1": "INT8", "u1": "UINT8", "i2": "INT16", "u2": "UINT16", "i4": "INT32", "u4": "UINT32",
        "i8": "INT64", "u8": "UINT64", "f2": "FLOAT16", "f4": "FLOAT", "f8": "DOUBLE", "c8": "COMPLEX64",
        "c16": "COMPLEX128"}


def expect(a):
    """What Pare must produce for array `a`: LE, row-major bytes."""
    le = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
    return {"dtype": PARE[a.dtype.str[1:]], "shape": list(a.shape), "hex": le.tobytes().hex()}


def pin_times(path):
    """Rewrites an archive with fixed member times, so that re-running the script gives equal bytes."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            pinned = zipfile.ZipInfo(info.filename, (2000, 1, 1, 0, 0, 0))
            pinned.compress_type = info.compress_type
            z.writestr(pinned, data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    rng = np.random.default_rng(2024)
    files = {}

    def save(name, a, notes=(), **kw):
        path = os.path.join(out, name)
        if kw:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, a, **kw)
        else:
            np.save(path, a)
        files[name] = {"arrays": [dict(expect(a), name=name[:-4])], "notes": list(notes)}

    # Every numeric dtype, little-endian and C-ordered: the writer must match these bytes exactly.
    save("c-f2.npy", rng.standard_normal((2, 3)).astype("<f2"))
    save("c-f4.npy", rng.standard_normal((3, 4)).astype("<f4"))
    save("c-f8.npy", rng.standard_normal(5))
    save("c-i1.npy", np.array([-128, -1, 0, 127], dtype="i1"))
    save("c-i2.npy", np.array([-30000, 2, 30000], dtype="<i2"))
    save("c-i4.npy", rng.integers(-2**31, 2**31, (2, 2), dtype="<i4"))
    save("c-i8.npy", np.array([-(2**63), 2**63 - 1], dtype="<i8"))
    save("c-u1.npy", np.array([0, 200, 255], dtype="u1"))
    save("c-u2.npy", np.array([65535], dtype="<u2"))
    save("c-u4.npy", np.array([4000000000, 1], dtype="<u4"))
    save("c-u8.npy", np.array([2**64 - 1], dtype="<u8"))
    save("c-b1.npy", np.array([[True, False], [False, True]]))
    save("c-c8.npy", (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype("<c8"))
    save("c-c16.npy", rng.standard_normal(2) + 1j * rng.standard_normal(2))
    save("c-scalar.npy", np.array(3.5, dtype="<f4"))
    save("c-empty.npy", np.zeros((0, 4), dtype="<f4"))
    save("c-long-dim.npy", np.zeros((1000000, 0), dtype="<f4"))  # a 7-digit first dim: less growth padding

    # Big-endian (NP-09) and Fortran order (NP-10): converted on read.
    save("be-f4.npy", rng.standard_normal((2, 3)).astype(">f4"), ["NP-09"])
    save("be-i8.npy", np.array([1, -2, 2**40], dtype=">i8"), ["NP-09"])
    save("be-f2.npy", rng.standard_normal(4).astype(">f2"), ["NP-09"])
    save("be-c16.npy", (rng.standard_normal(2) + 1j * rng.standard_normal(2)).astype(">c16"), ["NP-09"])
    save("be-u2.npy", np.array([1, 256, 65535], dtype=">u2"), ["NP-09"])
    save("f-f8.npy", np.asfortranarray(rng.standard_normal((3, 4))), ["NP-10"])
    save("f-i2-3d.npy", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)), ["NP-10"])
    save("f-be-f4.npy", np.asfortranarray(rng.standard_normal((4, 2)).astype(">f4")), ["NP-09", "NP-10"])
    save("f-1d.npy", np.asfortranarray(np.arange(5, dtype="<f4")))  # 1-D: Fortran = C, no conversion

    # Header versions 2.0 and 3.0 (TV-N01).
    save("v2.npy", np.arange(6, dtype="<f4").reshape(2, 3), version=(2, 0))
    save("v3.npy", np.arange(6, dtype="<i4").reshape(3, 2), version=(3, 0))

    # A Python 2 header with L suffixes and 16-byte alignment (TV-N05; NP-08 info).
    a = np.arange(12, dtype="<f4").reshape(3, 4)
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }"
    header += b" " * (16 - (10 + len(header) + 1) % 16) + b"\n"
    with open(os.path.join(out, "py2-header.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + a.tobytes())
    files["py2-header.npy"] = {"arrays": [dict(expect(a), name="py2-header")], "notes": ["NP-08"]}

    # Archives: stored (savez) and deflated (savez_compressed), names with '/', mixed dtypes.
    arrays = {"w": rng.standard_normal((3, 2)).astype("<f4"), "layer/bias": np.arange(3, dtype="<i8"),
              "mask": np.array([True, False]), "be": np.arange(4, dtype=">i4"),
              "fortran": np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))}
    for name, fn in [("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)]:
        fn(os.path.join(out, name), **arrays)
        pin_times(os.path.join(out, name))
        with zipfile.ZipFile(os.path.join(out, name)) as z:
            order = [n[:-4] for n in z.namelist()]
        files[name] = {"arrays": [dict(expect(arrays[n]), name=n) for n in order], "notes": ["NP-09", "NP-10"]}
    np.savez(os.path.join(out, "positional.npz"), np.arange(3, dtype="<u1"), np.zeros(2, dtype="<f2"))
    pin_times(os.path.join(out, "positional.npz"))
    files["positional.npz"] = {"arrays": [dict(expect(np.arange(3, dtype="<u1")), name="arr_0"),
                                          dict(expect(np.zeros(2, dtype="<f2")), name="arr_1")], "notes": []}

    # An archive with a non-array member (TV-N09): listed, warned about, arrays still read.
    buf = io.BytesIO()
    np.save(buf, np.arange(2, dtype="<i2"))
    with zipfile.ZipFile(os.path.join(out, "with-readme.npz"), "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", (2000, 1, 1, 0, 0, 0)), b"not an array\n")
        z.writestr(zipfile.ZipInfo("x.npy", (2000, 1, 1, 0, 0, 0)), buf.getvalue())
    # The spec names no rule for a non-array member; Pare reports it as NP-07 (extra content, ignored).
    files["with-readme.npz"] = {"arrays": [dict(expect(np.arange(2, dtype="<i2")), name="x")], "notes": ["NP-07"],
                                "others": ["readme.txt"]}

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(files, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
