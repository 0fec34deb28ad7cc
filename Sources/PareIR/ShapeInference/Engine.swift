import PareCore

/// The state of one inference run: what is known about every visible value, and findings.
struct InferenceEngine {
    var types: [String: ValueTypeBox] = [:]
    /// Propagated values of small integer (and BOOL) tensors of rank 0 or 1.
    var values: [String: [Dimension]] = [:]
    /// Values of small float constants, for ops that read float parameters (Resize scales).
    var floats: [String: [Double]] = [:]
    var findings: [Diagnostic] = []
    var symbols = SymbolTable()
    /// Names defined by the graph being inferred, as opposed to the enclosing scope.
    var defined: Set<String> = []
    /// Types found inside subgraphs: reported, but not visible to the enclosing graph.
    var nested: [String: ValueTypeBox] = [:]
    /// Declared types of the current graph's outputs: existing types for the merge rules.
    var declaredOutputs: [String: ValueTypeBox] = [:]
    var opsets: [String: Int64]
    let options: ShapeInference.Options
    /// Model-local functions by "domain::name".
    let functions: [String: Function]
    /// Subgraph and function nesting, bounded so that hostile files cannot recurse forever.
    var depth = 0
    /// Node visits left. Functions are expanded at every call, so a small file whose functions
    /// call each other twice per level could ask for 2^depth visits; past the budget, function
    /// calls are left unknown.
    var budget = 200_000
    /// The functions being expanded, innermost last: a function never expands inside itself.
    var calls: [String] = []
    /// Output types (and values) of function calls already expanded, by function and input types.
    var functionCache: [String: [FunctionOutput]] = [:]

    struct FunctionOutput {
        var type: ValueTypeBox?
        var values: [Dimension]?
        var floats: [Double]?
    }

    init(opsets: [String: Int64], options: ShapeInference.Options, functions: [Function]) {
        self.opsets = opsets
        self.options = options
        var byKey: [String: Function] = [:]
        for f in functions where byKey[Self.key(f.domain ?? "", f.name ?? "")] == nil {
            byKey[Self.key(f.domain ?? "", f.name ?? "")] = f
        }
        self.functions = byKey
    }

    static func key(_ domain: String, _ name: String) -> String {
        "\(domain == "ai.onnx" ? "" : domain)::\(name)"
    }

    func result(excludingOuter outer: Set<String>) -> InferenceResult {
        var out = nested
        for name in defined { out[name] = types[name] }
        var constants: [String: [Int64]] = [:]
        for (name, v) in values where defined.contains(name) {
            let known = v.compactMap(\.knownValue)
            if known.count == v.count { constants[name] = known }
        }
        return InferenceResult(types: out, constants: constants, findings: findings)
    }

    /// Infers `graph`; `bound` gives the types its inputs take from the enclosing node (Loop and
    /// Scan bodies, functions), merged quietly with what the body declares.
    mutating func run(graph: Graph, path: String, bound: [ValueTypeBox?]?) {
        declaredOutputs = [:]
        for o in graph.outputs {
            if let name = o.name, let t = o.type, declaredOutputs[name] == nil { declaredOutputs[name] = t }
        }
        seed(graph, path: path, bound: bound)
        var produced: Set<String> = []
        for (i, node) in graph.nodes.enumerated() {
            inferNode(node, location: "\(path) → \(node.label(index: i))")
            produced.formUnion(node.outputs)
        }
        // Outputs that are inputs or initializers: their declared type is checked too.
        for o in graph.outputs {
            guard let name = o.name, !produced.contains(name), let declared = o.type, let known = types[name] else { continue }
            report(TypeMerge.merge(existing: declared, inferred: known).1, at: "\(path) → output '\(name)'")
        }
    }

    /// Starts from the initializers (type and dims; values of small integer ones that are not
    /// also inputs, since an input may be fed a different value) and the graph inputs.
    mutating func seed(_ graph: Graph, path: String, bound: [ValueTypeBox?]?) {
        let inputNames = Set(graph.inputs.compactMap(\.name))
        var initTypes: [String: ValueTypeBox] = [:]
        for t in graph.initializers {
            guard let name = t.name, !name.isEmpty else { continue }
            let type = ValueTypeBox.tensor(t.dataType, Shape(known: t.dims))
            initTypes[name] = type
            define(name, type)
            guard !inputNames.contains(name) else { continue }
            if t.dims.count <= 1, let v = t.int64Values() { values[name] = v.map { .known($0) } }
            if t.dtype?.isFloatingPoint == true, let f = t.doubleValues() { floats[name] = f }
        }
        for s in graph.sparseInitializers {
            guard let name = s.values?.name, !name.isEmpty else { continue }
            define(name, .tensor(s.values?.dataType, Shape(known: s.dims)))
        }
        if depth > 0, let firstInit = graph.inputs.firstIndex(where: { initTypes[$0.name ?? ""] != nil }),
           graph.inputs[firstInit...].contains(where: { initTypes[$0.name ?? ""] == nil }) {
            findings.append(Diagnostic("SHAPE-05", .error, at: path,
                                       "initializer '\(graph.inputs[firstInit].name ?? "")' is listed among the inputs before a real input",
                                       hint: "Graph initializer names must appear after the actual inputs"))
        }
        var valueInfo: [String: ValueTypeBox]?
        for (k, input) in graph.inputs.enumerated() {
            guard let name = input.name, !name.isEmpty else { continue }
            var declared = input.type
            if declared?.tensorInfo?.shape == nil && (declared == nil || declared?.tensorInfo != nil) {
                // Nothing to infer from: a value_info entry for the input is the best there is.
                if valueInfo == nil {
                    valueInfo = [:]
                    for v in graph.valueInfo where v.name != nil && valueInfo?[v.name!] == nil { valueInfo?[v.name!] = v.type }
                }
                if let vi = valueInfo?[name] { declared = declared.map { TypeMerge.merge(existing: $0, inferred: vi).0 } ?? vi }
            }
            if depth == 0, !options.symbolBindings.isEmpty { declared = declared.map(bind) }
            if let b = bound, k < b.count, let t = b[k] {
                declared = declared.map { TypeMerge.merge(existing: $0, inferred: t).0 } ?? t
            }
            if let it = initTypes[name] {
                let (merged, conflicts) = declared.map { TypeMerge.merge(existing: $0, inferred: it) } ?? (it, [])
                report(conflicts, at: "\(path) → input '\(name)'")
                define(name, merged)
            } else if let declared {
                define(name, declared)
            }
        }
    }

    mutating func define(_ name: String, _ type: ValueTypeBox) {
        types[name] = type
        defined.insert(name)
    }

    /// Replaces bound symbols (options.symbolBindings) by numbers.
    func bind(_ t: ValueTypeBox) -> ValueTypeBox {
        guard case .tensor(let e, let s?) = t.kind else { return t }
        var shape = s
        for i in shape.dims.indices {
            if let sym = shape.dims[i].symbolName, let v = options.symbolBindings[sym] { shape.dims[i].value = .known(v) }
        }
        var out = t
        out.kind = .tensor(elemType: e, shape: shape)
        return out
    }

    mutating func report(_ conflicts: [TypeMerge.Conflict], at location: String) {
        for c in conflicts { findings.append(Diagnostic(c.rule, .error, at: location, c.message)) }
    }

    /// Runs the node's rule (or its subgraphs, or its function body) and records its outputs.
    mutating func inferNode(_ node: Node, location: String) {
        budget -= 1
        let domain = node.normalizedDomain
        if domain == "", ["If", "Loop", "Scan"].contains(node.op) {
            inferControlFlow(node, location: location)
            return
        }
        if domain == "", let rule = OpRegistry.rules[node.op] {
            var ctx = OpContext(node: node, opset: opsets[""] ?? ShapeInference.fallbackOpset,
                                inputTypes: node.inputs.map { $0.isEmpty ? nil : types[$0] },
                                inputValues: node.inputs.map { $0.isEmpty ? nil : values[$0] },
                                inputFloats: node.inputs.map { $0.isEmpty ? nil : floats[$0] })
            do {
                try rule(&ctx)
            } catch {
                let message = (error as? ShapeError)?.message ?? "\(error)"
                findings.append(Diagnostic("SHAPE-06", options.strict ? .error : .warning, at: location,
                                           "\(node.op) shape inference failed: \(message)"))
                return
            }
            for (i, name) in node.outputs.enumerated() where !name.isEmpty {
                if let t = ctx.outputTypes[i] {
                    record(name, t, values: ctx.outputValues[i], floats: ctx.outputFloats[i], at: location)
                }
            }
            return
        }
        if let f = functions[Self.key(domain, node.op)] {
            // A recursive or over-budget call is left unknown, like control flow: not an error.
            let key = Self.key(domain, node.op)
            if budget > 0, !calls.contains(key) { expandFunction(f, node: node, key: key, location: location) }
            return
        }
        let qualified = domain.isEmpty ? node.op : "\(domain)::\(node.op)"
        let message = domain.isEmpty || domain == "ai.onnx.ml"
            ? "Pare has no shape rule for \(qualified); its outputs are left unknown"
            : "operator \(qualified) has no schema; its outputs are left unknown"
        findings.append(Diagnostic("SHAPE-04", .info, at: location, message))
    }

    /// Stores an output's type (unknown dims named with fresh symbols), merging it with an
    /// existing type: a second definition of the name, or the graph output's declared type.
    mutating func record(_ name: String, _ inferred: ValueTypeBox, values v: [Dimension]?, floats f: [Double]?,
                         at location: String) {
        // A tensor type with neither element type nor shape says nothing: leave the value unknown.
        if case .tensor(nil, nil) = inferred.kind { return }
        var t = options.freshSymbols ? materialize(inferred) : inferred
        let existing = defined.contains(name) ? types[name] : declaredOutputs[name]
        if let existing {
            let (merged, conflicts) = TypeMerge.merge(existing: existing, inferred: t)
            report(conflicts, at: "\(location) → output '\(name)'")
            t = merged
        }
        define(name, t)
        values[name] = nil
        floats[name] = nil
        guard let (elem, shape) = t.tensorInfo, let dims = shape?.dims, dims.count <= 1 else { return }
        let count = dims.first?.knownValue ?? 1
        if let v, Int64(v.count) == count, let e = elem, let dt = DType(rawValue: e), !dt.isFloatingPoint, dt != .string {
            values[name] = v
        }
        if let f, Int64(f.count) == count { floats[name] = f }
    }

    /// Names every unknown dim of a tensor type with a fresh symbol.
    mutating func materialize(_ t: ValueTypeBox) -> ValueTypeBox {
        guard case .tensor(let e, let s?) = t.kind, s.dims.contains(where: { $0.value == nil }) else { return t }
        var shape = s
        for i in shape.dims.indices where shape.dims[i].value == nil {
            shape.dims[i].value = symbols.fresh().value
        }
        var out = t
        out.kind = .tensor(elemType: e, shape: shape)
        return out
    }
}
