/// Batch normalization over N×C×(spatial) in training mode: each channel is normalized with the
/// mean and biased variance of the batch, as `torch.nn.BatchNorm2d` does in `train()`.
/// Statistics are summed per image plane in SIMD lanes, then in Double per channel, in a fixed
/// order, so results never depend on the thread count. Work is split by channel.
public enum BatchNormTraining {
    /// y = (x − mean)·invstd·scale + bias. Writes each channel's batch mean and biased variance;
    /// returns nothing else — the caller updates running statistics (it knows the momentum).
    /// With `rectify`, y is then max(y, 0) as `Rectifier.forward` computes it (NaN kept): a ReLU
    /// after the BN in the same pass, which saves reading and writing the whole activation again.
    public static func forward(_ x: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
                               scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
                               output y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               variance: UnsafeMutablePointer<Float>, rectify: Bool = false, pool: WorkerPool?) {
        nonisolated(unsafe) let x = x, y = y, scale = scale, bias = bias, mean = mean, variance = variance
        let count = Double(batch * spatial)
        let body: @Sendable (Range<Int>) -> Void = { range in
            for c in range {
                var sum: Double = 0
                for n in 0..<batch {
                    let p = x + (n * channels + c) * spatial
                    sum += Double(VectorSums.sum(p, spatial))
                }
                let mu = sum / count
                var squares: Double = 0
                for n in 0..<batch {
                    let p = x + (n * channels + c) * spatial
                    squares += Double(VectorSums.squaredDeviations(p, spatial, from: Float(mu)))
                }
                let v = squares / count
                mean[c] = Float(mu); variance[c] = Float(v)
                let invstd = Float(1 / (v + Double(epsilon)).squareRoot())
                let a = invstd * scale[c], b = bias[c] - Float(mu) * a
                for n in 0..<batch {
                    let src = x + (n * channels + c) * spatial, dst = y + (n * channels + c) * spatial
                    if rectify {
                        for i in 0..<spatial { let v = src[i] * a + b; dst[i] = v <= 0 ? 0 : v }
                    } else {
                        for i in 0..<spatial { dst[i] = src[i] * a + b }
                    }
                }
            }
        }
        if let pool { pool.parallelRanges(channels, body) } else { body(0..<channels) }
    }

    /// dBias = Σ dy, dScale = Σ dy·x̂, dx = scale·invstd/count · (count·dy − dBias − x̂·dScale), with
    /// x̂ = (x − mean)·invstd. `dx` may be nil when the input needs no gradient. With
    /// `rectifiedOutput` (the output of a `rectify` forward), dy is the gradient after the ReLU
    /// and is taken as 0 where that output is not positive — the ReLU's backward pass, done as dy
    /// is read, with the same results as `Rectifier.backward` first.
    public static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
                                scale: UnsafePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                                epsilon: Float, rectifiedOutput: UnsafePointer<Float>? = nil, inputGradient dx: UnsafeMutablePointer<Float>?,
                                scaleGradient dScale: UnsafeMutablePointer<Float>, biasGradient dBias: UnsafeMutablePointer<Float>,
                                pool: WorkerPool?) {
        nonisolated(unsafe) let x = x, dy = dy, scale = scale, mean = mean, variance = variance, gate = rectifiedOutput
        nonisolated(unsafe) let dx = dx, dScale = dScale, dBias = dBias
        let count = Float(batch * spatial)
        let body: @Sendable (Range<Int>) -> Void = { range in
            for c in range {
                let mu = mean[c], invstd = 1 / (variance[c] + epsilon).squareRoot()
                var sumDy: Double = 0, sumDyXhat: Double = 0
                for n in 0..<batch {
                    let xs = x + (n * channels + c) * spatial, gs = dy + (n * channels + c) * spatial
                    let (a, b) = VectorSums.sumAndCentredDot(gs, xs, spatial, centre: mu,
                                                             gate: gate.map { $0 + (n * channels + c) * spatial })
                    sumDy += Double(a); sumDyXhat += Double(b)
                }
                let db = Float(sumDy), ds = Float(sumDyXhat) * invstd
                dBias[c] = db; dScale[c] = ds
                guard let dx else { continue }
                let k = scale[c] * invstd / count
                let meanTerm = db, xhatTerm = ds * invstd
                for n in 0..<batch {
                    let xs = x + (n * channels + c) * spatial, gs = dy + (n * channels + c) * spatial
                    let out = dx + (n * channels + c) * spatial
                    if let gate {
                        gatedInputGradient(xs, gs, gate + (n * channels + c) * spatial, out, spatial,
                                           k: k, count: count, mean: mu, meanTerm: meanTerm, xhatTerm: xhatTerm)
                    } else {
                        for i in 0..<spatial { out[i] = k * (count * gs[i] - meanTerm - (xs[i] - mu) * xhatTerm) }
                    }
                }
            }
        }
        if let pool { pool.parallelRanges(channels, body) } else { body(0..<channels) }
    }

    /// out = k·(count·g − meanTerm − (x − mean)·xhatTerm) with g = dy where y > 0, else 0, in
    /// SIMD lanes (a per-element branch on the sign mispredicts; see `Rectifier`). Lane for lane
    /// the same operations as the ungated loop on a gradient already zeroed there.
    private static func gatedInputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                           _ out: UnsafeMutablePointer<Float>, _ n: Int,
                                           k: Float, count: Float, mean: Float, meanTerm: Float, xhatTerm: Float) {
        typealias V = SIMD16<Float>
        let zero = V(), kv = V(repeating: k), countV = V(repeating: count), mu = V(repeating: mean)
        let meanV = V(repeating: meanTerm), xhatV = V(repeating: xhatTerm)
        var i = 0
        while i + 16 <= n {
            let g = zero.replacing(with: UnsafeRawPointer(dy + i).loadUnaligned(as: V.self),
                                   where: UnsafeRawPointer(y + i).loadUnaligned(as: V.self) .> zero)
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: kv * (countV * g - meanV - (xv - mu) * xhatV), as: V.self)
            i += 16
        }
        while i < n {
            let g: Float = y[i] > 0 ? dy[i] : 0
            out[i] = k * (count * g - meanTerm - (x[i] - mean) * xhatTerm)
            i += 1
        }
    }
}
