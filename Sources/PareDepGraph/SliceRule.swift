import PareIR

/// Slice (opset ≥ 10: starts, ends, axes, steps as inputs). Slicing other axes passes channels
/// through; a unit-step slice of the channel axis maps output k to input start + k (§3.7), and
/// its bounds are rewritten so the kept channels stay selected.
enum SliceRule {
    static func slice(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        let view = state.view
        guard node.inputs.count >= 3, let x = node.inputs.first, let y = node.outputs.first,
              let rank = view.rank(x), rank >= 2, view.weightSource(x) == nil,
              let starts = view.ints(node.inputs[1]), let ends = view.ints(node.inputs[2]) else {
            return OpRules.freezeAll(index, &state, "Slice with bounds computed at run time (or opset < 10)")
        }
        let axes = node.inputs.count > 3 && !node.inputs[3].isEmpty ? view.ints(node.inputs[3]) : (0..<Int64(starts.count)).map { $0 }
        let steps = node.inputs.count > 4 && !node.inputs[4].isEmpty ? view.ints(node.inputs[4]) : [Int64](repeating: 1, count: starts.count)
        guard let axes, let steps, axes.count == starts.count, steps.count == starts.count, ends.count == starts.count else {
            return OpRules.freezeAll(index, &state, "Slice with unknown axes or steps")
        }
        guard let j = axes.firstIndex(where: { OpRules.normalize($0, rank: rank) == 1 }) else {
            return state.unite(Slot(x, 1), Slot(y, 1), at: index)
        }
        guard steps[j] == 1, let extent = view.extent(x, 1), let outExtent = view.extent(y, 1) else {
            return OpRules.freezeAll(index, &state, "Slice of the channel axis with a step other than 1")
        }
        let start = Int(starts[j] < 0 ? max(0, starts[j] + Int64(extent)) : min(starts[j], Int64(extent)))
        guard case let .literal(startStorage, startIndex, _) = ShapeProvenance.source(of: node.inputs[1], entry: j, in: view) else {
            return OpRules.freezeAll(index, &state, "Slice whose start is computed at run time")
        }
        var endRef: EntryRef?
        let endsAtEnd = ends[j] >= Int64(extent)
        if !endsAtEnd {
            guard case let .literal(endStorage, endIndex, _) = ShapeProvenance.source(of: node.inputs[2], entry: j, in: view) else {
                return OpRules.freezeAll(index, &state, "Slice whose end is computed at run time")
            }
            endRef = EntryRef(storage: endStorage, index: endIndex)
        }
        for k in 0..<outExtent { state.unite(Slot(x, 1), start + k, Slot(y, 1), k) }
        state.rewrites.append(.sliceBounds(start: EntryRef(storage: startStorage, index: startIndex), end: endRef,
                                           oldStart: start, input: Slot(x, 1), output: Slot(y, 1)))
    }
}
