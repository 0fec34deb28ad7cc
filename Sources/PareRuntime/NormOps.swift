import Foundation
import PareEngine
import PareKernels

/// BatchNormalization (inference), LayerNormalization, Softmax and LogSoftmax.
enum NormOps {
    static func batchNorm(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0)
        let params = try (1...4).map { try call.floatInput($0) }
        guard x.rank >= 2 else { throw OpFailure("input must have a channel axis, got \(x.shape)") }
        let c = x.shape[1]
        guard params.allSatisfy({ $0.count == c }) else {
            throw OpFailure("scale, bias, mean and var must each have \(c) values (one per channel of \(x.shape))")
        }
        let eps = call.float("epsilon", 1e-5)
        if call.int("training_mode", 0) == 1 { return try batchNormTraining(call, x, params, eps) }
        let (scale, shift) = foldedScaleShift(params.map { $0.pointer }, channels: c, epsilon: eps)
        let y = call.output(x.shape)
        let inner = x.shape[2...].reduce(1, *)
        nonisolated(unsafe) let src = x.pointer, dst = y.pointer
        let act = call.activation
        call.pool.parallelRanges(x.shape[0] * c, grain: 8) { planes in
            for p in planes {
                let ch = p % c, a = scale[ch], b = shift[ch]
                let s = src + p * inner, d = dst + p * inner
                for i in 0..<inner { d[i] = s[i] * a + b }
                act?.apply(d, inner)
            }
        }
        return [y]
    }

    /// Training mode: normalize with the batch's statistics (biased variance) and return the
    /// running statistics blended with `momentum`, as onnx defines it.
    static func batchNormTraining(_ call: OpCall, _ x: DenseTensor, _ p: [DenseTensor], _ eps: Float) throws -> [DenseTensor] {
        let c = x.shape[1], inner = x.shape[2...].reduce(1, *), batch = x.shape[0]
        let momentum = call.float("momentum", 0.9)
        let src = x.pointer
        var mean = [Double](repeating: 0, count: c), variance = mean
        for n in 0..<batch { for ch in 0..<c { for i in 0..<inner { mean[ch] += Double(src[(n * c + ch) * inner + i]) } } }
        let count = Double(max(batch * inner, 1))
        for ch in 0..<c { mean[ch] /= count }
        for n in 0..<batch {
            for ch in 0..<c {
                for i in 0..<inner { let d = Double(src[(n * c + ch) * inner + i]) - mean[ch]; variance[ch] += d * d }
            }
        }
        for ch in 0..<c { variance[ch] /= count }
        let y = call.output(x.shape)
        let gamma = p[0].pointer, beta = p[1].pointer
        for n in 0..<batch {
            for ch in 0..<c {
                let scale = Float(1 / (variance[ch] + Double(eps)).squareRoot()) * gamma[ch]
                for i in 0..<inner {
                    let k = (n * c + ch) * inner + i
                    y.pointer[k] = (src[k] - Float(mean[ch])) * scale + beta[ch]
                }
            }
        }
        let runningMean = (0..<c).map { p[2].pointer[$0] * momentum + Float(mean[$0]) * (1 - momentum) }
        let runningVar = (0..<c).map { p[3].pointer[$0] * momentum + Float(variance[$0]) * (1 - momentum) }
        return [y, DenseTensor(shape: [c], floats: runningMean), DenseTensor(shape: [c], floats: runningVar)]
    }

    /// y = x·scale + shift per channel, the form both BN execution and Conv+BN folding use.
    static func foldedScaleShift(_ p: [UnsafeMutablePointer<Float>], channels c: Int, epsilon: Float) -> ([Float], [Float]) {
        let gamma = p[0], beta = p[1], mean = p[2], variance = p[3]
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            scale[i] = gamma[i] / (variance[i] + epsilon).squareRoot()
            shift[i] = beta[i] - mean[i] * scale[i]
        }
        return (scale, shift)
    }

    static func layerNorm(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0), gamma = try call.floatInput(1)
        let beta = call.optionalInput(2)
        let axis = try call.axis(call.int("axis", -1), rank: x.rank)
        let eps = call.float("epsilon", 1e-5)
        let inner = x.shape[axis...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
        guard let pg = Broadcast(gamma.shape, Array(x.shape[axis...])), pg.outputShape == Array(x.shape[axis...]) else {
            throw OpFailure("scale \(gamma.shape) does not broadcast to the normalized shape \(Array(x.shape[axis...]))")
        }
        let g = expand(gamma, to: Array(x.shape[axis...]))
        let b = try beta.map { t -> [Float] in
            guard t.kind == .float32, Broadcast.shape(t.shape, Array(x.shape[axis...])) == Array(x.shape[axis...]) else {
                throw OpFailure("bias \(t.shape) does not broadcast to the normalized shape")
            }
            return expand(t, to: Array(x.shape[axis...]))
        }
        let y = call.output(x.shape)
        let src = x.pointer, dst = y.pointer
        // Optional outputs Mean and InvStdDev have the input's shape with normalized axes set to 1.
        let statShape = Array(x.shape[..<axis]) + Array(repeating: 1, count: x.rank - axis)
        let means = call.output(statShape), invStd = call.output(statShape)
        for o in 0..<outer {
            let s = src + o * inner, d = dst + o * inner
            var mean: Double = 0
            for i in 0..<inner { mean += Double(s[i]) }
            mean /= Double(inner)
            var variance: Double = 0
            for i in 0..<inner { let v = Double(s[i]) - mean; variance += v * v }
            variance /= Double(inner)
            let inv = Float(1 / (variance + Double(eps)).squareRoot()), m = Float(mean)
            for i in 0..<inner { d[i] = (s[i] - m) * inv * g[i] + (b?[i] ?? 0) }
            means.pointer[o] = m
            invStd.pointer[o] = inv
        }
        return [y, means, invStd]
    }

    /// A float tensor broadcast to `shape`, materialized (normalization parameters are small).
    static func expand(_ t: DenseTensor, to shape: [Int]) -> [Float] {
        let plan = Broadcast(t.shape, shape)!
        let (offsets, _) = plan.offsets()
        let p = t.pointer
        return offsets.map { p[$0] }
    }

    static func softmax(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0)
        let log = call.node.op == "LogSoftmax"
        let opset = call.context.opset
        let axis = try call.axis(call.int("axis", opset >= 13 ? -1 : 1), rank: x.rank)
        let y = call.output(x.shape)
        // Opset 13 normalizes along one axis; earlier opsets flatten to 2-D at `axis`.
        let outer = x.shape[..<axis].reduce(1, *)
        let n = opset >= 13 ? x.shape[axis] : x.shape[axis...].reduce(1, *)
        let inner = opset >= 13 ? x.shape[(axis + 1)...].reduce(1, *) : 1
        let src = x.pointer, dst = y.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var m = -Float.infinity
                for k in 0..<n { m = max(m, src[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<n { let e = expf(src[base + k * inner] - m); dst[base + k * inner] = e; sum += e }
                if log {
                    let ls = logf(sum)
                    for k in 0..<n { dst[base + k * inner] = src[base + k * inner] - m - ls }
                } else {
                    for k in 0..<n { dst[base + k * inner] /= sum }
                }
            }
        }
        return [y]
    }
}
