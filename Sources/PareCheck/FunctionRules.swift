import PareCore
import PareIR

/// Model-local function rules ONNX-F01..F11 (IR ≥ 8), in the order of onnx's
/// `check_model_local_functions`.
extension CheckContext {
    static let maxLocalFunctions = 10_000
    static let maxCallDepth = 100

    mutating func checkFunctions() {
        // onnx looks at functions only from IR 8, where they were introduced.
        guard irVersion >= 8, !model.functions.isEmpty else { return }
        if model.functions.count > Self.maxLocalFunctions {
            report("ONNX-F01", .error, at: "model → functions",
                   "the model has \(model.functions.count) local functions, more than \(Self.maxLocalFunctions)",
                   hint: "the model may be malformed or malicious")
            return
        }
        // Each function's imports join the model's map for domains the model does not import;
        // where both import a domain, the model's version is the reference for F07.
        var merged = modelOpsets
        for f in model.functions {
            for imp in f.opsetImports where merged[imp.domain ?? ""] == nil { merged[imp.domain ?? ""] = imp.version ?? 0 }
        }
        checkFunctionCallGraph()
        for (i, f) in model.functions.enumerated() { checkFunction(f, index: i, modelOpsets: merged) }
    }

    static func functionId(_ f: Function) -> String {
        let base = "\(fold(f.domain ?? ""))::\(f.name ?? "")"
        return (f.overload ?? "").isEmpty ? base : "\(base)::\(f.overload!)"
    }

    static func calleeId(_ n: Node) -> String {
        let base = "\(n.normalizedDomain)::\(n.op)"
        return (n.overload ?? "").isEmpty ? base : "\(base)::\(n.overload!)"
    }

    /// F02 (unique ids) and F03 (no recursion, call chains ≤ 100), over calls in function bodies
    /// and in their If/Loop/Scan subgraphs. Iterative, so a hostile chain cannot overflow the stack.
    private mutating func checkFunctionCallGraph() {
        var index: [String: Int] = [:]
        for (i, f) in model.functions.enumerated() {
            let id = Self.functionId(f)
            if index[id] != nil {
                report("ONNX-F02", .error, at: "function \(i) '\(f.name ?? "")'", "another local function has the id '\(id)'",
                       hint: "(domain, name, overload) must identify one function")
            } else {
                index[id] = i
            }
        }
        let callees: [[Int]] = model.functions.map { f in
            var out = Set<Int>()
            var graphs: [[Node]] = [f.nodes]
            while let nodes = graphs.popLast() {
                for node in nodes {
                    if let callee = index[Self.calleeId(node)] { out.insert(callee) }
                    for attr in node.attributes { graphs.append(contentsOf: attr.subgraphs.map(\.nodes)) }
                }
            }
            return out.sorted()
        }
        // Colours: 0 unvisited, 1 on the current path, 2 done. depth[i] = longest chain from i.
        var colour = [UInt8](repeating: 0, count: callees.count)
        var depth = [Int](repeating: 1, count: callees.count)
        for root in callees.indices where colour[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            colour[root] = 1
            while let top = stack.last {
                if top.next < callees[top.node].count {
                    stack[stack.count - 1].next += 1
                    let callee = callees[top.node][top.next]
                    if colour[callee] == 1 {
                        let cycle = stack.map { Self.functionId(model.functions[$0.node]) } + [Self.functionId(model.functions[callee])]
                        report("ONNX-F03", .error, at: "function \(callee) '\(model.functions[callee].name ?? "")'",
                               "local functions call each other in a cycle: \(cycle.joined(separator: " → "))",
                               hint: "model-local functions must not be recursive")
                        return
                    }
                    if colour[callee] == 0 {
                        colour[callee] = 1
                        stack.append((callee, 0))
                    }
                } else {
                    stack.removeLast()
                    colour[top.node] = 2
                    depth[top.node] = 1 + (callees[top.node].map { depth[$0] }.max() ?? 0)
                }
            }
        }
        if let deepest = depth.indices.max(by: { depth[$0] < depth[$1] }), depth[deepest] > Self.maxCallDepth {
            report("ONNX-F03", .error, at: "function \(deepest) '\(model.functions[deepest].name ?? "")'",
                   "a chain of \(depth[deepest]) nested local-function calls exceeds the limit of \(Self.maxCallDepth)",
                   hint: "the model may be malformed or malicious")
        }
    }

    private mutating func checkFunction(_ f: Function, index: Int, modelOpsets merged: [String: Int64]) {
        let place = "function \(index) '\(f.name ?? "")'"
        if (f.name ?? "").isEmpty {
            report("ONNX-F04", .error, at: place, "the function has no name", hint: "name the function")
        }
        if f.domain == nil {
            report("ONNX-F04", .error, at: place, "the function's domain field is missing", hint: "set the function's domain")
        }
        let own = opsetMap(f.opsetImports, at: "\(place) → opset_import")
        checkOpsetListHygiene(f.opsetImports, at: "\(place) → opset_import")
        var scope = Scope()
        scope.enter()
        for name in f.inputs {
            if scope.inThisGraph(name) {
                report("ONNX-F05", .error, at: "\(place) → input '\(name)'", "input '\(name)' is declared more than once",
                       hint: "function input names must be unique")
            }
            scope.add(name)
        }
        reportDuplicates(f.outputs, what: "output", at: place)
        reportDuplicates(f.attributeNames + f.attributeDefaults.map { $0.name ?? "" }, what: "attribute", at: place)
        for vi in f.valueInfo { checkNegativeDims(vi.type, at: "\(place) → value_info '\(vi.name ?? "")'") }
        var env = GraphEnv(opsets: own, isMainGraph: true, inFunction: true)
        env.functionBody = true
        env.compatibilityReference = options.skipOpsetCompatibility ? nil : merged
        checkNodeSequence(f.nodes, at: place, env: env, scope: &scope)
    }

    private mutating func reportDuplicates(_ names: [String], what: String, at place: String) {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            report("ONNX-F05", .error, at: "\(place) → \(what) '\(name)'", "\(what) '\(name)' is declared more than once",
                   hint: "function \(what) names must be unique")
        }
    }

    /// F07/F08 for one node of a function body: the function imports the node's domain, and
    /// where the model imports it at another version both resolve to the same schema version.
    mutating func checkOpsetCompatibility(_ node: Node, env: GraphEnv, reference: [String: Int64], at place: String) {
        let domain = node.domain ?? ""
        guard let fv = env.opsets[domain] else {
            // The node rules report a domain missing altogether; onnx's compatibility check
            // additionally refuses "" when the function imports it only as "ai.onnx".
            if domain.isEmpty && env.opsets["ai.onnx"] != nil {
                report("ONNX-F08", .error, at: place, "the function imports the default domain as 'ai.onnx', not \"\"",
                       hint: "import the default domain as \"\"")
            }
            return
        }
        guard let mv = reference[domain], mv != fv else { return }
        let op = node.op
        let forModel = OpSchemaRegistry.schema(domain: domain, op: op, version: mv)
        let forFunction = OpSchemaRegistry.schema(domain: domain, op: op, version: fv)
        if forModel == nil && forFunction == nil { return }  // custom domain: nothing to compare
        if forModel?.sinceVersion != forFunction?.sinceVersion {
            report("ONNX-F07", .error, at: place,
                   "the function imports '\(domain)' at version \(fv) but the model at \(mv), and \(op) differs between them",
                   hint: "import the same opset version in the function and the model, or pass --skip-opset-compat")
        }
    }
}
