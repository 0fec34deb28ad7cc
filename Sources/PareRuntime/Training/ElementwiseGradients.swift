import Foundation
import PareEngine
import PareKernels

/// Gradients of the element-wise ops: unary activations from their input and output, binary
/// arithmetic with the broadcast dimensions summed back to each operand's shape.
enum ElementwiseGradients {
    static let unaryNames: Set<String> = ["Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu",
                                          "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal", "Clip"]

    static func unary(_ call: GradientCall) throws -> [DenseTensor?] {
        let x = try call.forward.floatInput(0), y = call.outputs[0]
        let derivative = try self.derivative(call)
        var result = [DenseTensor?](repeating: nil, count: call.forward.inputs.count)
        guard call.needs(0) else { return result }
        let dy = call.outputGradient(), dx = call.tensor(x.shape)
        nonisolated(unsafe) let px = x.pointer, py = y.pointer, g = dy.pointer, out = dx.pointer
        if call.node.op == "Relu" {
            // The same rule as `derivative`, in SIMD lanes (a per-element branch mispredicts).
            call.pool.parallelRanges(x.count, grain: 32_768) { r in
                Rectifier.backward(px + r.lowerBound, g + r.lowerBound, out + r.lowerBound, count: r.count)
            }
            result[0] = dx
            return result
        }
        call.pool.parallelRanges(x.count, grain: 32_768) { r in
            for i in r { out[i] = g[i] * derivative(px[i], py[i]) }
        }
        result[0] = dx
        return result
    }

    /// dy/dx as a function of (x, y). At the kinks the choices are PyTorch's: ReLU passes no
    /// gradient at 0, Clip (ReLU6 exports as Clip; PyTorch runs it as hardtanh) none at its bounds.
    static func derivative(_ call: GradientCall) throws -> @Sendable (Float, Float) -> Float {
        switch call.node.op {
        case "Relu": return { x, _ in x > 0 ? 1 : 0 }
        case "LeakyRelu": let a = call.forward.float("alpha", 0.01); return { x, _ in x > 0 ? 1 : a }
        case "Sigmoid": return { _, y in y * (1 - y) }
        case "Tanh": return { _, y in 1 - y * y }
        case "HardSigmoid":
            let a = call.forward.float("alpha", 0.2), b = call.forward.float("beta", 0.5)
            return { x, _ in let t = a * x + b; return t > 0 && t < 1 ? a : 0 }
        case "HardSwish": return { x, _ in x < -3 ? 0 : (x <= 3 ? x / 3 + 0.5 : 1) }
        case "Erf": return { x, _ in 1.1283791670955126 * expf(-x * x) }
        case "Gelu":
            if call.forward.string("approximate", "none") == "tanh" {
                return { x, _ in
                    let k: Float = 0.7978845608028654, inner = k * (x + 0.044715 * x * x * x)
                    let t = tanhf(inner)
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
                }
            }
            return { x, _ in 0.5 * (1 + erff(x * 0.7071067811865476)) + x * 0.3989422804014327 * expf(-0.5 * x * x) }
        case "Exp": return { _, y in y }
        case "Log": return { x, _ in 1 / x }
        case "Neg": return { _, _ in -1 }
        case "Abs": return { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }
        case "Sqrt": return { _, y in 0.5 / y }
        case "Reciprocal": return { _, y in -y * y }
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if call.forward.context.opset < 11 {
                lo = call.forward.float("min", lo); hi = call.forward.float("max", hi)
            } else {
                if let t = call.forward.optionalInput(1) { lo = try UnaryOps.scalar(t, "min") }
                if let t = call.forward.optionalInput(2) { hi = try UnaryOps.scalar(t, "max") }
            }
            let (l, h) = (lo, hi)
            return { x, _ in x > l && x < h ? 1 : 0 }
        default: throw OpFailure("no gradient rule for \(call.node.op)")
        }
    }

    static func binary(_ call: GradientCall) throws -> [DenseTensor?] {
        let a = try call.forward.floatInput(0), b = try call.forward.floatInput(1)
        let y = call.outputs[0], dy = call.outputGradient()
        let n = y.count
        guard let plan = Broadcast(a.shape, b.shape) else { throw OpFailure("\(a.shape) and \(b.shape) do not broadcast") }
        // Each operand's value at every output position (the operand itself when shapes match).
        func expanded(_ t: DenseTensor, first: Bool) -> DenseTensor {
            if t.shape == y.shape { return t }
            let out = call.tensor(y.shape)
            let src = t.pointer, dst = out.pointer
            plan.forEachRun { o, oa, ob, count, sa, sb in
                let offset = first ? oa : ob, step = first ? sa : sb
                for i in 0..<count { dst[o + i] = src[offset + i * step] }
            }
            return out
        }
        func gradient(for operand: Int, _ local: (Int, UnsafePointer<Float>, UnsafePointer<Float>) -> Float) -> DenseTensor {
            // The expanded tensors are held until the loop ends: their buffers must outlive the pointers.
            let ea = expanded(a, first: true), eb = expanded(b, first: false)
            let full = call.tensor(y.shape)
            withExtendedLifetime((ea, eb)) {
                let pa = UnsafePointer(ea.pointer), pb = UnsafePointer(eb.pointer)
                for i in 0..<n { full.pointer[i] = dy.pointer[i] * local(i, pa, pb) }
            }
            let shape = operand == 0 ? a.shape : b.shape
            return BroadcastGradient.reduce(full, to: shape, other: operand == 0 ? b.shape : a.shape, operandIsFirst: operand == 0, call)
        }
        var result: [DenseTensor?] = [nil, nil]
        switch call.node.op {
        case "Add", "Sub":
            if call.needs(0) { result[0] = BroadcastGradient.reduce(dy, to: a.shape, other: b.shape, operandIsFirst: true, call) }
            if call.needs(1) {
                let g = BroadcastGradient.reduce(dy, to: b.shape, other: a.shape, operandIsFirst: false, call)
                if call.node.op == "Sub" {
                    let negated = call.tensor(b.shape)
                    for i in 0..<b.count { negated.pointer[i] = -g.pointer[i] }
                    result[1] = negated
                } else {
                    result[1] = g
                }
            }
        case "Mul":
            if call.needs(0) { result[0] = gradient(for: 0) { i, _, pb in pb[i] } }
            if call.needs(1) { result[1] = gradient(for: 1) { i, pa, _ in pa[i] } }
        case "Div":
            if call.needs(0) { result[0] = gradient(for: 0) { i, _, pb in 1 / pb[i] } }
            if call.needs(1) { result[1] = gradient(for: 1) { i, pa, pb in -pa[i] / (pb[i] * pb[i]) } }
        case "Pow":
            if call.needs(0) { result[0] = gradient(for: 0) { i, pa, pb in pb[i] * powf(pa[i], pb[i] - 1) } }
        case "PRelu":
            if call.needs(0) { result[0] = gradient(for: 0) { i, pa, pb in pa[i] > 0 ? 1 : pb[i] } }
            if call.needs(1) { result[1] = gradient(for: 1) { i, pa, _ in pa[i] > 0 ? 0 : pa[i] } }
        default:
            throw OpFailure("no gradient rule for \(call.node.op)")
        }
        return result
    }
}
