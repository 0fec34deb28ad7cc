import PareCore
import PareIR

/// Value-info rules ONNX-V01..V03 for graph inputs and outputs, and ONNX-X08 (negative dims in
/// any type annotation).
extension CheckContext {
    /// onnx checks only the name of subgraph inputs and outputs; the main graph's must also be
    /// fully typed, with a stated rank for tensors.
    mutating func checkValueInfo(_ vi: ValueInfo, at place: String, mainGraph: Bool) {
        if (vi.name ?? "").isEmpty {
            report("ONNX-V01", .error, at: place, "the value has no name", hint: "every graph input and output needs a name")
        }
        checkNegativeDims(vi.type, at: place)
        guard mainGraph else { return }
        guard let type = vi.type else {
            report("ONNX-V02", .error, at: place, "main-graph input or output has no type",
                   hint: "declare its type, e.g. a tensor with elem_type and shape")
            return
        }
        let missing: String?
        switch type.kind {
        case .tensor(let elem, let shape), .sparseTensor(let elem, let shape):
            missing = elem == nil ? "elem_type" : shape == nil ? "shape" : nil
        case .sequence(let elem), .optional(let elem):
            missing = elem == nil ? "elem_type" : nil
        case .map(let key, let value):
            missing = key == nil ? "key_type" : value == nil ? "value_type" : nil
        case .opaque(_, let name):
            missing = (name ?? "").isEmpty ? "name" : nil
        case .none:
            report("ONNX-V03", .error, at: place, "the type has no recognised case (tensor, sequence, map, optional, sparse tensor, opaque)",
                   hint: "set one of the TypeProto cases")
            return
        }
        if let missing {
            report("ONNX-V02", .error, at: place, "main-graph input or output type lacks '\(missing)'",
                   hint: missing == "shape" ? "state the rank: add a shape, with unknown dims if needed" : "set '\(missing)'")
        }
    }

    /// ONNX-X08: some exporters write −1 for an unknown dim; ONNX spells that as an unset dim or
    /// a dim_param. Nested element types (sequence, optional, map values) are searched too.
    mutating func checkNegativeDims(_ type: ValueTypeBox?, at place: String) {
        var pending: [ValueTypeBox] = type.map { [$0] } ?? []
        while let t = pending.popLast() {
            switch t.kind {
            case .tensor(_, let shape), .sparseTensor(_, let shape):
                for (k, dim) in (shape?.dims ?? []).enumerated() {
                    if let v = dim.knownValue, v < 0 {
                        report("ONNX-X08", strictable, at: place, "dim \(k) has the negative dim_value \(v)",
                               hint: "leave the dim unset or give it a dim_param name for an unknown size")
                    }
                }
            case .sequence(let e), .optional(let e):
                if let e { pending.append(e) }
            case .map(_, let v):
                if let v { pending.append(v) }
            case .opaque, .none:
                break
            }
        }
    }
}
