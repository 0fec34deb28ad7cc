import PareIR

/// torch.onnx.export stores equal initializers once and gives the other users an `Identity` of it
/// (every fresh BatchNorm's running_mean is zeros, every fresh BN scale ones). In PyTorch those
/// are separate tensors that train and update separately, so before training each such Identity
/// becomes an initializer of its own, named by the Identity's output — the state_dict key — and
/// the Identity node is dropped. Initializers no node reads any more are dropped too. The trained
/// model is written in this form; it computes the same as the original.
enum UntiedCopies {
    static func apply(_ model: Model) -> Model {
        guard var graph = model.graph else { return model }
        var byName: [String: Tensor] = [:]
        for t in graph.initializers { if let name = t.name { byName[name] = t } }
        let outputs = Set(graph.outputs.compactMap(\.name))
        var kept: [Node] = []
        for node in graph.nodes {
            if node.op == "Identity", node.normalizedDomain.isEmpty, node.inputs.count == 1, node.outputs.count == 1,
               var copy = byName[node.inputs[0]], !outputs.contains(node.outputs[0]), byName[node.outputs[0]] == nil {
                copy.name = node.outputs[0]
                graph.initializers.append(copy)
                byName[node.outputs[0]] = copy
                continue
            }
            kept.append(node)
        }
        guard kept.count != graph.nodes.count else { return model }
        graph.nodes = kept
        let read = Set(kept.flatMap(\.inputs)).union(outputs)
        let inputs = Set(graph.inputs.compactMap(\.name))
        graph.initializers.removeAll { t in
            guard let name = t.name else { return false }
            return !read.contains(name) && !inputs.contains(name)
        }
        var out = model
        out.graph = graph
        return out
    }
}
