import PareIR

/// Gemm and MatMul with a weight operand (§3.2): boundaries like a plain Conv. A product of two
/// activations has no weight to slice; its channels are frozen.
enum DenseRules {
    static func gemm(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count >= 2, let y = node.outputs.first,
              let w = state.view.weightSource(node.inputs[1]), w.tensor.dims.count == 2,
              (node.int("transA") ?? 0) == 0, state.view.weightSource(node.inputs[0]) == nil else {
            return OpRules.freezeAll(index, &state, "Gemm without a weight operand in B (or with transA)")
        }
        let transB = (node.int("transB") ?? 0) != 0
        let out = Slot(y, 1)
        state.member(w, axis: transB ? 1 : 0, role: .consumer, node: index, operand: 1, coupledTo: Slot(node.inputs[0], 1))
        state.member(w, axis: transB ? 0 : 1, role: .producer, node: index, operand: 1, coupledTo: out)
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let c = state.view.weightSource(node.inputs[2]) else {
                return OpRules.freezeAll(index, &state, "Gemm whose bias is computed at run time")
            }
            let rank = c.tensor.dims.count
            if rank >= 1, let last = c.tensor.dims.last, last > 1 {
                state.member(c, axis: rank - 1, role: .producer, node: index, operand: 2, coupledTo: out)
            }
        }
    }

    static func matMul(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count == 2, let y = node.outputs.first,
              let w = state.view.weightSource(node.inputs[1]), w.tensor.dims.count == 2,
              state.view.weightSource(node.inputs[0]) == nil, state.view.rank(node.inputs[0]) == 2 else {
            return OpRules.freezeAll(index, &state, "MatMul without a 2-D weight on the right of a 2-D activation")
        }
        state.member(w, axis: 0, role: .consumer, node: index, operand: 1, coupledTo: Slot(node.inputs[0], 1))
        state.member(w, axis: 1, role: .producer, node: index, operand: 1, coupledTo: Slot(y, 1))
    }
}
