#!/usr/bin/env python3
"""Generates Sources/PareCheck/Generated/OpSchemas.swift from the installed onnx wheel.

Run with the project's venv (onnx installed):  .venv/bin/python scripts/gen-op-schemas.py

The checker's schema rules (ONNX-N06..N12) must agree with onnx.checker exactly, so the table is
taken from onnx's own registry (`onnx.defs.get_all_schemas_with_history()`), not written by hand.
Two facts the Python bindings do not expose are measured by probing `onnx.checker.check_node`:
whether a schema allows unchecked attributes, and custom input/output count rules (e.g.
BatchNormalization accepts 1 or 5 outputs, not 2-4). The experimental-op list (ONNX-G09) is read
from the checker.cc that ships inside the wheel.

The data is emitted as one string literal parsed once at first use: a giant array literal of
structs takes the Swift type checker minutes on a small machine, a string literal takes nothing.
"""

from __future__ import annotations

import os
import re
import sys

import onnx
import onnx.defs
from onnx import AttributeProto, helper
from onnx import onnx_cpp2py_export as cpp

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "PareCheck", "Generated",
                   "OpSchemas.swift")
INT_MAX = 2147483647
# Probe counts beyond the minimum up to this many extra operands; enough to expose every
# set-based count rule onnx has (the largest allowed set is {1, 5}).
PROBE_SPAN = 8

OPTION = {
    onnx.defs.OpSchema.FormalParameterOption.Single: "s",
    onnx.defs.OpSchema.FormalParameterOption.Optional: "o",
    onnx.defs.OpSchema.FormalParameterOption.Variadic: "v",
}


def probe_value(attr_type: int, name: str) -> AttributeProto:
    """A well-formed attribute of the given type, good enough to pass check_attribute."""
    t = AttributeProto
    if attr_type == t.FLOAT:
        return helper.make_attribute(name, 0.0)
    if attr_type == t.INT:
        return helper.make_attribute(name, 0)
    if attr_type == t.STRING:
        return helper.make_attribute(name, "a")
    if attr_type == t.TENSOR:
        return helper.make_attribute(name, helper.make_tensor("t", onnx.TensorProto.FLOAT, [1], [0.0]))
    if attr_type == t.GRAPH:
        return helper.make_attribute(name, helper.make_graph([], "g", [], []))
    if attr_type == t.TYPE_PROTO:
        return helper.make_attribute(name, helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, [1]))
    if attr_type == t.SPARSE_TENSOR:
        values = helper.make_tensor("v", onnx.TensorProto.FLOAT, [1], [1.0])
        indices = helper.make_tensor("i", onnx.TensorProto.INT64, [1], [0])
        return helper.make_attribute(name, helper.make_sparse_tensor(values, indices, [2]))
    # List types: an empty list is always acceptable to the generic checks.
    return helper.make_attribute(name, [], attr_type=attr_type)


def passes(schema, n_in: int, n_out: int, extra_attr: bool = False) -> bool:
    """Whether onnx.checker accepts a node of this schema with these operand counts."""
    attrs = [probe_value(a.type, a.name) for a in schema.attributes.values() if a.required]
    if extra_attr:
        attrs.append(helper.make_attribute("zz_pare_probe", 0))
    node = onnx.NodeProto()
    node.op_type = schema.name
    node.domain = schema.domain
    node.input.extend(f"i{k}" for k in range(n_in))
    node.output.extend(f"o{k}" for k in range(n_out))
    node.attribute.extend(attrs)
    ctx = cpp.checker.CheckerContext()
    ctx.ir_version = onnx.IR_VERSION
    ctx.opset_imports = {schema.domain: schema.since_version}
    try:
        cpp.checker.check_node(node.SerializeToString(), ctx, cpp.checker.LexicalScopeContext())
        return True
    except cpp.checker.ValidationError:
        return False


def allowed_counts(schema, lo: int, hi: int, inputs: bool, other: int) -> str:
    """'' when every count in [lo, hi] is accepted, else the accepted counts within the probe span."""
    top = lo + PROBE_SPAN if hi == INT_MAX else min(hi, lo + PROBE_SPAN)
    ok = []
    for n in range(lo, top + 1):
        if n == 0 and other == 0:
            continue  # a node needs some operand; that is ONNX-N02, not a count rule
        if passes(schema, n, other) if inputs else passes(schema, other, n):
            ok.append(n)
    expected = [n for n in range(lo, top + 1) if not (n == 0 and other == 0)]
    return "" if ok == expected else ",".join(map(str, ok))


def params(formals) -> str:
    return ",".join(f"{p.name}/{OPTION[p.option]}/{int(p.is_homogeneous)}" for p in formals)


def record(schema) -> str:
    min_in, max_in = schema.min_input, schema.max_input
    min_out, max_out = schema.min_output, schema.max_output
    base_out = max(min_out, 1 if min_in == 0 else 0)
    base_in = min_in
    if schema.deprecated:
        unchecked, allowed_in, allowed_out = False, "", ""
    else:
        if not passes(schema, base_in, base_out):
            sys.exit(f"probe baseline rejected for {schema.domain}::{schema.name}-{schema.since_version}")
        unchecked = passes(schema, base_in, base_out, extra_attr=True)
        allowed_in = allowed_counts(schema, min_in, max_in, True, base_out)
        allowed_out = allowed_counts(schema, min_out, max_out, False, max(base_in, 0) or 1)
    flags = ("d" if schema.deprecated else "") + ("u" if unchecked else "")
    attrs = ",".join(f"{a.name}/{int(a.type)}/{int(a.required)}"
                     for a in sorted(schema.attributes.values(), key=lambda a: a.name))
    fields = [schema.domain, schema.name, str(schema.since_version), flags,
              str(min_in), str(-1 if max_in == INT_MAX else max_in),
              str(min_out), str(-1 if max_out == INT_MAX else max_out),
              params(schema.inputs), params(schema.outputs), attrs, allowed_in, allowed_out]
    line = ";".join(fields)
    assert "\\" not in line and '"""' not in line
    return line


def experimental_ops() -> list[str]:
    """The removed experimental ops, as the wheel's own checker.cc lists them."""
    src = open(os.path.join(os.path.dirname(onnx.__file__), "checker.cc"), encoding="utf-8").read()
    m = re.search(r"experimental_ops\s*=\s*\{([^}]*)\}", src)
    if not m:
        sys.exit("cannot find experimental_ops in onnx/checker.cc")
    return sorted(re.findall(r'"([^"]+)"', m.group(1)))


def main() -> None:
    schemas = sorted(onnx.defs.get_all_schemas_with_history(),
                     key=lambda s: (s.domain, s.name, s.since_version))
    lines = [record(s) for s in schemas]
    data_types = sorted((v, k) for k, v in onnx.TensorProto.DataType.items() if v != 0)
    # Minimum IR version each (domain, opset) needs, from onnx.helper's release table.
    ir_for = sorted((d if d != "ai.onnx" else "", v, ir) for (d, v), ir in helper.OP_SET_ID_VERSION_MAP.items())
    max_opset = {}
    for d, v, _ in ir_for:
        max_opset[d] = max(v, max_opset.get(d, 0))

    out = []
    out.append("// GENERATED by scripts/gen-op-schemas.py from onnx " + onnx.__version__ + " — do not edit.")
    out.append("// Regenerate: .venv/bin/python scripts/gen-op-schemas.py")
    out.append("")
    out.append("/// Facts about the onnx release whose checker Pare mirrors.")
    out.append("enum GeneratedONNX {")
    out.append(f"    static let onnxVersion = \"{onnx.__version__}\"")
    out.append(f"    static let irVersion: Int64 = {onnx.IR_VERSION}")
    out.append("    /// `TensorProto.DataType` values and names this onnx knows (UNDEFINED excluded).")
    out.append("    static let dataTypes: [Int32: String] = [")
    for v, k in data_types:
        out.append(f"        {v}: \"{k}\",")
    out.append("    ]")
    out.append("    /// Removed experimental operators (onnx/checker.cc), accepted with a warning.")
    out.append("    static let experimentalOps: Set<String> = [" +
               ", ".join(f"\"{o}\"" for o in experimental_ops()) + "]")
    out.append("    /// Newest opset version of each built-in domain in onnx's release table.")
    out.append("    static let maxOpset: [String: Int64] = [" +
               ", ".join(f"\"{d}\": {v}" for d, v in sorted(max_opset.items())) + "]")
    out.append("    /// (domain, opset version, minimum IR version) from onnx.helper's release table.")
    out.append("    static let minIRForOpset: [(String, Int64, Int64)] = [")
    for d, v, ir in ir_for:
        out.append(f"        (\"{d}\", {v}, {ir}),")
    out.append("    ]")
    out.append("    /// One schema per line: domain;name;since;flags(d=deprecated,u=unchecked attributes);")
    out.append("    /// minIn;maxIn;minOut;maxOut (-1 = unbounded);inputs;outputs (name/option s|o|v/homogeneous);")
    out.append("    /// attributes (name/AttributeType/required);allowed input counts;allowed output counts")
    out.append("    /// (empty = every count in range).")
    out.append("    static let schemaTable = \"\"\"")
    out.extend(lines)
    out.append("\"\"\"")
    out.append("}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {len(lines)} schemas to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
