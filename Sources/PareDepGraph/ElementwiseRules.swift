import PareIR

/// Broadcasting element-wise ops (§3.3): every operand whose aligned axis has the output's
/// channel extent shares its channels (a residual Add ties both branches, a squeeze-and-
/// excitation Mul ties the gate to the features). Extent-1 axes are broadcast copies, not channels.
enum ElementwiseRules {
    static func broadcast(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let y = node.outputs.first, let outRank = state.view.rank(y), outRank >= 2 else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let out = Slot(y, 1)
        guard let channels = state.extent(out) else {
            return OpRules.freezeAll(index, &state, "unknown channel count")
        }
        for operand in node.inputs where !operand.isEmpty {
            guard let rank = state.view.rank(operand) else {
                return OpRules.freezeAll(index, &state, "operand '\(operand)' has no known shape")
            }
            let axis = 1 - (outRank - rank)
            guard axis >= 0, let extent = state.extent(Slot(operand, axis)), extent == channels, extent > 1 else { continue }
            if let w = state.view.weightSource(operand) {
                state.member(w, axis: axis, role: .other, node: index, operand: -1, coupledTo: out)
            } else if axis == 1 {
                state.unite(Slot(operand, 1), out, at: index)
            } else {
                state.freeze(out, "\(state.view.nodeLabel(index)): operand '\(operand)' carries the channels on axis \(axis)")
            }
        }
    }

    static func prelu(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count == 2, let y = node.outputs.first else { return }
        let channel = Slot(node.inputs[0], 1)
        state.unite(channel, Slot(y, 1), at: index)
        guard let slope = state.view.weightSource(node.inputs[1]) else {
            return OpRules.freezeAll(index, &state, "PRelu whose slope is computed at run time")
        }
        // Slopes broadcast from the right against N×C×…: a per-channel slope has C on its axis 0.
        if let first = slope.tensor.dims.first, first > 1, slope.tensor.dims.dropFirst().allSatisfy({ $0 == 1 }) {
            state.member(slope, axis: 0, role: .norm, node: index, operand: 1, coupledTo: channel)
        }
    }
}
