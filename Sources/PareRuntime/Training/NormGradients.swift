import Foundation
import PareEngine
import PareKernels

/// BatchNormalization in training mode (forward and backward), LayerNormalization, Softmax and
/// LogSoftmax gradients.
enum NormGradients {
    /// Training-mode forward: normalizes with the batch's statistics and returns them
    /// (mean, biased variance) for the backward pass and the running-statistics update. With
    /// `rectify`, the output is the following ReLU's (see `TrainingSession`) and is saved too, so
    /// that `batchNorm` applies that ReLU's backward pass as well.
    static func batchNormTrainingForward(_ call: OpCall, rectify: Bool = false) throws -> (output: DenseTensor, saved: [DenseTensor]) {
        let x = try call.floatInput(0), scale = try call.floatInput(1), bias = try call.floatInput(2)
        guard x.rank >= 2, scale.count == x.shape[1], bias.count == x.shape[1] else {
            throw OpFailure("scale and bias must have one value per channel of \(x.shape)")
        }
        let c = x.shape[1], spatial = x.shape[2...].reduce(1, *)
        let y = call.output(x.shape)
        let mean = DenseTensor(shape: [c], buffer: FloatBuffer(capacity: c))
        let variance = DenseTensor(shape: [c], buffer: FloatBuffer(capacity: c))
        BatchNormTraining.forward(x.pointer, batch: x.shape[0], channels: c, spatial: spatial, scale: scale.pointer,
                                  bias: bias.pointer, epsilon: call.float("epsilon", 1e-5), output: y.pointer,
                                  mean: mean.pointer, variance: variance.pointer, rectify: rectify, pool: call.pool)
        return (y, rectify ? [mean, variance, y] : [mean, variance])
    }

    static func batchNorm(_ call: GradientCall) throws -> [DenseTensor?] {
        let x = try call.forward.floatInput(0), scale = try call.forward.floatInput(1)
        let c = x.shape[1], spatial = x.shape[2...].reduce(1, *), batch = x.shape[0]
        let eps = call.forward.float("epsilon", 1e-5)
        let dy = call.outputGradient()
        let dScale = call.tensor([c]), dBias = call.tensor([c])
        let dx = call.needs(0) ? call.tensor(x.shape) : nil
        if call.saved.count >= 2 {
            BatchNormTraining.backward(x.pointer, dy.pointer, batch: batch, channels: c, spatial: spatial, scale: scale.pointer,
                                       mean: call.saved[0].pointer, variance: call.saved[1].pointer, epsilon: eps,
                                       rectifiedOutput: call.saved.count == 3 ? UnsafePointer(call.saved[2].pointer) : nil,
                                       inputGradient: dx?.pointer, scaleGradient: dScale.pointer, biasGradient: dBias.pointer,
                                       pool: call.pool)
        } else {
            // Evaluation mode: the statistics are constants, so BN is a per-channel affine map.
            let mean = try call.forward.floatInput(3).pointer, variance = try call.forward.floatInput(4).pointer
            for ch in 0..<c {
                let invstd = 1 / (variance[ch] + eps).squareRoot()
                var sumDy: Double = 0, sumDyXhat: Double = 0
                for n in 0..<batch {
                    let offset = (n * c + ch) * spatial
                    for i in 0..<spatial {
                        let g = dy.pointer[offset + i]
                        sumDy += Double(g); sumDyXhat += Double(g * (x.pointer[offset + i] - mean[ch]) * invstd)
                        dx?.pointer[offset + i] = g * scale.pointer[ch] * invstd
                    }
                }
                dScale.pointer[ch] = Float(sumDyXhat); dBias.pointer[ch] = Float(sumDy)
            }
        }
        return [dx, call.needs(1) ? dScale : nil, call.needs(2) ? dBias : nil]
    }

    /// y = (x − mean)·invstd·scale + bias over the trailing axes from `axis`.
    static func layerNorm(_ call: GradientCall) throws -> [DenseTensor?] {
        let x = try call.forward.floatInput(0), scale = try call.forward.floatInput(1)
        let axis = try call.forward.axis(call.forward.int("axis", -1), rank: x.rank)
        let size = x.shape[axis...].reduce(1, *), rows = x.count / max(size, 1)
        guard scale.count == size else { throw OpFailure("scale must cover the normalized axes (\(size) values), got \(scale.shape)") }
        let eps = call.forward.float("epsilon", 1e-5)
        let dy = call.outputGradient()
        let dx = call.needs(0) ? call.tensor(x.shape) : nil
        var dScale = [Double](repeating: 0, count: size), dBias = dScale
        var xhat = [Float](repeating: 0, count: size)
        for r in 0..<rows {
            let xs = x.pointer + r * size, gs = dy.pointer + r * size
            var sum: Double = 0
            for i in 0..<size { sum += Double(xs[i]) }
            let mean = Float(sum / Double(size))
            var squares: Double = 0
            for i in 0..<size { let d = Double(xs[i] - mean); squares += d * d }
            let invstd = Float(1 / (squares / Double(size) + Double(eps)).squareRoot())
            var sumG: Float = 0, sumGX: Float = 0
            for i in 0..<size {
                xhat[i] = (xs[i] - mean) * invstd
                let g = gs[i] * scale.pointer[i]
                sumG += g; sumGX += g * xhat[i]
                dScale[i] += Double(gs[i] * xhat[i]); dBias[i] += Double(gs[i])
            }
            if let dx {
                let out = dx.pointer + r * size, n = Float(size)
                for i in 0..<size { out[i] = invstd / n * (n * gs[i] * scale.pointer[i] - sumG - xhat[i] * sumGX) }
            }
        }
        let shape = Array(x.shape[axis...])
        var result: [DenseTensor?] = [dx, call.needs(1) ? DenseTensor(shape: shape, floats: dScale.map { Float($0) }) : nil]
        if call.forward.optionalInput(2) != nil { result.append(call.needs(2) ? DenseTensor(shape: shape, floats: dBias.map { Float($0) }) : nil) }
        return result
    }

    /// Softmax: dx = y·(dy − Σ dy·y); LogSoftmax: dx = dy − exp(y)·Σ dy, over the softmax axis.
    static func softmax(_ call: GradientCall) throws -> [DenseTensor?] {
        guard call.needs(0) else { return [nil] }
        let y = call.outputs[0], dy = call.outputGradient()
        let opset = call.forward.context.opset
        let axis = try call.forward.axis(call.forward.int("axis", opset >= 13 ? -1 : 1), rank: y.rank)
        let outer = y.shape[..<axis].reduce(1, *)
        let size = opset >= 13 ? y.shape[axis] : y.shape[axis...].reduce(1, *)
        let inner = opset >= 13 ? y.shape[(axis + 1)...].reduce(1, *) : 1
        let dx = call.tensor(y.shape)
        let log = call.node.op == "LogSoftmax"
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * size * inner + j
                var sum: Float = 0
                for i in 0..<size {
                    let k = base + i * inner
                    sum += log ? dy.pointer[k] : dy.pointer[k] * y.pointer[k]
                }
                for i in 0..<size {
                    let k = base + i * inner
                    dx.pointer[k] = log ? dy.pointer[k] - expf(y.pointer[k]) * sum : y.pointer[k] * (dy.pointer[k] - sum)
                }
            }
        }
        return [dx]
    }
}
