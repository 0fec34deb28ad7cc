import PareIR

/// Where one entry of a shape-like integer tensor comes from (§2.1 "evaluate shape subgraphs"):
/// a literal the surgery can rewrite, a value that follows the pruned extent by itself (0 or −1
/// in a Reshape, `Shape` of a live value), or something Pare cannot trace.
enum EntrySource: Equatable {
    case literal(storage: String, index: Int, value: Int64)
    case adapts
    case unknown
}

enum ShapeProvenance {
    /// Traces entry `entry` of `value` through Identity, Concat, Unsqueeze/Squeeze/Cast of
    /// scalars, and Gather from `Shape`. Loops are bounded; there is no recursion.
    static func source(of value: String, entry: Int, in view: GraphView) -> EntrySource {
        var name = value, index = entry
        for _ in 0..<64 {
            if let w = view.weightSource(name) {
                guard let values = w.tensor.int64Values(), index < values.count else { return .unknown }
                return .literal(storage: w.storage, index: index, value: values[index])
            }
            guard let p = view.producer[name] else { return .unknown }
            let node = view.graph.nodes[p]
            switch node.op {
            case "Identity", "Cast", "Unsqueeze", "Squeeze":
                // Scalar ↔ 1-element tensor plumbing keeps the one entry.
                guard let input = node.inputs.first, node.op == "Identity" || node.op == "Cast" || index == 0 else { return .unknown }
                name = input
            case "Concat":
                var offset = 0
                var found = false
                for part in node.inputs {
                    guard let length = view.ints(part)?.count ?? view.dims(part).flatMap({ $0.count == 1 ? $0[0].map(Int.init) : ($0.isEmpty ? 1 : nil) })
                    else { return .unknown }
                    if index < offset + length { name = part; index -= offset; found = true; break }
                    offset += length
                }
                if !found { return .unknown }
            case "Gather":
                // Gather(Shape(x), k): the extent of x's axis, which updates itself after pruning.
                guard let shape = node.inputs.first, let sp = view.producer[shape], view.graph.nodes[sp].op == "Shape" else {
                    return .unknown
                }
                return .adapts
            case "Shape":
                return .adapts
            default:
                return .unknown
            }
        }
        return .unknown
    }
}
