import PareCore
import PareIR

/// Schema-independent attribute rules ONNX-A01..A05 and ONNX-X09 (ref_attr_name outside a
/// function body). Nested tensors and subgraphs are checked here with the current scope.
extension CheckContext {
    mutating func checkAttribute(_ attr: Attribute, at place: String, env: GraphEnv, scope: inout Scope) {
        let name = attr.name ?? ""
        if name.isEmpty {
            report("ONNX-A01", .error, at: place, "the attribute has no name", hint: "give the attribute its name")
        }
        if irVersion >= 2 && attr.type == nil {
            report("ONNX-A02", .error, at: place, "the attribute's type is not set (required from IR 2)",
                   hint: "set AttributeProto.type")
        } else if attr.type == AttributeType.undefined.rawValue {
            // onnx accepts an explicit UNDEFINED here and leaves it to the schema check, which
            // fails for every schema-checked operator; for custom operators it is only suspicious.
            report("ONNX-A02", .warning, at: place, "the attribute's type is UNDEFINED", hint: "set the real attribute type")
        }
        let fields = attr.populatedFields
        if fields.count > 1 {
            report("ONNX-A03", .error, at: place, "the attribute sets several value fields (\(fields.map(\.name).joined(separator: ", ")))",
                   hint: "keep only the field its type names")
        }
        if let type = attr.type, let wrong = fields.first(where: { $0.rawValue != type }) {
            report("ONNX-A03", .error, at: place, "type field and data field mismatch: type is \(typeName(type)) but \(wrong.name) is set",
                   hint: "make the type match the value")
        }
        // onnx applies this wherever its "main graph" flag is off (every subgraph); the rule is
        // meant for function bodies, so Pare applies it there too.
        if attr.refAttrName != nil && !fields.isEmpty && (env.inFunction || !env.isMainGraph) {
            report("ONNX-A04", .error, at: place, "the attribute refers to '\(attr.refAttrName ?? "")' and also carries a value",
                   hint: "a reference takes its value from the caller: drop the value field")
        }
        if !env.inFunction, let ref = attr.refAttrName, !ref.isEmpty {
            report("ONNX-X09", .error, at: place, "ref_attr_name '\(ref)' is used outside a function body",
                   hint: "attribute references are only meaningful inside model-local functions")
        }
        // A05: nested values.
        if let t = attr.t { checkTensor(t, at: place) }
        for (i, t) in attr.tensors.enumerated() { checkTensor(t, at: "\(place)[\(i)]") }
        if let s = attr.sparseTensor { checkSparseTensor(s, at: place) }
        for (i, s) in attr.sparseTensors.enumerated() { checkSparseTensor(s, at: "\(place)[\(i)]") }
        if let g = attr.g {
            checkGraph(g, at: "\(place) → graph '\(g.name ?? "")'", env: env.subgraph, scope: &scope)
        }
        for (i, g) in attr.graphs.enumerated() {
            checkGraph(g, at: "\(place)[\(i)] → graph '\(g.name ?? "")'", env: env.subgraph, scope: &scope)
        }
    }
}
