import PareCore
import PareIR

/// Edits to a graph's tensors by storage name — an initializer, or the `value` of the Constant
/// node that outputs that name — plus the attribute edits the surgery makes. Each shape entry is
/// set once; two rewrites that disagree about a shared constant are an error, not a silent pick.
struct TensorEdits {
    var graph: Graph
    let file: String?
    private var initializerIndex: [String: Int] = [:]
    private var constantNode: [String: Int] = [:]
    private var entriesSet: [String: [Int: Int64]] = [:]

    init(graph: Graph, file: String?) {
        self.graph = graph
        self.file = file
        for (i, t) in graph.initializers.enumerated() { if let n = t.name { initializerIndex[n] = i } }
        for (i, node) in graph.nodes.enumerated() where node.op == "Constant" && node.attribute("value")?.t != nil {
            if let out = node.outputs.first { constantNode[out] = i }
        }
    }

    func has(_ storage: String) -> Bool { initializerIndex[storage] != nil || constantNode[storage] != nil }

    mutating func update(_ storage: String, _ change: (Tensor) throws -> Tensor) throws {
        if let i = initializerIndex[storage] {
            graph.initializers[i] = try change(graph.initializers[i])
        } else if let n = constantNode[storage], let a = graph.nodes[n].attributes.firstIndex(where: { $0.name == "value" }),
                  let t = graph.nodes[n].attributes[a].t {
            var tensor = try change(t)
            tensor.name = t.name  // a Constant's tensor keeps its own (often empty) name
            graph.nodes[n].attributes[a].t = tensor
        } else {
            throw PareError(.invalid, file: file, "internal error: no initializer or Constant named '\(storage)'")
        }
    }

    mutating func setEntry(_ storage: String, _ index: Int, _ value: Int64) throws {
        if let previous = entriesSet[storage]?[index] {
            guard previous == value else {
                throw PareError(.unsupported, file: file, place: "tensor '\(storage)'",
                                "this shape constant is shared by ops that now need different values (\(previous) and \(value)) at entry \(index)",
                                hint: "prune the groups involved to the same width, or give each op its own constant")
            }
            return
        }
        entriesSet[storage, default: [:]][index] = value
        let file = self.file
        try update(storage) { try TensorSlicing.settingEntry($0, index: index, to: value, file: file) }
    }

    mutating func setIntAttribute(node: Int, _ name: String, _ value: Int64) {
        if let a = graph.nodes[node].attributes.firstIndex(where: { $0.name == name }) {
            graph.nodes[node].attributes[a].i = value
        } else {
            graph.nodes[node].attributes.append(.int(name, value))
        }
    }

    mutating func setSplitSizes(node index: Int, _ sizes: [Int64]) throws {
        let node = graph.nodes[index]
        if let a = node.attributes.firstIndex(where: { $0.name == "split" }) {
            graph.nodes[index].attributes[a].ints = sizes
        } else if node.inputs.count > 1, !node.inputs[1].isEmpty {
            var name = node.inputs[1]
            // Follow Identity nodes to the storage.
            while !has(name), let p = graph.nodes.firstIndex(where: { $0.outputs.first == name && $0.op == "Identity" }) {
                name = graph.nodes[p].inputs[0]
            }
            for (k, size) in sizes.enumerated() { try setEntry(name, k, size) }
        } else if Set(sizes).count > 1 {
            throw PareError(.unsupported, file: file, place: "node \(index) '\(node.name ?? "")' (Split)",
                            "the split is implicitly equal but the pruned parts differ in width (\(sizes))",
                            hint: "prune the coupled groups to equal widths")
        }
    }
}
