import PareIR

/// Concat, Split, Flatten, Reshape, Transpose, Squeeze/Unsqueeze, Resize and Pad (§3.7–§3.8).
/// Index maps are applied atom by atom: offsets through Concat and Split, blocks through a
/// flatten, a permutation through a channel shuffle. Layout changes Pare cannot prove freeze.
enum LayoutRules {
    static func concat(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let y = node.outputs.first, let rank = state.view.rank(y), rank >= 2 else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let axis = OpRules.normalize(node.int("axis") ?? 1, rank: rank)
        guard axis == 1 else {
            for x in node.inputs where !x.isEmpty { state.unite(Slot(x, 1), Slot(y, 1), at: index) }
            return
        }
        var offset = 0
        for x in node.inputs where !x.isEmpty {
            guard let extent = state.view.extent(x, 1) else {
                return OpRules.freezeAll(index, &state, "Concat input '\(x)' has an unknown channel count")
            }
            if state.view.weightSource(x) != nil {
                state.freeze(Slot(y, 1), "\(state.view.nodeLabel(index)): concatenates a constant on the channel axis")
            } else {
                for c in 0..<extent { state.unite(Slot(x, 1), c, Slot(y, 1), offset + c) }
            }
            offset += extent
        }
    }

    static func split(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let rank = state.view.rank(x), rank >= 2 else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let axis = OpRules.normalize(node.int("axis") ?? 0, rank: rank)
        let outputs = node.outputs.filter { !$0.isEmpty }
        guard axis == 1 else {
            for y in outputs { state.unite(Slot(x, 1), Slot(y, 1), at: index) }
            return
        }
        var offset = 0
        for y in outputs {
            guard let extent = state.view.extent(y, 1) else {
                return OpRules.freezeAll(index, &state, "Split output '\(y)' has an unknown channel count")
            }
            for c in 0..<extent { state.unite(Slot(x, 1), offset + c, Slot(y, 1), c) }
            offset += extent
        }
        state.rewrites.append(.splitSizes(node: index, outputs: outputs.map { Slot($0, 1) }))
    }

    static func flatten(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x) else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let axis = OpRules.normalize(node.int("axis") ?? 1, rank: rank)
        guard axis == 1 else { return OpRules.freezeAll(index, &state, "Flatten at axis \(axis) merges the channel axis with the batch") }
        flattenBlock(from: x, to: y, node: index, &state)
    }

    /// [N, C, d…] → [N, C·Πd]: channel c owns the block [c·Πd, (c+1)·Πd).
    static func flattenBlock(from x: String, to y: String, node index: Int, _ state: inout CouplingState) {
        guard let dims = state.view.dims(x), dims.count >= 2, let channels = dims[1].map(Int.init),
              let inner = dims.dropFirst(2).reduce(Optional(1), { acc, d in acc.flatMap { a in d.map { a * Int($0) } } }),
              state.view.extent(y, 1) == channels * inner else {
            return OpRules.freezeAll(index, &state, "flatten with unknown extents")
        }
        for c in 0..<channels { for k in 0..<inner { state.unite(Slot(x, 1), c, Slot(y, 1), c * inner + k) } }
    }

    static func reshape(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard node.inputs.count >= 2, let y = node.outputs.first, let xDims = state.view.dims(node.inputs[0]),
              let yDims = state.view.dims(y) else {
            return OpRules.freezeAll(index, &state, "Reshape with unknown shapes")
        }
        let x = node.inputs[0]
        if state.view.weightSource(x) != nil { return }
        if ChannelShuffle.match(index, &state) { return }
        guard xDims.count >= 2, yDims.count >= 2, xDims[0] == yDims[0] || (xDims[0] == nil && yDims[0] == nil) else {
            return OpRules.freezeAll(index, &state, "Reshape that moves the channel axis")
        }
        let product = { (d: ArraySlice<Int64?>) in d.reduce(Optional(Int64(1))) { acc, e in acc.flatMap { a in e.map { a * $0 } } } }
        let flattening = yDims.count == 2 && xDims.count > 2 && product(xDims.dropFirst()) == yDims[1]
        let keepsChannels = xDims[1] == yDims[1] && product(xDims.dropFirst(2)) == product(yDims.dropFirst(2))
        guard flattening || keepsChannels else {
            return OpRules.freezeAll(index, &state, "Reshape that splits or merges the channel axis")
        }
        guard shapeEntryAdapts(node.inputs[1], entry: 1, oldExtent: yDims[1], follows: Slot(y, 1), divisor: 1, &state) else {
            return OpRules.freezeAll(index, &state, "Reshape whose target shape is computed at run time and fixes the channel count")
        }
        if flattening {
            flattenBlock(from: x, to: y, node: index, &state)
        } else {
            state.unite(Slot(x, 1), Slot(y, 1), at: index)
        }
    }

    /// True when entry `entry` of a Reshape's target shape will follow a pruned width: a literal
    /// equal to the old extent (rewritten by the surgery), or 0 / −1 (which adapt by themselves).
    static func shapeEntryAdapts(_ shape: String, entry: Int, oldExtent: Int64?, follows slot: Slot, divisor: Int,
                                 _ state: inout CouplingState) -> Bool {
        switch ShapeProvenance.source(of: shape, entry: entry, in: state.view) {
        case .adapts: return true
        case .unknown: return false
        case let .literal(storage, index, value):
            if value == 0 || value == -1 { return true }
            guard value == oldExtent else { return false }
            state.rewrites.append(.shapeEntry(storage: storage, entry: index, slot: slot, divisor: divisor))
            return true
        }
    }

    static func transpose(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x) else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        let perm = node.ints("perm") ?? (0..<Int64(rank)).reversed().map { $0 }
        guard perm.count == rank, rank >= 2, perm[0] == 0, perm[1] == 1 else {
            return OpRules.freezeAll(index, &state, "Transpose that moves the channel axis")
        }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }

    static func squeezeUnsqueeze(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let inRank = state.view.rank(x),
              let outRank = state.view.rank(y) else { return OpRules.freezeAll(index, &state, "shapes Pare could not infer") }
        if state.view.weightSource(x) != nil { return }
        var axes: [Int64]? = node.ints("axes")
        if axes == nil, node.inputs.count > 1, !node.inputs[1].isEmpty { axes = state.view.ints(node.inputs[1]) }
        let rank = node.op == "Squeeze" ? inRank : outRank
        guard let list = axes.map({ $0.map { OpRules.normalize($0, rank: rank) } }), !list.contains(0), !list.contains(1) else {
            return OpRules.freezeAll(index, &state, "\(node.op) that moves the channel axis")
        }
        if inRank >= 2 && outRank >= 2 { state.unite(Slot(x, 1), Slot(y, 1), at: index) }
    }

    static func resize(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first else { return }
        let inExtent = state.view.extent(x, 1), outExtent = state.view.extent(y, 1)
        if inExtent == nil || outExtent == nil {
            // Shapes unknown here: accept only literal scales that keep batch and channels (1, 1, …).
            let scales = node.inputs.count > 2 && !node.inputs[2].isEmpty
                ? state.view.weightSource(node.inputs[2])?.tensor.doubleValues() : nil
            guard let scales, scales.count >= 2, scales[0] == 1, scales[1] == 1 else {
                return OpRules.freezeAll(index, &state, "\(node.op) whose channel scale Pare cannot read")
            }
        } else if inExtent != outExtent {
            return OpRules.freezeAll(index, &state, "\(node.op) that changes the channel count")
        }
        if node.inputs.count > 3, !node.inputs[3].isEmpty {
            guard shapeEntryAdapts(node.inputs[3], entry: 1, oldExtent: state.view.dims(y)?[1], follows: Slot(y, 1),
                                   divisor: 1, &state) else {
                return OpRules.freezeAll(index, &state, "Resize whose sizes are computed at run time")
            }
        }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }

    static func pad(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, let rank = state.view.rank(x) else {
            return OpRules.freezeAll(index, &state, "shapes Pare could not infer")
        }
        var pads: [Int64]? = node.ints("pads")
        if pads == nil, node.inputs.count > 1 {
            pads = state.view.ints(node.inputs[1]) ?? ConstantEvaluator.ints(node.inputs[1], in: state.view)
        }
        guard node.inputs.count <= 3 || node.inputs[3].isEmpty else {
            return OpRules.freezeAll(index, &state, "Pad with an axes input is not supported yet")
        }
        guard let p = pads, p.count == 2 * rank else {
            return OpRules.freezeAll(index, &state, "Pad whose pads are computed at run time (Pare cannot tell whether channels are padded)")
        }
        guard p[1] == 0, p[rank + 1] == 0 else {
            return OpRules.freezeAll(index, &state, "Pad that pads the channel axis")
        }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
    }
}
