import PareCore
import PareIR

/// Usage and naming rules onnx does not check: ONNX-X02 (unused initializer), X03 (dead node),
/// X04 (duplicate node name), X06 (unused input), X07 (graph without outputs), X11 (names that are
/// not C identifiers, summarised once).
extension CheckContext {
    /// Dead nodes reported one by one per graph before the rest is summarised.
    static let deadNodeReportLimit = 20

    mutating func checkUsage() {
        guard let main = model.graph else { return }
        _ = checkUsage(main, at: "graph '\(main.name ?? "")'", isMain: true)
        for (i, f) in model.functions.enumerated() {
            for (n, node) in f.nodes.enumerated() {
                for attr in node.attributes {
                    for g in attr.subgraphs {
                        _ = checkUsage(g, at: "function \(i) '\(f.name ?? "")' → \(node.label(index: n)) → attribute '\(attr.name ?? "")' → graph '\(g.name ?? "")'",
                                       isMain: false)
                    }
                }
            }
        }
        checkNameSyntax()
    }

    /// Checks one graph and its subgraphs; returns every name the graph consumes, including
    /// through its subgraphs (outer-scope references) and as graph outputs.
    private mutating func checkUsage(_ graph: Graph, at path: String, isMain: Bool) -> Set<String> {
        // Names consumed by each node, counting what its subgraphs take from outer scopes.
        var nodeUses: [Set<String>] = []
        for (i, node) in graph.nodes.enumerated() {
            var uses = Set(node.inputs.filter { !$0.isEmpty })
            for attr in node.attributes {
                for (k, sub) in attr.subgraphs.enumerated() {
                    let suffix = attr.graphs.isEmpty ? "" : "[\(k)]"
                    let subPath = "\(path) → \(node.label(index: i)) → attribute '\(attr.name ?? "")'\(suffix) → graph '\(sub.name ?? "")'"
                    uses.formUnion(checkUsage(sub, at: subPath, isMain: false))
                }
            }
            nodeUses.append(uses)
        }
        let outputs = Set(graph.outputs.compactMap(\.name))
        if graph.outputs.isEmpty {
            report("ONNX-X07", .warning, at: path, "the graph has no outputs", hint: "a graph without outputs computes nothing")
        }
        let consumed = nodeUses.reduce(into: outputs) { $0.formUnion($1) }
        if isMain {
            for t in graph.initializers where !consumed.contains(t.name ?? "") {
                report("ONNX-X02", .warning, at: "\(path) → initializer '\(t.name ?? "")'", "the initializer is used by no node",
                       hint: "remove it (pare can strip unused initializers)")
            }
            let initializers = Set(graph.initializers.compactMap(\.name))
            for (i, vi) in graph.inputs.enumerated() where !consumed.contains(vi.name ?? "") && !initializers.contains(vi.name ?? "") {
                report("ONNX-X06", .warning, at: "\(path) → input \(i) '\(vi.name ?? "")'", "the graph input is used by no node",
                       hint: "remove the input, or check that the graph is wired as intended")
            }
        }
        checkDeadNodes(graph, nodeUses: nodeUses, outputs: outputs, at: path)
        checkDuplicateNodeNames(graph, at: path)
        return consumed
    }

    /// A node is live when one of its outputs is a graph output or feeds a live node.
    private mutating func checkDeadNodes(_ graph: Graph, nodeUses: [Set<String>], outputs: Set<String>, at path: String) {
        var live = outputs
        var dead: [Int] = []
        for i in graph.nodes.indices.reversed() {
            if graph.nodes[i].outputs.contains(where: { !$0.isEmpty && live.contains($0) }) {
                live.formUnion(nodeUses[i])
            } else {
                dead.append(i)
            }
        }
        dead.reverse()
        for i in dead.prefix(Self.deadNodeReportLimit) {
            report("ONNX-X03", .warning, at: "\(path) → \(graph.nodes[i].label(index: i))", "no output of this node reaches a graph output",
                   hint: "dead code: remove the node")
        }
        if dead.count > Self.deadNodeReportLimit {
            report("ONNX-X03", .warning, at: path, "\(dead.count - Self.deadNodeReportLimit) more dead nodes",
                   hint: "dead code: remove the nodes")
        }
    }

    private mutating func checkDuplicateNodeNames(_ graph: Graph, at path: String) {
        var first: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            guard let name = node.name, !name.isEmpty else { continue }
            if let j = first[name] {
                report("ONNX-X04", .warning, at: "\(path) → \(node.label(index: i))", "node \(j) has the same name '\(name)'",
                       hint: "give nodes unique names so tools and messages can tell them apart")
            } else {
                first[name] = i
            }
        }
    }

    /// ONNX-X11, once per model: the IR document says names SHOULD be C90 identifiers; most
    /// exporters ignore that, so this is information only.
    private mutating func checkNameSyntax() {
        var count = 0
        var example: (name: String, place: String)?
        func look(_ name: String?, _ place: @autoclosure () -> String) {
            guard let name, !name.isEmpty, !Self.isIdentifier(name) else { return }
            count += 1
            if example == nil { example = (name, place()) }
        }
        model.forEachGraphEverywhere { g, path in
            look(g.name, path)
            for vi in g.inputs + g.outputs { look(vi.name, "\(path) → value '\(vi.name ?? "")'") }
            for t in g.initializers { look(t.name, "\(path) → initializer '\(t.name ?? "")'") }
            for (i, n) in g.nodes.enumerated() {
                look(n.name, "\(path) → \(n.label(index: i))")
                for o in n.outputs { look(o, "\(path) → \(n.label(index: i))") }
            }
        }
        if let example {
            report("ONNX-X11", .info, at: example.place,
                   "\(count) name(s) are not C identifiers (letters, digits, '_', not starting with a digit), e.g. '\(example.name)'",
                   hint: "the ONNX IR recommends identifier-like names; some tools need them")
        }
    }

    static func isIdentifier(_ name: String) -> Bool {
        var first = true
        for b in name.utf8 {
            let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
            let digit = b >= 48 && b <= 57
            if !(letter || (digit && !first)) { return false }
            first = false
        }
        return true
    }
}
