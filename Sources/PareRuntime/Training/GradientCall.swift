import PareEngine
import PareIR
import PareKernels

/// What a gradient rule sees for one node: the forward call (attributes, inputs), the outputs it
/// produced, dL/d(output) for each output (nil when no loss path reaches it), which inputs want a
/// gradient, and whatever the training forward saved (batch statistics, dropout masks).
struct GradientCall {
    let forward: OpCall
    let outputs: [DenseTensor]
    let outputGradients: [DenseTensor?]
    let needs: [Bool]
    let saved: [DenseTensor]

    var node: Node { forward.node }
    var pool: WorkerPool { forward.pool }

    func needs(_ i: Int) -> Bool { i < needs.count && needs[i] }

    /// dL/d(output i); a zero tensor of the output's shape when no path reaches it.
    func outputGradient(_ i: Int = 0) -> DenseTensor {
        if i < outputGradients.count, let g = outputGradients[i] { return g }
        return zeros(outputs[i].shape)
    }

    /// An uninitialized float tensor (from the recycler).
    func tensor(_ shape: [Int]) -> DenseTensor { forward.context.buffers.tensor(shape) }

    func zeros(_ shape: [Int]) -> DenseTensor {
        let t = tensor(shape)
        t.pointer.update(repeating: 0, count: t.count)
        return t
    }

    /// `values` shaped like input `i` (a gradient flowing back through a shape-only op).
    func like(_ i: Int, _ values: DenseTensor) throws -> DenseTensor {
        values.reshaped(try forward.input(i).shape)
    }
}

/// Sums a gradient of the broadcast result back to one operand's shape (the adjoint of broadcasting).
enum BroadcastGradient {
    static func reduce(_ g: DenseTensor, to shape: [Int], other: [Int], operandIsFirst: Bool, _ call: GradientCall) -> DenseTensor {
        if shape == g.shape { return g }
        let out = call.zeros(shape)
        guard let plan = operandIsFirst ? Broadcast(shape, other) : Broadcast(other, shape) else { return out }
        let src = g.pointer, dst = out.pointer
        plan.forEachRun { o, oa, ob, n, sa, sb in
            let offset = operandIsFirst ? oa : ob, step = operandIsFirst ? sa : sb
            if step == 0 {
                var sum: Float = 0
                for i in 0..<n { sum += src[o + i] }
                dst[offset] += sum
            } else {
                for i in 0..<n { dst[offset + i * step] += src[o + i] }
            }
        }
        return out
    }
}
