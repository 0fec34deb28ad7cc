import PareCore
import PareIR

/// Names visible while walking nested graphs, one set per graph level (innermost last). onnx's
/// checker resolves names the same way: a subgraph sees its own names plus everything its
/// ancestors had defined at the point of the node that owns it.
struct Scope {
    private var levels: [Set<String>] = []

    mutating func enter() { levels.append([]) }
    mutating func leave() { _ = levels.popLast() }
    mutating func add(_ name: String) {
        if levels.isEmpty { levels.append([]) }
        levels[levels.count - 1].insert(name)
    }

    func inThisGraph(_ name: String) -> Bool { levels.last?.contains(name) ?? false }
    func visible(_ name: String) -> Bool { levels.contains { $0.contains(name) } }
    func inAncestors(_ name: String) -> Bool { levels.dropLast().contains { $0.contains(name) } }
}

/// What the nodes of one graph are checked against.
struct GraphEnv {
    /// Opset map (raw domain keys, as onnx keeps them).
    var opsets: [String: Int64]
    /// onnx's `is_main_graph` flag: false in every attribute subgraph. onnx leaves it true for
    /// function bodies, and so the value-info rules of the main graph apply only where onnx
    /// applies them.
    var isMainGraph: Bool
    /// Inside a model-local function body (or a subgraph of one).
    var inFunction: Bool
    /// The top level of a function body, where onnx's function rules (F06, F10) replace the
    /// graph rules (G08, G10).
    var functionBody: Bool = false
    /// In function bodies: the merged model opset map that F07 compares against, or nil when
    /// the compatibility check is skipped.
    var compatibilityReference: [String: Int64]?

    /// The environment of a subgraph held by an attribute of a node checked in this one.
    var subgraph: GraphEnv {
        var e = self
        e.isMainGraph = false
        e.functionBody = false
        return e
    }
}

/// Graph rules ONNX-G01..G11 in onnx's evaluation order, plus the scope-related additions
/// ONNX-X05 (input vs initializer) and ONNX-X10 (subgraph names shadowing outer values).
extension CheckContext {
    mutating func checkMainGraph() {
        let graph = model.graph ?? Graph(name: nil)
        var scope = Scope()
        let env = GraphEnv(opsets: modelOpsets, isMainGraph: true, inFunction: false)
        checkGraph(graph, at: "graph '\(graph.name ?? "")'", env: env, scope: &scope)
    }

    mutating func checkGraph(_ graph: Graph, at path: String, env: GraphEnv, scope: inout Scope) {
        if (graph.name ?? "").isEmpty {
            report("ONNX-G01", .error, at: path, "the graph has no name", hint: "give every graph a non-empty name")
        }
        // G02: inputs and outputs pass the value-info rules.
        for (i, vi) in graph.inputs.enumerated() {
            checkValueInfo(vi, at: "\(path) → input \(i) '\(vi.name ?? "")'", mainGraph: env.isMainGraph)
        }
        for (i, vi) in graph.outputs.enumerated() {
            checkValueInfo(vi, at: "\(path) → output \(i) '\(vi.name ?? "")'", mainGraph: env.isMainGraph)
        }
        for vi in graph.valueInfo {
            checkNegativeDims(vi.type, at: "\(path) → value_info '\(vi.name ?? "")'")
        }

        scope.enter()
        defer { scope.leave() }
        let isSubgraph = !env.isMainGraph
        for (i, vi) in graph.inputs.enumerated() {
            let name = vi.name ?? ""
            if scope.inThisGraph(name) {
                report("ONNX-G03", .error, at: "\(path) → input \(i) '\(name)'",
                       "'\(name)' is used as a graph input name more than once",
                       hint: "graph input names must be unique")
            } else if isSubgraph && !name.isEmpty && scope.inAncestors(name) {
                report("ONNX-X10", .warning, at: "\(path) → input \(i) '\(name)'",
                       "subgraph input '\(name)' hides a value of the same name in an outer graph",
                       hint: "rename it; readers that resolve names globally will confuse the two")
            }
            scope.add(name)
        }
        checkInitializers(graph, at: path, isSubgraph: isSubgraph, scope: &scope)

        checkNodeSequence(graph.nodes, at: path, env: env, scope: &scope)
        for (i, vi) in graph.outputs.enumerated() where !scope.inThisGraph(vi.name ?? "") {
            let name = vi.name ?? ""
            let outer = scope.inAncestors(name)
            report("ONNX-G11", .error, at: "\(path) → output \(i) '\(name)'",
                   outer ? "graph output '\(name)' is a value of an outer graph, not of this graph"
                         : "graph output '\(name)' is not produced by any node, input or initializer of this graph",
                   hint: outer ? "pass it through an Identity node inside this graph" : "produce '\(name)' or remove the output")
        }
    }

    /// The node loop shared by graphs and function bodies: inputs defined before use (G08 / F06),
    /// node rules, then single assignment of outputs (G10 / F10).
    mutating func checkNodeSequence(_ nodes: [Node], at path: String, env: GraphEnv, scope: inout Scope) {
        for (i, node) in nodes.enumerated() {
            let place = "\(path) → \(node.label(index: i))"
            for (k, input) in node.inputs.enumerated() where !input.isEmpty && !scope.visible(input) {
                report(env.functionBody ? "ONNX-F06" : "ONNX-G08", .error, at: "\(place) → input \(k)",
                       env.functionBody ? "input '\(input)' is neither a function input nor an output of an earlier node"
                                        : "input '\(input)' is not a graph input, an initializer or an output of an earlier node",
                       hint: "nodes must be topologically sorted; define '\(input)' before this node")
            }
            if env.functionBody, let reference = env.compatibilityReference {
                checkOpsetCompatibility(node, env: env, reference: reference, at: place)
            }
            checkNode(node, at: place, env: env, scope: &scope)
            for (k, output) in node.outputs.enumerated() where !output.isEmpty {
                if scope.visible(output) {
                    let outer = !scope.inThisGraph(output)
                    report(env.functionBody ? "ONNX-F10" : "ONNX-G10", .error, at: "\(place) → output \(k)",
                           outer ? "output '\(output)' shadows a value of an outer graph"
                                 : "output '\(output)' is assigned more than once",
                           hint: "graphs are in single static assignment form: give every value a unique name")
                }
                scope.add(output)
            }
        }
    }

    /// Initializers and sparse initializers: G04..G07, X05, X10.
    private mutating func checkInitializers(_ graph: Graph, at path: String, isSubgraph: Bool, scope: inout Scope) {
        var names = Set<String>()
        let inputs = Dictionary(graph.inputs.map { ($0.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for (i, t) in graph.initializers.enumerated() {
            let name = t.name ?? ""
            let place = "\(path) → initializer \(i) '\(name)'"
            if name.isEmpty {
                report("ONNX-G04", .error, at: place, "the initializer has no name", hint: "every initializer needs a unique name")
            } else if !names.insert(name).inserted {
                report("ONNX-G04", .error, at: place, "initializer name '\(name)' is not unique",
                       hint: "rename or remove the duplicate")
            }
            checkTensor(t, at: place)
            if irVersion <= 3 {
                if !scope.inThisGraph(name) {
                    report("ONNX-G06", .error, at: place, "'\(name)' is an initializer but not a graph input (required up to IR 3)",
                           hint: "list it in graph.input, or raise ir_version to 4 or more")
                }
            } else {
                if isSubgraph && !name.isEmpty && inputs[name] == nil && scope.inAncestors(name) {
                    report("ONNX-X10", .warning, at: place, "subgraph initializer '\(name)' hides a value of the same name in an outer graph",
                           hint: "rename it; readers that resolve names globally will confuse the two")
                }
                scope.add(name)
            }
            if let vi = inputs[name] { checkInputMatchesInitializer(vi, t, at: place) }
        }
        for (i, sparse) in graph.sparseInitializers.enumerated() {
            let name = sparse.values?.name ?? ""
            let place = "\(path) → sparse initializer \(i) '\(name)'"
            if name.isEmpty {
                report("ONNX-G07", .error, at: place, "the sparse initializer's values tensor has no name",
                       hint: "a sparse initializer is named by its values tensor")
            } else if !names.insert(name).inserted {
                report("ONNX-G04", .error, at: place, "sparse initializer name '\(name)' is not unique across initializers",
                       hint: "rename or remove the duplicate")
            }
            checkSparseTensor(sparse, at: place)
            scope.add(name)
        }
    }

    /// ONNX-X05: a graph input with the same name as an initializer declares the initializer's
    /// type; a contradiction makes the default value unusable.
    private mutating func checkInputMatchesInitializer(_ vi: ValueInfo, _ t: Tensor, at place: String) {
        guard let (elem, shape) = vi.type?.tensorInfo else { return }
        var problems: [String] = []
        if let e = elem, e != 0, let d = t.dataType, e != d {
            problems.append("element type \(GeneratedONNX.dataTypes[e] ?? "\(e)") vs \(GeneratedONNX.dataTypes[d] ?? "\(d)")")
        }
        if let shape {
            if shape.rank != t.dims.count {
                problems.append("rank \(shape.rank) vs \(t.dims.count)")
            } else {
                for (k, dim) in shape.dims.enumerated() {
                    if let v = dim.knownValue, v >= 0, v != t.dims[k] {
                        problems.append("dim \(k) is \(v) vs \(t.dims[k])")
                        break
                    }
                }
            }
        }
        if !problems.isEmpty {
            report("ONNX-X05", .error, at: place,
                   "graph input '\(vi.name ?? "")' disagrees with its initializer: \(problems.joined(separator: ", "))",
                   hint: "make the input's declared type match the initializer")
        }
    }
}
