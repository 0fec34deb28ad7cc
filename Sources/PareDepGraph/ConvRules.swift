import PareIR

/// Conv and ConvTranspose (dependency-graph.md §3.1). Plain convs are boundaries: output
/// channels belong to the weight's rows, input channels to its columns. A depthwise conv ties
/// input channel c to its outputs; a general grouped conv ties in-group positions across groups,
/// so every group keeps the same width and `group` never needs to change.
enum ConvRules {
    static func conv(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count >= 2, let y = node.outputs.first,
              let w = state.view.weightSource(node.inputs[1]), w.tensor.dims.count >= 3 else {
            return OpRules.freezeAll(index, &state, "Conv whose weight is computed at run time")
        }
        let x = node.inputs[0]
        let groups = Int(node.int("group") ?? 1)
        let outChannels = Int(w.tensor.dims[0]), perGroupIn = Int(w.tensor.dims[1])
        let out = Slot(y, 1), input = Slot(x, 1)
        // The output channels are the weight's rows even when inference lost the shapes upstream.
        _ = state.atoms(out, knownExtent: outChannels)
        state.member(w, axis: 0, role: .producer, node: index, operand: 1, coupledTo: out)
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let b = state.view.weightSource(node.inputs[2]) else {
                return OpRules.freezeAll(index, &state, "Conv whose bias is computed at run time")
            }
            state.member(b, axis: 0, role: .producer, node: index, operand: 2, coupledTo: out)
        }
        guard let inChannels = state.extent(input), groups >= 1, inChannels == perGroupIn * groups,
              outChannels % groups == 0 else {
            state.member(w, axis: 1, role: .consumer, node: index, operand: 1, coupledTo: nil)
            let reason = "\(state.view.nodeLabel(index)): the input channel count is unknown or inconsistent with the weight"
            state.freeze(Slot(w.storage, 1), reason)
            state.freeze(input, reason)
            if groups != 1 { state.freeze(out, reason) }
            return
        }
        if groups == 1 {
            state.member(w, axis: 1, role: .consumer, node: index, operand: 1, coupledTo: input)
        } else if perGroupIn == 1 {
            // Depthwise (with an optional depth multiplier k): input c owns outputs [c·k, (c+1)·k).
            let k = outChannels / groups
            guard state.atoms(input) != nil, state.atoms(out) != nil else {
                return OpRules.freezeAll(index, &state, "depthwise Conv with unknown extents")
            }
            for c in 0..<inChannels { for j in 0..<k { state.unite(input, c, out, c * k + j) } }
            state.rewrites.append(.convGroup(node: index, slot: input))
        } else {
            // Grouped: in-group position j of every group is one channel; the same for outputs.
            state.member(w, axis: 1, role: .consumer, node: index, operand: 1, coupledTo: nil)
            let wIn = Slot(w.storage, 1)
            for g in 0..<groups { for j in 0..<perGroupIn { state.unite(input, g * perGroupIn + j, wIn, j) } }
            let perGroupOut = outChannels / groups
            for g in 1..<groups { for j in 0..<perGroupOut { state.unite(out, g * perGroupOut + j, out, j) } }
        }
    }

    static func convTranspose(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count >= 2, let y = node.outputs.first,
              let w = state.view.weightSource(node.inputs[1]), w.tensor.dims.count >= 3 else {
            return OpRules.freezeAll(index, &state, "ConvTranspose whose weight is computed at run time")
        }
        let groups = Int(node.int("group") ?? 1)
        guard groups == 1 else { return OpRules.freezeAll(index, &state, "grouped ConvTranspose is not supported yet") }
        let out = Slot(y, 1)
        state.member(w, axis: 0, role: .consumer, node: index, operand: 1, coupledTo: Slot(node.inputs[0], 1))
        state.member(w, axis: 1, role: .producer, node: index, operand: 1, coupledTo: out)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, let b = state.view.weightSource(node.inputs[2]) {
            state.member(b, axis: 0, role: .producer, node: index, operand: 2, coupledTo: out)
        }
    }
}
