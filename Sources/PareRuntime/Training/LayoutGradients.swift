import PareEngine
import PareKernels

/// Gradients of ops that move data: views pass the gradient through reshaped, gathers scatter it
/// back to where each output element was read from.
enum LayoutGradients {
    /// Reshape, Flatten, Squeeze, Unsqueeze, Identity: the same values under the input's shape.
    static func view(_ call: GradientCall) throws -> [DenseTensor?] {
        var result = [DenseTensor?](repeating: nil, count: call.forward.inputs.count)
        if call.needs(0) { result[0] = try call.like(0, call.outputGradient()) }
        return result
    }

    /// Dropout: in training the saved mask (already scaled by 1/(1−ratio)) multiplies the gradient.
    static func dropout(_ call: GradientCall) throws -> [DenseTensor?] {
        var result = [DenseTensor?](repeating: nil, count: call.forward.inputs.count)
        guard call.needs(0) else { return result }
        let dy = call.outputGradient()
        guard let mask = call.saved.first else { result[0] = dy; return result }
        let dx = call.tensor(dy.shape)
        for i in 0..<dy.count { dx.pointer[i] = dy.pointer[i] * mask.pointer[i] }
        result[0] = dx
        return result
    }

    static func concat(_ call: GradientCall) throws -> [DenseTensor?] {
        let dy = call.outputGradient()
        let axis = try call.forward.axis(call.forward.int("axis", 0), rank: dy.rank)
        let outer = dy.shape[..<axis].reduce(1, *), inner = dy.shape[(axis + 1)...].reduce(1, *)
        let row = dy.shape[axis] * inner
        var column = 0
        var result: [DenseTensor?] = []
        for i in 0..<call.forward.inputs.count {
            guard let part = call.forward.inputs[i] else { result.append(nil); continue }
            let block = part.shape[axis] * inner
            defer { column += block }
            guard call.needs(i) else { result.append(nil); continue }
            let g = call.tensor(part.shape)
            for o in 0..<outer { (g.pointer + o * block).update(from: dy.pointer + o * row + column, count: block) }
            result.append(g)
        }
        return result
    }

    /// Ops whose outputs copy input elements (Transpose, Slice, Gather, Expand, Split): the
    /// forward op run on the element indices 0, 1, 2 … of the input says which input element each
    /// output came from, and the gradient is added back there — exactly the forward's semantics.
    static func gather(_ call: GradientCall) throws -> [DenseTensor?] {
        var result = [DenseTensor?](repeating: nil, count: call.forward.inputs.count)
        guard call.needs(0) else { return result }
        let x = try call.forward.input(0)
        var inputs = call.forward.inputs
        inputs[0] = DenseTensor(shape: x.shape, int64s: (0..<Int64(x.count)).map { $0 })
        let indexCall = OpCall(node: call.node, inputs: inputs, context: call.forward.context, activation: nil)
        let sources = try OperatorTable.table[call.node.op]!(indexCall)
        let dx = call.zeros(x.shape)
        for (k, source) in sources.enumerated() where k < call.outputGradients.count {
            guard let g = call.outputGradients[k] else { continue }
            for (i, s) in source.int64s.enumerated() { dx.pointer[Int(s)] += g.pointer[i] }
        }
        result[0] = dx
        return result
    }

    /// ReduceMean and ReduceSum: each input element receives its output's gradient (divided by
    /// the group size for the mean).
    static func reduce(_ call: GradientCall) throws -> [DenseTensor?] {
        var result = [DenseTensor?](repeating: nil, count: call.forward.inputs.count)
        guard call.needs(0) else { return result }
        let x = try call.forward.floatInput(0), dy = call.outputGradient()
        var axes: [Int]? = call.forward.ints("axes")
        if call.forward.optionalInput(1) != nil { axes = try call.forward.ints(1) }
        if axes?.isEmpty == true { axes = nil }
        if axes == nil && call.forward.int("noop_with_empty_axes", 0) == 1 { result[0] = try call.like(0, dy); return result }
        let reduced = Set(try (axes ?? Array(0..<x.rank)).map { try call.forward.axis($0, rank: x.rank) })
        var strides = [Int](repeating: 0, count: x.rank)
        var acc = 1
        for i in stride(from: x.rank - 1, through: 0, by: -1) where !reduced.contains(i) { strides[i] = acc; acc *= x.shape[i] }
        let target = LayoutOps.walk(x.shape, strides)
        let scale: Float = call.node.op == "ReduceMean" ? Float(acc) / Float(max(x.count, 1)) : 1
        let dx = call.tensor(x.shape)
        for (i, t) in target.enumerated() { dx.pointer[i] = dy.pointer[t] * scale }
        result[0] = dx
        return result
    }
}
