import PareIR

/// Normalisations, reductions and softmax (§3.4–§3.6): per-channel norms pass channels through
/// and own their scale, shift and statistics; anything that mixes values across the channel
/// axis freezes it, because removing a channel would change the kept channels' results.
enum NormRules {
    static func channelNorm(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first else { return }
        let channel = Slot(x, 1)
        state.unite(channel, Slot(y, 1), at: index)
        for k in 1..<node.inputs.count where !node.inputs[k].isEmpty {
            guard let p = state.view.weightSource(node.inputs[k]) else {
                return OpRules.freezeAll(index, &state, "\(node.op) whose parameters are computed at run time")
            }
            state.member(p, axis: 0, role: .norm, node: index, operand: k, coupledTo: channel)
        }
        // Training-mode outputs (running statistics) are per-channel too.
        for extra in node.outputs.dropFirst() where !extra.isEmpty && (state.view.rank(extra) ?? 0) >= 2 {
            state.freeze(Slot(extra, 1), "\(state.view.nodeLabel(index)): training-mode output")
        }
    }

    static func layerNorm(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x) else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let axis = OpRules.normalize(node.int("axis") ?? -1, rank: rank)
        if axis <= 1 { return OpRules.freezeAll(index, &state, "LayerNormalization over the channel axis (lossy)") }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }

    static func softmax(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x) else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let opset = state.view.opset
        let axis = OpRules.normalize(node.int("axis") ?? (opset >= 13 ? -1 : 1), rank: rank)
        // Before opset 13 softmax flattens every axis from `axis` on, so axis ≤ 1 mixes channels.
        if axis == 1 || (opset < 13 && axis <= 1) {
            return OpRules.freezeAll(index, &state, "\(node.op) over the channel axis")
        }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }

    static func reduce(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x), rank >= 2 else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        var axes: [Int64]? = node.ints("axes")
        if axes == nil, node.inputs.count > 1, !node.inputs[1].isEmpty { axes = state.view.ints(node.inputs[1]) }
        guard let reduced = axes.map({ Set($0.map { OpRules.normalize($0, rank: rank) }) }), !reduced.isEmpty,
              !reduced.contains(0), !reduced.contains(1) else {
            return OpRules.freezeAll(index, &state, "\(node.op) over the batch or channel axis")
        }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }
}
