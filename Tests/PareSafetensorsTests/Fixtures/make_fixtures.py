#!/usr/bin/env python3
"""Regenerate the valid safetensors fixtures of Tests/PareSafetensorsTests/Fixtures.

Usage: .venv/bin/python Tests/PareSafetensorsTests/Fixtures/make_fixtures.py [OUTDIR]

The files are written by the reference library (safetensors.torch.save_file, safetensors.numpy.save_file)
from seeded random tensors, so the Swift reader is tested against what the real writer emits. A few
edge cases the reference writer never produces but its reader accepts (formats.md TV-S15, TV-S16, an
unpadded header) are assembled byte by byte. expected.json maps each file to its metadata and, per
tensor in file (data-offset) order, the Pare dtype name, the shape and the raw little-endian bytes
as hex — the values the Swift reader must return.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
PARE = {  # safetensors dtype → Pare DType name (formats.md §8)
    "BOOL": "BOOL", "U8": "UINT8", "I8": "INT8", "I16": "INT16", "U16": "UINT16", "F16": "FLOAT16",
    "BF16": "BFLOAT16", "I32": "INT32", "U32": "UINT32", "F32": "FLOAT", "F64": "DOUBLE", "I64": "INT64",
    "U64": "UINT64", "C64": "COMPLEX64", "F8_E4M3": "FLOAT8E4M3FN", "F8_E5M2": "FLOAT8E5M2",
    "F8_E4M3FNUZ": "FLOAT8E4M3FNUZ", "F8_E5M2FNUZ": "FLOAT8E5M2FNUZ", "F8_E8M0": "FLOAT8E8M0", "F4": "FLOAT4E2M1",
}


def describe(path):
    """What the file holds, read independently of the writer: header JSON and data slices."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    start = 8 + n
    tensors = [{"name": k, "dtype": PARE[v["dtype"]], "shape": v["shape"],
                "hex": blob[start + v["data_offsets"][0]:start + v["data_offsets"][1]].hex()} for k, v in entries]
    return {"metadata": meta, "tensors": tensors}


def raw_file(path, header_text, data):
    h = header_text.encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    torch.manual_seed(1234)
    g = torch.Generator().manual_seed(1234)
    mixed = {
        "fc.weight": torch.randn(4, 3, generator=g),
        "fc.bias": torch.randn(4, generator=g),
        "half": torch.randn(2, 3, generator=g).half(),
        "brain": torch.randn(5, generator=g).bfloat16(),
        "mask": torch.tensor([True, False, True]),
        "small": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "bytes": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "short": torch.tensor([-300, 300], dtype=torch.int16),
        "counts": torch.tensor([[1, -2], [3, 4]], dtype=torch.int32),
        "steps": torch.tensor(123456789012, dtype=torch.int64),  # a scalar: shape []
        "double": torch.randn(3, generator=g, dtype=torch.float64),
        "cplx": torch.randn(2, generator=g, dtype=torch.complex64),
        "f8a": torch.randn(4, generator=g).to(torch.float8_e4m3fn),
        "f8b": torch.randn(4, generator=g).to(torch.float8_e5m2),
        "empty": torch.zeros(0, 3),
        "u16": torch.tensor([1, 65535], dtype=torch.uint16),
        "u32": torch.tensor([4000000000], dtype=torch.uint32),
        "u64": torch.tensor([2**63 + 5], dtype=torch.uint64),
    }
    files = {}
    save_file(mixed, os.path.join(out, "mixed.safetensors"), metadata={"format": "pt", "note": "héllo \"quoted\""})
    files["mixed.safetensors"] = describe(os.path.join(out, "mixed.safetensors"))

    # Names that need JSON escapes and non-ASCII bytes, written by the numpy binding.
    rng = np.random.default_rng(7)
    np_save_file({"layer.0/é": rng.standard_normal(3).astype(np.float32), "quote\"back\\slash": np.arange(4, dtype=np.int64)},
                 os.path.join(out, "names.safetensors"))
    files["names.safetensors"] = describe(os.path.join(out, "names.safetensors"))

    save_file({}, os.path.join(out, "empty.safetensors"))
    files["empty.safetensors"] = describe(os.path.join(out, "empty.safetensors"))

    # Accepted edge cases assembled by hand (the reference reader accepts each one).
    f32 = struct.pack("<3f", 1.0, 2.0, 3.0)
    raw_file(os.path.join(out, "unpadded.safetensors"),  # N = 59: the F32 data starts at an odd address → copied
             '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}   ', f32)
    raw_file(os.path.join(out, "spaces-around.safetensors"),  # TV-S15: ST-13 warning
             '  {"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}  ', f32)
    raw_file(os.path.join(out, "zero-size-shared.safetensors"),  # TV-S16: two empty tensors at one offset
             '{"z1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"z2":{"dtype":"I64","shape":[2,0],"data_offsets":[0,0]},'
             '"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}', f32)
    raw_file(os.path.join(out, "extra-member.safetensors"),  # TV-S18: ST-15 warning, tensor still read
             '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12],"foo":1}}', f32)
    raw_file(os.path.join(out, "f4.safetensors"),  # 4-bit floats: 4 elements in 2 bytes
             '{"q":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}', b"\x21\x43")
    for name in ["unpadded.safetensors", "spaces-around.safetensors", "zero-size-shared.safetensors",
                 "extra-member.safetensors", "f4.safetensors"]:
        files[name] = describe(os.path.join(out, name))
    files["spaces-around.safetensors"]["warnings"] = ["ST-13"]
    files["extra-member.safetensors"]["warnings"] = ["ST-15"]

    for name in files:
        os.chmod(os.path.join(out, name), 0o644)  # the Rust writer creates files 0600
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(files, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
