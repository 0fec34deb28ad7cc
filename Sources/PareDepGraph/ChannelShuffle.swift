import PareIR

/// The channel shuffle of ShuffleNet: Reshape [N, C, H, W] → [N, g, C/g, H, W], Transpose
/// (0, 2, 1, 3, 4), Reshape back to [N, C, H, W]. Input channel a·n + b (n = C/g) lands at
/// output b·g + a. The reshape needs every one of the g blocks to keep the same positions, so
/// position b of every block is one channel (g positions on each side), and g never changes.
enum ChannelShuffle {
    static func match(_ first: Int, _ state: inout CouplingState) -> Bool {
        let view = state.view
        let r1 = view.graph.nodes[first]
        guard let split = r1.outputs.first, let x = r1.inputs.first,
              let xDims = view.dims(x), xDims.count >= 3, let c = xDims[1].map(Int.init),
              let sDims = view.dims(split), sDims.count == xDims.count + 1,
              let g = sDims[1].map(Int.init), let n = sDims[2].map(Int.init), g * n == c,
              let users = view.consumers[split], users.count == 1, !view.graphOutputs.contains(split) else { return false }
        let tIndex = users[0].node
        let t = view.graph.nodes[tIndex]
        var expectedPerm = Array(0..<Int64(sDims.count))
        expectedPerm.swapAt(1, 2)
        guard t.op == "Transpose", t.ints("perm") == expectedPerm, let mixed = t.outputs.first,
              let tUsers = view.consumers[mixed], tUsers.count == 1, !view.graphOutputs.contains(mixed) else { return false }
        let r2Index = tUsers[0].node
        let r2 = view.graph.nodes[r2Index]
        guard r2.op == "Reshape", r2.inputs.count >= 2, let z = r2.outputs.first, view.dims(z) == xDims else { return false }
        let input = Slot(x, 1), output = Slot(z, 1)
        guard LayoutRules.shapeEntryAdapts(r1.inputs[1], entry: 2, oldExtent: Int64(n), follows: input, divisor: g, &state),
              LayoutRules.shapeEntryAdapts(r2.inputs[1], entry: 1, oldExtent: Int64(c), follows: output, divisor: 1, &state)
        else { return false }
        for a in 0..<g {
            for b in 0..<n {
                state.unite(input, a * n + b, input, b)
                state.unite(input, a * n + b, output, b * g + a)
            }
        }
        state.handled.insert(tIndex)
        state.handled.insert(r2Index)
        return true
    }
}
