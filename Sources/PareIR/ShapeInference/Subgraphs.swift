import PareCore

/// If, Loop and Scan (bodies inferred with the outer values visible) and model-local functions
/// (bodies inferred in isolation, as if inlined). What cannot be inferred is left unknown,
/// without a finding: control flow is not an error.
extension InferenceEngine {
    static let maxDepth = 32

    /// Infers a subgraph in a child engine that sees this scope, and returns the types of the
    /// subgraph's outputs. The subgraph's own values are reported as nested.
    mutating func inferSubgraph(_ g: Graph, path: String, bound: [ValueTypeBox?]?) -> [ValueTypeBox?] {
        guard depth < Self.maxDepth else { return g.outputs.map { _ in nil } }
        var child = self
        child.depth += 1
        child.defined = []
        child.nested = [:]
        child.findings = []
        child.run(graph: g, path: path, bound: bound)
        findings += child.findings
        symbols = child.symbols
        budget = child.budget
        functionCache = child.functionCache
        for name in child.defined where nested[name] == nil { nested[name] = child.types[name] }
        for (name, t) in child.nested where nested[name] == nil { nested[name] = t }
        return g.outputs.map { $0.name.flatMap { child.types[$0] } }
    }

    mutating func inferControlFlow(_ node: Node, location: String) {
        let inputs = node.inputs.map { $0.isEmpty ? nil : types[$0] }
        func path(_ attr: String, _ g: Graph) -> String { "\(location) → attribute '\(attr)' → graph '\(g.name ?? "")'" }
        var outputs: [ValueTypeBox?] = Array(repeating: nil, count: node.outputs.count)
        switch node.op {
        case "If":
            guard let a = node.attribute("then_branch")?.g, let b = node.attribute("else_branch")?.g else { break }
            let x = inferSubgraph(a, path: path("then_branch", a), bound: nil)
            let y = inferSubgraph(b, path: path("else_branch", b), bound: nil)
            for i in outputs.indices where i < x.count && i < y.count { outputs[i] = TypeMerge.union(x[i], y[i]) }
        case "Loop":
            guard let body = node.attribute("body")?.g else { break }
            // Body inputs: iteration number, condition, then the loop-carried values.
            let carried = Array(inputs.dropFirst(2))
            let bound: [ValueTypeBox?] = [.tensor(Elem.int64, Shape([])), .tensor(Elem.bool, Shape([]))] + carried
            let out = inferSubgraph(body, path: path("body", body), bound: bound)
            for i in outputs.indices {
                if i < carried.count {
                    outputs[i] = i + 1 < out.count ? loopCarried(carried[i], out[i + 1]) : nil
                } else if i + 1 < out.count {
                    // Scan outputs stack one body output per iteration: a leading dim of unknown size.
                    outputs[i] = stacked(out[i + 1], at: 0, length: .unknown)
                }
            }
        case "Scan":
            outputs = inferScan(node, inputs: inputs, path: path)
        default:
            break
        }
        for (i, name) in node.outputs.enumerated() where !name.isEmpty {
            if let t = outputs[i] { record(name, t, values: nil, floats: nil, at: location) }
        }
    }

    /// Scan (opset 9 on): N state variables then M scanned inputs, iterated along their scan
    /// axes; outputs are the final states and K stacked scan outputs.
    mutating func inferScan(_ node: Node, inputs: [ValueTypeBox?], path: (String, Graph) -> String) -> [ValueTypeBox?] {
        var outputs: [ValueTypeBox?] = Array(repeating: nil, count: node.outputs.count)
        guard (opsets[""] ?? ShapeInference.fallbackOpset) >= 9, let body = node.attribute("body")?.g,
              let m = node.int("num_scan_inputs"), m >= 0, Int(m) <= inputs.count else { return outputs }
        let n = inputs.count - Int(m)
        let inAxes = node.ints("scan_input_axes") ?? []
        var bound = Array(inputs.prefix(n))
        var length = Dimension.unknown
        for j in 0..<Int(m) {
            guard let (e, s) = inputs[n + j]?.tensorInfo, let dims = s?.dims,
                  let axis = try? DimMath.axis(j < inAxes.count ? inAxes[j] : 0, rank: dims.count) else {
                bound.append(inputs[n + j]?.tensorInfo.map { .tensor($0.elemType, nil) })
                continue
            }
            if j == 0 { length = dims[axis] }
            var slice = dims
            slice.remove(at: axis)
            bound.append(.tensor(e, Shape(slice)))
        }
        let out = inferSubgraph(body, path: path("body", body), bound: bound)
        let outAxes = node.ints("scan_output_axes") ?? []
        for i in outputs.indices where i < out.count {
            if i < n {
                outputs[i] = loopCarried(inputs[i], out[i])
            } else {
                let k = i - n
                outputs[i] = stacked(out[i], at: k < outAxes.count ? outAxes[k] : 0, length: length)
            }
        }
        return outputs
    }

    /// A loop-carried value's final type: what the initial value and the body's result share,
    /// or the body's element type alone.
    func loopCarried(_ initial: ValueTypeBox?, _ body: ValueTypeBox?) -> ValueTypeBox? {
        if let u = TypeMerge.union(initial, body) { return u }
        return (body ?? initial)?.tensorInfo.map { .tensor($0.elemType, nil) }
    }

    /// `t` with a dim of `length` inserted at `axis` (of the result's rank).
    func stacked(_ t: ValueTypeBox?, at axis: Int64, length: Dimension) -> ValueTypeBox? {
        guard let (e, s) = t?.tensorInfo else { return t }
        guard let dims = s?.dims, let a = try? DimMath.axis(axis, rank: dims.count + 1) else { return .tensor(e, nil) }
        var out = dims
        out.insert(length, at: a)
        return .tensor(e, Shape(out))
    }

    /// Infers a model-local function's body for this call: attribute references resolved from
    /// the node (or the function's defaults), inputs bound to the node's input types and values.
    /// A call with the same inputs and attributes as an earlier one reuses its result, so that
    /// functions calling functions cost one expansion per distinct call, not one per path.
    mutating func expandFunction(_ f: Function, node: Node, key: String, location: String) {
        guard depth < Self.maxDepth else { return }
        let inputs = node.inputs.map { $0.isEmpty ? nil : types[$0] }
        let inputValues = node.inputs.map { $0.isEmpty ? nil : values[$0] }
        // Tensor attributes print without their bytes: such calls are not cached.
        let cacheable = node.attributes.allSatisfy { $0.t == nil && $0.tensors.isEmpty && $0.sparseTensor == nil }
        let cacheKey = "\(key)|\(inputs)|\(inputValues)|\(node.attributes)"
        if cacheable, let cached = functionCache[cacheKey] {
            recordFunctionOutputs(renamingFreshSymbols(cached, keeping: inputs), node: node, location: location)
            return
        }
        var body = Graph(name: f.name, nodes: f.nodes.map { substitute($0, call: node, defaults: f.attributeDefaults) })
        body.inputs = f.inputs.map { ValueInfo(name: $0, type: nil) }
        body.outputs = f.outputs.map { ValueInfo(name: $0, type: nil) }
        // A function body sees only its inputs: a fresh scope that keeps the function table.
        var child = self
        child.types = [:]
        child.values = [:]
        child.floats = [:]
        child.findings = []
        child.defined = []
        child.nested = [:]
        for o in f.opsetImports { child.opsets[o.normalizedDomain] = o.version ?? child.opsets[o.normalizedDomain] }
        child.depth = depth + 1
        child.symbols = symbols
        child.budget = budget - 8   // an expansion costs more than a node visit
        child.calls = calls + [key]
        for (k, name) in f.inputs.enumerated() where k < node.inputs.count && !node.inputs[k].isEmpty {
            child.values[name] = values[node.inputs[k]]
            child.floats[name] = floats[node.inputs[k]]
        }
        let bound = f.inputs.indices.map { k in k < node.inputs.count && !node.inputs[k].isEmpty ? types[node.inputs[k]] : nil }
        child.run(graph: body, path: "\(location) → function '\(f.name ?? "")'", bound: bound)
        findings += child.findings
        symbols = child.symbols
        budget = child.budget
        functionCache = child.functionCache
        let outputs = f.outputs.map {
            FunctionOutput(type: child.types[$0], values: child.values[$0], floats: child.floats[$0])
        }
        if cacheable { functionCache[cacheKey] = outputs }
        recordFunctionOutputs(outputs, node: node, location: location)
    }

    /// A cached call's outputs with the `unk__` symbols its expansion made up (those not in its
    /// inputs) replaced by new ones: another call's unknown dims are not the same unknowns.
    mutating func renamingFreshSymbols(_ outputs: [FunctionOutput], keeping inputs: [ValueTypeBox?]) -> [FunctionOutput] {
        var kept: Set<String> = []
        for t in inputs { for d in t?.tensorInfo?.shape?.dims ?? [] { if let s = d.symbolName { kept.insert(s) } } }
        var renamed: [String: Dimension.Value] = [:]
        func rename(_ d: Dimension) -> Dimension {
            guard let s = d.symbolName, s.hasPrefix("unk__"), !kept.contains(s) else { return d }
            if renamed[s] == nil { renamed[s] = symbols.fresh().value }
            var out = d
            out.value = renamed[s]
            return out
        }
        return outputs.map { o in
            var o = o
            if case .tensor(let e, let shape?)? = o.type?.kind {
                o.type?.kind = .tensor(elemType: e, shape: Shape(shape.dims.map(rename)))
            }
            o.values = o.values?.map(rename)
            return o
        }
    }

    mutating func recordFunctionOutputs(_ outputs: [FunctionOutput], node: Node, location: String) {
        for (k, name) in node.outputs.enumerated() where !name.isEmpty && k < outputs.count {
            if let t = outputs[k].type { record(name, t, values: outputs[k].values, floats: outputs[k].floats, at: location) }
        }
    }

    /// A function body node with `ref_attr_name` attributes replaced by the caller's values.
    func substitute(_ n: Node, call: Node, defaults: [Attribute]) -> Node {
        var out = n
        out.attributes = n.attributes.compactMap { a in
            guard let ref = a.refAttrName else { return a }
            guard var v = call.attribute(ref) ?? defaults.first(where: { $0.name == ref }) else { return nil }
            v.name = a.name
            return v
        }
        return out
    }
}
