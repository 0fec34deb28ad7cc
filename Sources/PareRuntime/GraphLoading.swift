import PareCore
import PareEngine
import PareIR
import PareONNX

extension InferenceSession {
    /// Every node must be a default-domain op the engine implements; all problems are listed at once.
    static func checkSupport(_ graph: Graph, path: String) throws {
        var problems: [String] = []
        for (i, node) in graph.nodes.enumerated() {
            if !node.normalizedDomain.isEmpty {
                problems.append("\(node.label(index: i)): domain '\(node.normalizedDomain)' is not supported")
            } else if OperatorTable.table[node.op] == nil {
                problems.append("\(node.label(index: i)): op \(node.op) is not supported")
            } else if node.attributes.contains(where: { !$0.subgraphs.isEmpty }) {
                problems.append("\(node.label(index: i)): ops with subgraphs are not supported")
            }
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(5).joined(separator: "; ")
            let more = problems.count > 5 ? " (and \(problems.count - 5) more)" : ""
            throw PareError(.unsupported, file: path, "\(shown)\(more)",
                            hint: "`pare run --list-ops` prints the \(OperatorTable.supported.count) supported ops")
        }
    }

    /// Initializers as engine tensors; external data is read through the model's resolver.
    static func loadConstants(_ graph: Graph, path: String) throws -> [String: DenseTensor] {
        var out: [String: DenseTensor] = [:]
        let resolver = ExternalDataResolver(modelPath: path)
        for (i, t) in graph.initializers.enumerated() {
            let name = t.name ?? ""
            let place = "initializer \(i) '\(name)'"
            var tensor = t
            if t.isExternal {
                tensor.rawData = try resolver.bytes(of: t, place: place)
                tensor.dataLocation = nil
                tensor.externalData = []
            }
            do {
                out[name] = try DenseTensor(tensor, place: place)
            } catch let e as PareError {
                throw PareError(e.kind, file: path, place: e.place, e.message, hint: e.hint)
            }
        }
        return out
    }

    /// Nodes in an order where every input is produced first (files are usually already sorted;
    /// a cycle or a value nobody produces is an error naming the node).
    static func topologicalOrder(_ graph: Graph, path: String) throws -> [(Int, Node)] {
        var available = Set(graph.initializers.compactMap(\.name))
        for i in graph.inputs { if let n = i.name { available.insert(n) } }
        var remaining = Array(graph.nodes.enumerated())
        var ordered: [(Int, Node)] = []
        ordered.reserveCapacity(remaining.count)
        while !remaining.isEmpty {
            var next: [(Int, Node)] = []
            var progressed = false
            for (i, node) in remaining {
                if node.inputs.allSatisfy({ $0.isEmpty || available.contains($0) }) {
                    ordered.append((i, node))
                    for o in node.outputs where !o.isEmpty { available.insert(o) }
                    progressed = true
                } else {
                    next.append((i, node))
                }
            }
            if !progressed {
                let (i, node) = next[0]
                let missing = node.inputs.first { !$0.isEmpty && !available.contains($0) } ?? ""
                throw PareError(.invalid, file: path, place: node.label(index: i),
                                "input '\(missing)' is neither a graph input, an initializer nor produced by an earlier node")
            }
            remaining = next
        }
        return ordered
    }
}
