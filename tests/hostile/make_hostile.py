#!/usr/bin/env python3
"""Generate hostile (malformed, truncated, bomb) ONNX inputs for run_hostile.py.

Usage: make_hostile.py OUTDIR [--seed N]

Not committed: the test command regenerates the files (a few seconds, < 2 MB). Every file is one that a
reader must refuse cleanly: exit 1 or 2, one line on stderr, no crash, no hang, no output file. The set:

  truncated_NN      a valid model cut at 50 seeded positions (plus the graph/opset_import boundary)
  random_NN         50 files of seeded random bytes (1..4096 bytes)
  wiretype_*        a field with wire type 3 (start group), 4 (end group), 6 or 7 (do not exist), at top
                    level and inside the graph; and a well-formed unknown group (legal protobuf that ONNX
                    never uses: the spec says reject wire types 3/4 everywhere)
  len_2pow40_*      a length prefix of 2^40, at top level and nested
  len_past_eof_*    a length prefix running past the end of the file, at top level and nested
  nested_graphs_10000   GraphProto -> NodeProto -> AttributeProto(g) -> GraphProto ... 10,000 levels deep,
                    built iteratively from the inside out (the protobuf library cannot build it)
  nested_types_10000    TypeProto.sequence_type nested 10,000 deep in a graph input
  varint_11_bytes   a varint of 11 bytes; varint_overflow: a 10-byte varint with more than 64 bits;
                    varint_at_eof: a varint cut in the middle
  field_number_0    a tag with field number 0
  packed_float_len3 packed float_data whose payload is not a multiple of 4
  dims_bomb         an initializer claiming 2^31 x 2^31 floats with 4 bytes of data
  empty             an empty file

OUTDIR/manifest.json lists each file with a description and what the onnx Python library says of it
(unparseable / invalid + message). The script asserts that onnx rejects every file except the ones the
spec makes Pare stricter about (recorded with "onnx_accepts": true), so a "valid" hostile file cannot
slip in by accident.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

DEFAULT_SEED = 20240601


# ---- minimal protobuf wire encoder --------------------------------------------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def f_varint(field: int, value: int) -> bytes:
    return tag(field, 0) + varint(value)


def f_bytes(field: int, payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(field, 2) + varint(len(payload)) + payload


# ModelProto field numbers used below
M_IR, M_GRAPH, M_OPSET = 1, 7, 8
OPSET_BYTES = f_bytes(M_OPSET, f_bytes(1, "") + f_varint(2, 17))   # OperatorSetIdProto{domain "", version 17}


# ---- the valid base model ---------------------------------------------------------------------------

def base_model() -> bytes:
    """X[1,2,4,4] -> Conv(W, Bias) -> Relu -> Y; ~400 bytes, with raw tensor data to cut into.

    Serialised by the protobuf library, which writes fields in field-number order: graph (7) comes before
    opset_import (8) and nothing follows opset_import, so every proper prefix is an invalid model.
    """
    rng = np.random.default_rng(7)
    w = onnx.numpy_helper.from_array(rng.standard_normal((2, 2, 3, 3), dtype=np.float32), "W")
    b = onnx.numpy_helper.from_array(rng.standard_normal((2,), dtype=np.float32), "Bias")
    nodes = [helper.make_node("Conv", ["X", "W", "Bias"], ["H"], name="conv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["H"], ["Y"], name="relu")]
    g = helper.make_graph(nodes, "base", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2, 4, 4])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2, 4, 4])], [w, b])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="pare-hostile")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def split_model(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(bytes before the graph field, graph payload, bytes after it) of a serialized ModelProto."""
    m = onnx.ModelProto()
    m.ParseFromString(data)
    graph = m.graph.SerializeToString()
    field = f_bytes(M_GRAPH, graph)
    i = data.index(field)
    return data[:i], graph, data[i + len(field):]


# ---- deep nesting, built from the inside out without quadratic copying ------------------------------

def nested_graphs(depth: int) -> bytes:
    """ModelProto whose graph holds an If node whose then_branch holds an If node ... `depth` graphs.

    Each level is GraphProto{node: NodeProto{op_type "If", attribute: AttributeProto{name, type GRAPH,
    g: <next level>}}}. Sizes are computed from the innermost graph outwards; the bytes are then emitted
    outermost first, each level contributing only its headers, so the work is linear in the depth.
    """
    innermost = f_bytes(1, f_bytes(1, "X") + f_bytes(2, "Y") + f_bytes(4, "Identity")) + f_bytes(2, "leaf")
    attr_fixed = f_bytes(1, "then_branch") + f_varint(20, onnx.AttributeProto.GRAPH)
    op_field = f_bytes(4, "If")
    headers = []
    size = len(innermost)
    for _ in range(depth - 1):
        attr_head = attr_fixed + tag(6, 2) + varint(size)
        attr_len = len(attr_head) + size
        node_head = op_field + tag(5, 2) + varint(attr_len)
        node_len = len(node_head) + attr_len
        graph_head = tag(1, 2) + varint(node_len)
        headers.append(graph_head + node_head + attr_head)
        size = len(graph_head) + node_len
    graph = b"".join(reversed(headers)) + innermost
    assert len(graph) == size
    return f_varint(M_IR, 8) + tag(M_GRAPH, 2) + varint(size) + graph + OPSET_BYTES


def nested_types(depth: int) -> bytes:
    """A graph input whose TypeProto is sequence_type(sequence_type(...(tensor float))) `depth` deep."""
    leaf = f_bytes(1, f_varint(1, TensorProto.FLOAT))              # TypeProto{tensor_type{elem_type}}
    headers = []
    size = len(leaf)
    for _ in range(depth - 1):
        # TypeProto{sequence_type (4): Sequence{elem_type (1): TypeProto}}
        seq_head = tag(1, 2) + varint(size)
        seq_len = len(seq_head) + size
        type_head = tag(4, 2) + varint(seq_len)
        headers.append(type_head + seq_head)
        size = len(type_head) + seq_len
    type_proto = b"".join(reversed(headers)) + leaf
    value_info = f_bytes(1, "X") + tag(2, 2) + varint(len(type_proto)) + type_proto
    graph = f_bytes(1, f_bytes(1, "X") + f_bytes(2, "Y") + f_bytes(4, "Identity")) + f_bytes(2, "g") + \
        tag(11, 2) + varint(len(value_info)) + value_info
    return f_varint(M_IR, 8) + f_bytes(M_GRAPH, graph) + OPSET_BYTES


# ---- the corpus -------------------------------------------------------------------------------------

def build(seed: int) -> list[tuple[str, bytes, str]]:
    rng = np.random.default_rng(seed)
    base = base_model()
    head, graph, tail = split_model(base)
    files: list[tuple[str, bytes, str]] = []

    # 50 seeded cut points in [1, len-1] (0 is the empty file, len the valid model), plus the boundary
    # between the graph and opset_import, where the prefix is a complete message lacking opset_import.
    boundary = len(head) + len(f_bytes(M_GRAPH, graph))
    cuts = sorted(set(rng.choice(np.arange(1, len(base)), size=50, replace=False).tolist()) | {boundary})
    for i, c in enumerate(cuts):
        files.append((f"truncated_{i:02d}.onnx", base[:c], f"valid {len(base)}-byte model cut to {c} bytes"))

    for i in range(50):
        n = int(rng.integers(1, 4097))
        files.append((f"random_{i:02d}.onnx", rng.bytes(n), f"{n} random bytes"))

    # Wire types: 3/4 are groups (never used by ONNX), 6/7 do not exist.
    for wt in (3, 4, 6, 7):
        files.append((f"wiretype_{wt}_top.onnx", base + tag(M_IR, wt) + b"\x01\x02\x03",
                      f"valid model followed by field 1 with wire type {wt}"))
        bad_graph = graph + tag(1, wt) + b"\x01\x02\x03"   # GraphProto.node with a wrong wire type
        files.append((f"wiretype_{wt}_nested.onnx", head + f_bytes(M_GRAPH, bad_graph) + tail,
                      f"GraphProto.node (field 1) with wire type {wt} inside the graph"))
    files.append(("wiretype_3_4_unknown_group.onnx", base + tag(99, 3) + f_varint(1, 5) + tag(99, 4),
                  "well-formed group in unknown field 99 (legal protobuf; ONNX never uses groups)"))

    files.append(("len_2pow40_top.onnx", f_varint(M_IR, 8) + tag(M_GRAPH, 2) + varint(1 << 40) + b"\x0a\x00",
                  "graph field with a length prefix of 2^40"))
    nested = tag(1, 2) + varint(1 << 40) + b"\x22\x02If"    # GraphProto.node claiming 2^40 bytes
    files.append(("len_2pow40_nested.onnx", f_varint(M_IR, 8) + f_bytes(M_GRAPH, nested) + OPSET_BYTES,
                  "NodeProto inside the graph with a length prefix of 2^40"))
    files.append(("len_past_eof_top.onnx", f_varint(M_IR, 8) + tag(M_GRAPH, 2) + varint(1000) + graph[:10],
                  "graph field claiming 1000 bytes, 10 present"))
    nested = tag(1, 2) + varint(200) + b"\x22\x02If"
    files.append(("len_past_eof_nested.onnx", f_varint(M_IR, 8) + f_bytes(M_GRAPH, nested) + OPSET_BYTES,
                  "NodeProto claiming 200 bytes inside a 7-byte graph"))

    files.append(("nested_graphs_10000.onnx", nested_graphs(10000), "If subgraphs nested 10,000 deep"))
    files.append(("nested_types_10000.onnx", nested_types(10000), "sequence_type nested 10,000 deep"))

    files.append(("varint_11_bytes.onnx", tag(M_IR, 0) + b"\x80" * 10 + b"\x01" + OPSET_BYTES,
                  "ir_version encoded as an 11-byte varint"))
    files.append(("varint_overflow.onnx", tag(M_IR, 0) + b"\xff" * 9 + b"\x7f" + OPSET_BYTES,
                  "10-byte varint with bits above 2^64"))
    files.append(("varint_at_eof.onnx", base + tag(M_IR, 0) + b"\x80\x80",
                  "valid model followed by a varint cut off at the end of the file"))
    files.append(("field_number_0.onnx", b"\x00\x01" + base, "tag with field number 0 before a valid model"))

    # TensorProto{dims 2, data_type FLOAT, name "W", float_data packed with a 3-byte payload}
    bad_tensor = f_varint(1, 2) + f_varint(2, TensorProto.FLOAT) + f_bytes(8, "W") + f_bytes(4, b"\x00\x00\x80")
    files.append(("packed_float_len3.onnx", head + f_bytes(M_GRAPH, graph + f_bytes(5, bad_tensor)) + tail,
                  "extra initializer whose packed float_data payload is 3 bytes"))
    bomb = f_varint(1, 1 << 31) + f_varint(1, 1 << 31) + f_varint(2, TensorProto.FLOAT) + f_bytes(8, "Big") + \
        f_bytes(9, b"\x00" * 4)
    files.append(("dims_bomb.onnx", head + f_bytes(M_GRAPH, graph + f_bytes(5, bomb)) + tail,
                  "extra initializer with dims [2^31, 2^31] FLOAT and 4 bytes of raw_data"))

    files.append(("empty.onnx", b"", "empty file"))
    return files


def onnx_verdict(data: bytes) -> tuple[bool, str]:
    """(accepted, message) of the onnx Python library: parse, then check with full_check."""
    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception as e:
        return False, f"unparseable: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]
    try:
        onnx.checker.check_model(m, full_check=True)
        return True, "accepted"
    except Exception as e:
        first = next((l for l in str(e).splitlines() if l.strip()), repr(e))
        return False, f"invalid: {type(e).__name__}: {first.strip()}"[:200]


# Files the spec makes Pare refuse although protobuf/onnx accept them (see the module docstring).
ONNX_MAY_ACCEPT = {"wiretype_3_4_unknown_group.onnx"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    entries = []
    for name, data, what in build(args.seed):
        with open(os.path.join(args.outdir, name), "wb") as f:
            f.write(data)
        accepted, msg = onnx_verdict(data)
        if accepted and name not in ONNX_MAY_ACCEPT:
            raise SystemExit(f"make_hostile: {name} is accepted by onnx; it is not a hostile input")
        entries.append({"file": name, "size": len(data), "what": what, "onnx_accepts": accepted, "onnx": msg})
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump({"seed": args.seed, "files": entries}, f, indent=1)
    total = sum(e["size"] for e in entries)
    print(f"make_hostile: {len(entries)} files, {total} bytes in {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
