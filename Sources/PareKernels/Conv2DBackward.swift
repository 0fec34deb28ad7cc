/// Gradients of `Conv2D.forward` (without its clamp): given dL/dy, the weight gradient
/// dW = Σ_images dY · columns(x)ᵀ, the input gradient dX = col2im(Wᵀ · dY) and the bias gradient
/// db = Σ dY over images and pixels.
///
/// The images are split into one fixed block per worker; each block sums its weight gradient
/// privately and the blocks are added in block order, so a result depends on the thread count
/// but never on scheduling (a resumed run repeats an uninterrupted one bit for bit).
/// Depthwise convolutions run as direct loops per input channel. `reference` is the definition.
public enum Conv2DBackward {
    public static func backward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                                weightGradient dw: UnsafeMutablePointer<Float>?, biasGradient db: UnsafeMutablePointer<Float>?,
                                scratch: UnsafeMutablePointer<Float>? = nil, pool: WorkerPool?) {
        precondition(s.problem == nil, "Conv2DBackward: \(s.problem ?? "")")
        if let db { biasGradient(s, dy, db, pool: pool) }
        if s.groups > 1 && s.channelsPerGroup == 1 {
            depthwise(s, x, w, dy, dx, dw, pool: pool)
            return
        }
        // Each gradient takes the path without a column matrix where there is one (dX of a
        // stride-1 conv is the adjoint conv; dW of a shifted-tap conv is per-tap GEMMs); what is
        // left goes to the per-image GEMMs together.
        var dxLeft = dx, dwLeft = dw
        if let dx, !Conv2D.isPointwise(s), let adjoint = adjointShape(s) {
            let flipped = adjointWeights(s, w)
            flipped.withUnsafeBufferPointer {
                Conv2D.forward(adjoint, input: dy, weight: $0.baseAddress!, bias: nil, output: dx, scratch: scratch, pool: pool)
            }
            dxLeft = nil
        }
        let threads = pool?.threadCount ?? 1
        if let dw, ShiftedTaps.appliesToWeightGradient(s, threads: threads) {
            let owned = scratch == nil ? UnsafeMutablePointer<Float>.allocate(capacity: scratchCount(s, threads: threads)) : nil
            defer { owned?.deallocate() }
            ShiftedTaps.weightGradient(s, input: x, outputGradient: dy, weightGradient: dw, scratch: scratch ?? owned!, pool: pool)
            dwLeft = nil
        }
        if dxLeft != nil || dwLeft != nil { general(s, x, w, dy, dxLeft, dwLeft, scratch: scratch, pool: pool) }
    }

    /// Floats of scratch `backward` uses when given (nil: it allocates its own). One block serves
    /// both passes, which run one after the other.
    public static func scratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        let adjoint = adjointShape(s).map { Conv2D.scratchCount($0, threads: threads) } ?? 0
        let shifted = ShiftedTaps.appliesToWeightGradient(s, threads: threads) ? ShiftedTaps.gradientScratchCount(s, threads: threads) : 0
        return max(adjoint, generalScratchCount(s, threads: threads), shifted)
    }

    /// Images per block of `general`, blocks, and floats per block.
    private static func generalLayout(_ s: Conv2DShape, threads: Int) -> (perBlock: Int, blocks: Int, blockScratch: Int) {
        let workers = max(1, min(threads, s.batch))
        let perBlock = (s.batch + workers - 1) / workers
        let blocks = (s.batch + perBlock - 1) / perBlock  // every block gets at least one image
        let k = s.channelsPerGroup * s.kernelH * s.kernelW
        // Per block: the column matrix, the column gradient and (after the first block) a private dW.
        return (perBlock, blocks, 2 * k * s.outHeight * s.outWidth + s.outChannels * k)
    }

    private static func generalScratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        let layout = generalLayout(s, threads: threads)
        return layout.blocks * layout.blockScratch
    }

    /// With stride 1, dX is itself a convolution: dY correlated with the weights flipped in both
    /// spatial axes and with input and output channels swapped per group, padded by (K − 1)·d − p
    /// on each side. It then runs on `Conv2D.forward`'s batched im2col GEMMs instead of a
    /// per-image Wᵀ·dY GEMM and a col2im scatter (which cost a ResNet-56 step a tenth of its time).
    /// Nil when that padding would be negative (pads wider than the kernel's reach) or stride > 1.
    static func adjointShape(_ s: Conv2DShape) -> Conv2DShape? {
        guard s.strideH == 1, s.strideW == 1 else { return nil }
        var a = Conv2DShape(batch: s.batch, inChannels: s.outChannels, height: s.outHeight, width: s.outWidth,
                            outChannels: s.inChannels, kernelH: s.kernelH, kernelW: s.kernelW)
        a.groups = s.groups; a.dilationH = s.dilationH; a.dilationW = s.dilationW
        let reachH = (s.kernelH - 1) * s.dilationH, reachW = (s.kernelW - 1) * s.dilationW
        a.padTop = reachH - s.padTop; a.padBottom = reachH - s.padBottom
        a.padLeft = reachW - s.padLeft; a.padRight = reachW - s.padRight
        guard a.problem == nil, a.outHeight == s.height, a.outWidth == s.width else { return nil }
        return a
    }

    /// The adjoint convolution's weights [C, M/groups, kH, kW]: w[m, c, ky, kx] moved to
    /// [c, m, kH − 1 − ky, kW − 1 − kx] within each group.
    static func adjointWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>) -> [Float] {
        let cPerGroup = s.channelsPerGroup, mPerGroup = s.outChannels / s.groups, taps = s.kernelH * s.kernelW
        var out = [Float](repeating: 0, count: s.inChannels * mPerGroup * taps)
        for g in 0..<s.groups {
            for m in 0..<mPerGroup {
                for c in 0..<cPerGroup {
                    let src = w + ((g * mPerGroup + m) * cPerGroup + c) * taps
                    let dst = ((g * cPerGroup + c) * mPerGroup + m) * taps + taps - 1
                    for t in 0..<taps { out[dst - t] = src[t] }
                }
            }
        }
        return out
    }

    static func biasGradient(_ s: Conv2DShape, _ dy: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        channelSums(dy, batch: s.batch, channels: s.outChannels, plane: s.outHeight * s.outWidth, into: db, pool: pool)
    }

    /// sums[c] = Σ over images and pixels of t[n, c, ·]: the bias gradient of any layer that adds
    /// a per-channel bias to an N×C×plane output (Conv, ConvTranspose). Parallel over channels.
    public static func channelSums(_ t: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                                   into sums: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        nonisolated(unsafe) let t = t, sums = sums
        let body: @Sendable (Range<Int>) -> Void = { range in
            for c in range {
                var sum: Float = 0
                for n in 0..<batch {
                    let p = t + (n * channels + c) * plane
                    for i in 0..<plane { sum += p[i] }
                }
                sums[c] = sum
            }
        }
        if let pool { pool.parallelRanges(channels, body) } else { body(0..<channels) }
    }

    private static func general(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>?,
                                _ dw: UnsafeMutablePointer<Float>?, scratch given: UnsafeMutablePointer<Float>?, pool: WorkerPool?) {
        let (perBlock, blocks, blockScratch) = generalLayout(s, threads: pool?.threadCount ?? 1)
        let cPerGroup = s.channelsPerGroup, mPerGroup = s.outChannels / s.groups
        let k = cPerGroup * s.kernelH * s.kernelW, outPlane = s.outHeight * s.outWidth, inPlane = s.height * s.width
        let weightCount = s.outChannels * k
        let pointwise = Conv2D.isPointwise(s)
        let owned = given == nil ? UnsafeMutablePointer<Float>.allocate(capacity: blocks * blockScratch) : nil
        defer { owned?.deallocate() }
        let scratch = given ?? owned!
        nonisolated(unsafe) let x = x, w = w, dy = dy, dx = dx, dw = dw, base = scratch
        let work: @Sendable (Int) -> Void = { block in
            let columns = base + block * blockScratch, dColumns = columns + k * outPlane
            let weightSum = dw == nil ? nil : block == 0 ? dw : dColumns + k * outPlane
            var first = true
            for n in block * perBlock..<min(s.batch, (block + 1) * perBlock) {
                for g in 0..<s.groups {
                    let image = x + (n * s.inChannels + g * cPerGroup) * inPlane
                    let grad = dy + (n * s.outChannels + g * mPerGroup) * outPlane
                    if let weightSum {
                        let source: UnsafePointer<Float>
                        if pointwise { source = image } else {
                            Conv2D.lowerChannels(s, image, 0..<cPerGroup, 0..<outPlane, columns)
                            source = UnsafePointer(columns)
                        }
                        Gemm.sgemm(transB: true, m: mPerGroup, n: k, k: outPlane, a: grad, lda: outPlane, b: source, ldb: outPlane,
                                   beta: first ? 0 : 1, c: weightSum + g * mPerGroup * k, ldc: k)
                    }
                    if let dx {
                        let target = dx + (n * s.inChannels + g * cPerGroup) * inPlane
                        if pointwise {
                            Gemm.sgemm(transA: true, m: k, n: outPlane, k: mPerGroup, a: w + g * mPerGroup * k, lda: k,
                                       b: grad, ldb: outPlane, c: target, ldc: inPlane)
                        } else {
                            Gemm.sgemm(transA: true, m: k, n: outPlane, k: mPerGroup, a: w + g * mPerGroup * k, lda: k,
                                       b: grad, ldb: outPlane, c: dColumns, ldc: outPlane)
                            scatterColumns(s, dColumns, channels: cPerGroup, into: target)
                        }
                    }
                }
                first = false
            }
        }
        if let pool, blocks > 1 { pool.parallelFor(blocks, work) } else { work(0) }
        guard let dw else { return }
        for block in 1..<blocks {
            let partial = scratch + block * blockScratch + 2 * k * outPlane
            for i in 0..<weightCount { dw[i] += partial[i] }
        }
    }

    /// col2im: adds every column entry back to the input position its tap read (the adjoint of
    /// `Conv2D.lowerChannels` over a whole image); `image` is overwritten.
    static func scatterColumns(_ s: Conv2DShape, _ columns: UnsafePointer<Float>, channels: Int,
                               into image: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth, plane = oh * ow
        image.update(repeating: 0, count: channels * s.height * s.width)
        for c in 0..<channels {
            let target = image + c * s.height * s.width
            for ky in 0..<s.kernelH {
                for kx in 0..<s.kernelW {
                    let row = columns + ((c * s.kernelH + ky) * s.kernelW + kx) * plane
                    let offset = kx * s.dilationW - s.padLeft
                    let valid = Pool2D.outputColumns(reading: offset, stride: s.strideW, width: s.width, outWidth: ow)
                    for oy in 0..<oh {
                        let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                        guard iy >= 0 && iy < s.height else { continue }
                        let line = target + iy * s.width, src = row + oy * ow
                        if s.strideW == 1 {
                            for ox in valid { line[ox + offset] += src[ox] }
                        } else {
                            for ox in valid { line[ox * s.strideW + offset] += src[ox] }
                        }
                    }
                }
            }
        }
    }

    /// One input channel per group: per input channel c (and its output channels m), loops over
    /// images and taps. Work is split by input channel, so no two workers write the same value.
    private static func depthwise(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                  _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>?,
                                  _ dw: UnsafeMutablePointer<Float>?, pool: WorkerPool?) {
        let oh = s.outHeight, ow = s.outWidth, multiplier = s.outChannels / s.groups
        let taps = s.kernelH * s.kernelW, inPlane = s.height * s.width
        nonisolated(unsafe) let x = x, w = w, dy = dy, dx = dx, dw = dw
        let body: @Sendable (Range<Int>) -> Void = { channels in
            for c in channels {
                if let dx { for n in 0..<s.batch { (dx + (n * s.inChannels + c) * inPlane).update(repeating: 0, count: inPlane) } }
                for m in c * multiplier..<(c + 1) * multiplier {
                    var sums = [Double](repeating: 0, count: taps)
                    for n in 0..<s.batch {
                        let src = x + (n * s.inChannels + c) * inPlane, grad = dy + (n * s.outChannels + m) * oh * ow
                        let target = dx.map { $0 + (n * s.inChannels + c) * inPlane }
                        for oy in 0..<oh {
                            let y0 = oy * s.strideH - s.padTop, g = grad + oy * ow
                            for ky in Pool2D.tapRange(y0, s.kernelH, s.dilationH, s.height) {
                                let rowOffset = (y0 + ky * s.dilationH) * s.width
                                for kx in 0..<s.kernelW {
                                    let offset = kx * s.dilationW - s.padLeft, t = ky * s.kernelW + kx
                                    let columns = Pool2D.outputColumns(reading: offset, stride: s.strideW, width: s.width, outWidth: ow)
                                    var acc: Float = 0
                                    let line = src + rowOffset
                                    for ox in columns { acc += g[ox] * line[ox * s.strideW + offset] }
                                    sums[t] += Double(acc)
                                    if let target {
                                        let weight = w[m * taps + t], out = target + rowOffset
                                        for ox in columns { out[ox * s.strideW + offset] += weight * g[ox] }
                                    }
                                }
                            }
                        }
                    }
                    if let dw { for t in 0..<taps { dw[m * taps + t] = Float(sums[t]) } }
                }
            }
        }
        if let pool { pool.parallelRanges(s.inChannels, body) } else { body(0..<s.inChannels) }
    }

    /// The definition in Double: every output gradient times what its tap read (dW) and the
    /// weight it used (dX).
    public static func reference(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                 outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                                 weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth, mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        var gx = [Double](repeating: 0, count: s.batch * s.inChannels * s.height * s.width)
        var gw = [Double](repeating: 0, count: s.outChannels * cPerGroup * s.kernelH * s.kernelW)
        var gb = [Double](repeating: 0, count: s.outChannels)
        for n in 0..<s.batch {
            for m in 0..<s.outChannels {
                let g = m / mPerGroup
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let d = Double(dy[((n * s.outChannels + m) * oh + oy) * ow + ox])
                        gb[m] += d
                        for c in 0..<cPerGroup {
                            for ky in 0..<s.kernelH {
                                for kx in 0..<s.kernelW {
                                    let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                                    let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                                    guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                                    let xi = ((n * s.inChannels + g * cPerGroup + c) * s.height + iy) * s.width + ix
                                    let wi = ((m * cPerGroup + c) * s.kernelH + ky) * s.kernelW + kx
                                    gw[wi] += d * Double(x[xi])
                                    gx[xi] += d * Double(w[wi])
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in gx.indices { dx[i] = Float(gx[i]) }
        for i in gw.indices { dw[i] = Float(gw[i]) }
        for i in gb.indices { db[i] = Float(gb[i]) }
    }
}
