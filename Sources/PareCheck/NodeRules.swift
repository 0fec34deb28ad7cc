import PareCore
import PareIR

/// Node rules ONNX-N01..N12 against onnx's schema registry, the experimental-op warning
/// (ONNX-G09 / F11) and the not-schema-checked note for custom domains (ONNX-X15).
extension CheckContext {
    /// Domains whose operators onnx requires a schema for; any other domain is custom.
    static let schemaRequiredDomains: Set<String> = ["", "ai.onnx", "ai.onnx.ml", "ai.onnx.training"]

    mutating func checkNode(_ node: Node, at place: String, env: GraphEnv, scope: inout Scope) {
        let op = node.opType ?? ""
        if op.isEmpty {
            report("ONNX-N01", .error, at: place, "the node has no op_type", hint: "set the operator name")
        }
        if node.inputs.isEmpty && node.outputs.isEmpty {
            report("ONNX-N02", .error, at: place, "the node has no inputs and no outputs", hint: "remove the node")
        }
        // onnx looks the domain up verbatim, falling back from "" to an "ai.onnx" import (but
        // not the other way round).
        let domain = node.domain ?? ""
        var version = env.opsets[domain]
        if version == nil && domain.isEmpty { version = env.opsets["ai.onnx"] }
        if version == nil {
            let shown = domain.isEmpty ? "\"\"" : "'\(domain)'"
            report(env.inFunction ? "ONNX-F08" : "ONNX-N03", .error, at: place, "no opset import for domain \(shown)",
                   hint: domain == "ai.onnx" ? "write the default domain as \"\" (onnx does not map node domain 'ai.onnx' to an import of \"\")"
                                              : "add an opset_import entry for domain \(shown)")
        }
        var seen = Set<String>()
        for attr in node.attributes {
            let name = attr.name ?? ""
            let aPlace = "\(place) → attribute '\(name)'"
            if !seen.insert(name).inserted {
                report("ONNX-N04", .error, at: aPlace, "attribute '\(name)' appears more than once", hint: "keep one")
            }
            checkAttribute(attr, at: aPlace, env: env, scope: &scope)
        }
        guard let version, !op.isEmpty else { return }
        if (domain.isEmpty || domain == "ai.onnx") && GeneratedONNX.experimentalOps.contains(op) {
            report(env.inFunction ? "ONNX-F11" : "ONNX-G09", .warning, at: place,
                   "\(op) is a removed experimental operator; onnx may reject it in the future",
                   hint: "replace it with standard operators")
            return
        }
        guard let schema = OpSchemaRegistry.schema(domain: domain, op: op, version: version) else {
            reportMissingSchema(node, op: op, domain: domain, version: version, at: place)
            return
        }
        if schema.deprecated {
            report("ONNX-N07", .error, at: place, "\(op) is deprecated at opset version \(version) (schema \(schema.label))",
                   hint: "replace it with its successor operator or change the opset version")
            return
        }
        verify(node, against: schema, at: place)
    }

    private mutating func reportMissingSchema(_ node: Node, op: String, domain: String, version: Int64, at place: String) {
        let localFunction = calledFunction(node)
        if Self.schemaRequiredDomains.contains(domain) || (options.checkCustomDomains && localFunction == nil) {
            let hint: String
            if domain == "ai.onnx" {
                hint = "onnx registers default-domain operators under \"\" only: write the node's domain as \"\""
            } else if OpSchemaRegistry.knows(domain: domain, op: op) {
                hint = "\(op) does not exist yet at opset \(version); raise the opset version"
            } else {
                hint = "check the operator name and domain, or move a custom operator to its own domain"
            }
            report("ONNX-N06", .error, at: place,
                   "no operator \(op) is registered in domain '\(domain)' at opset version \(version)", hint: hint)
        } else if let function = localFunction {
            checkLocalFunctionCall(node, function, at: place)
        } else if reportedUncheckedOps.insert("\(domain)\u{0}\(op)").inserted {
            report("ONNX-X15", .info, at: place, "operator \(domain)::\(op) has no known schema and is not schema-checked",
                   hint: "pass --check-custom-domains to require schemas for custom domains")
        }
    }

    /// The model-local function a node calls, if any: (domain, op_type, overload) equals a
    /// function's (domain, name, overload), with "ai.onnx" folded into "" like onnx does.
    func calledFunction(_ node: Node) -> Function? {
        model.functions.first {
            Self.fold($0.domain ?? "") == node.normalizedDomain && $0.name == node.opType
                && ($0.overload ?? "") == (node.overload ?? "")
        }
    }

    static func fold(_ domain: String) -> String { domain == "ai.onnx" ? "" : domain }

    /// onnx does not check call sites of local functions; Pare warns about calls that pass more
    /// operands than the function declares or attributes it does not know.
    private mutating func checkLocalFunctionCall(_ node: Node, _ f: Function, at place: String) {
        let fname = f.name ?? ""
        if node.inputs.count > f.inputs.count {
            report("ONNX-N08", .warning, at: place, "passes \(node.inputs.count) inputs but function '\(fname)' declares \(f.inputs.count)",
                   hint: "match the call to the function's inputs")
        }
        if node.outputs.count > f.outputs.count {
            report("ONNX-N08", .warning, at: place, "expects \(node.outputs.count) outputs but function '\(fname)' declares \(f.outputs.count)",
                   hint: "match the call to the function's outputs")
        }
        let known = Set(f.attributeNames + f.attributeDefaults.compactMap(\.name))
        for attr in node.attributes where !known.contains(attr.name ?? "") && !(attr.name ?? "").hasPrefix("__") {
            report("ONNX-N11", .warning, at: "\(place) → attribute '\(attr.name ?? "")'",
                   "function '\(fname)' declares no attribute '\(attr.name ?? "")'", hint: "remove it or declare it in the function")
        }
    }

    /// onnx's `OpSchema::Verify`: operand counts, required single operands, attribute names,
    /// types and presence.
    private mutating func verify(_ node: Node, against schema: OpSchema, at place: String) {
        checkCounts(node.inputs.count, formals: schema.inputs, max: schema.maxInputs, accepts: schema.acceptsInputCount,
                    what: "inputs", schema: schema, at: place)
        checkCounts(node.outputs.count, formals: schema.outputs, max: schema.maxOutputs, accepts: schema.acceptsOutputCount,
                    what: "outputs", schema: schema, at: place)
        for (k, name) in node.inputs.enumerated() where name.isEmpty && k < schema.inputs.count && schema.inputs[k].option == .single {
            report("ONNX-N10", .error, at: "\(place) → input \(k)", "required input '\(schema.inputs[k].name)' is empty",
                   hint: "only optional inputs may be omitted with \"\"")
        }
        for (k, name) in node.outputs.enumerated() where name.isEmpty && k < schema.outputs.count && schema.outputs[k].option == .single {
            report("ONNX-N10", .error, at: "\(place) → output \(k)", "required output '\(schema.outputs[k].name)' is empty",
                   hint: "only optional outputs may be omitted with \"\"")
        }
        var present = Set<String>()
        for attr in node.attributes {
            let name = attr.name ?? ""
            present.insert(name)
            let aPlace = "\(place) → attribute '\(name)'"
            guard let spec = schema.attributes[name] else {
                // Names starting with "__" are implementation details onnx never checks.
                if !schema.allowsUncheckedAttributes && !name.hasPrefix("__") {
                    report("ONNX-N11", .error, at: aPlace, "\(schema.label) has no attribute '\(name)'",
                           hint: "remove it or check its spelling")
                }
                continue
            }
            let actual = attr.type ?? 0
            if actual != spec.type {
                report("ONNX-N12", .error, at: aPlace,
                       "attribute type is \(typeName(actual)) but \(schema.label) declares \(typeName(spec.type))",
                       hint: "write the attribute as \(typeName(spec.type))")
                continue
            }
            if !(attr.refAttrName ?? "").isEmpty { continue }
            let missingField: String? = switch AttributeType(rawValue: spec.type) {
            case .tensor: attr.t == nil ? "t" : nil
            case .sparseTensor: attr.sparseTensor == nil ? "sparse_tensor" : nil
            case .graph: attr.g == nil ? "g" : nil
            case .typeProto: attr.tp == nil ? "tp" : nil
            default: nil
            }
            if let missingField {
                report("ONNX-N12", .error, at: aPlace, "\(typeName(spec.type)) attribute has no value in field '\(missingField)'",
                       hint: "set the attribute's value")
            }
        }
        for spec in schema.attributes.values.sorted(by: { $0.name < $1.name }) where spec.required && !present.contains(spec.name) {
            report("ONNX-N12", .error, at: place, "required attribute '\(spec.name)' of \(schema.label) is missing",
                   hint: "add the attribute")
        }
    }

    private mutating func checkCounts(_ n: Int, formals: [OpSchema.Parameter], max: Int, accepts: (Int) -> Bool,
                                      what: String, schema: OpSchema, at place: String) {
        if !accepts(n) {
            let maxText = max == Int.max ? "∞" : "\(max)"
            let lo = what == "inputs" ? schema.minInputs : schema.minOutputs
            let allowed = what == "inputs" ? schema.allowedInputCounts : schema.allowedOutputCounts
            report("ONNX-N08", .error, at: place, "has \(n) \(what); \(schema.label) accepts [\(lo), \(maxText)]"
                   + (allowed.map { " and only the counts \($0.sorted().map(String.init).joined(separator: ", "))" } ?? ""),
                   hint: "check the operator's signature at this opset version")
        }
        // onnx's Verify also walks the operands: positions past the formal parameters are only
        // legal when the last one is variadic.
        if n > formals.count && formals.last?.option != .variadic {
            report("ONNX-N09", .error, at: place, "has \(n) \(what) but \(schema.label) declares only \(formals.count)",
                   hint: "remove the extra \(what)")
        }
    }

    func typeName(_ raw: Int32) -> String { AttributeType(rawValue: raw)?.name ?? "type \(raw)" }
}
