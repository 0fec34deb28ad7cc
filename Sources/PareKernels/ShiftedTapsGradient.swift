/// The weight gradient of a shifted-tap convolution, again without a column matrix:
/// dW_tap[M×C] = Σ_images dY[M × OH·Wp] · X_tap[C × OH·Wp]ᵀ, where dY is copied onto the padded
/// width with zeros in the unused columns (so they add nothing) and X_tap is the tap's view
/// into the zero-padded image, as in `forward`.
///
/// The images are split into one fixed block per worker, each summing privately; the blocks are
/// added in block order, so the result depends on the thread count but never on scheduling (as
/// in `Conv2DBackward`).
extension ShiftedTaps {
    /// Floats `weightGradient` needs: per block, the padded image, dY on the padded width, and
    /// the block's dW by tap.
    static func gradientScratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        blocks(s, threads: threads).count * gradientBlockCount(s)
    }

    private static func gradientBlockCount(_ s: Conv2DShape) -> Int {
        let (hp, wp, _) = layout(s)
        return s.inChannels * hp * wp + s.kernelW + s.outChannels * s.outHeight * wp + s.kernelH * s.kernelW * s.outChannels * s.inChannels
    }

    private static func blocks(_ s: Conv2DShape, threads: Int) -> (count: Int, perBlock: Int) {
        let workers = max(1, min(threads, s.batch))
        let perBlock = (s.batch + workers - 1) / workers
        return ((s.batch + perBlock - 1) / perBlock, perBlock)
    }

    static func weightGradient(_ s: Conv2DShape, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                               weightGradient dw: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        let taps = s.kernelH * s.kernelW, m = s.outChannels, c = s.inChannels
        let (hp, wp, _) = layout(s)
        let oh = s.outHeight, ow = s.outWidth, columns = oh * wp
        let (count, perBlock) = blocks(s, threads: pool?.threadCount ?? 1)
        let blockFloats = gradientBlockCount(s)
        nonisolated(unsafe) let x = x, dy = dy, scratch = scratch
        let work: @Sendable (Int) -> Void = { block in
            let padded = scratch + block * blockFloats
            let gradient = padded + c * hp * wp + s.kernelW
            let sums = gradient + m * columns
            padded.update(repeating: 0, count: c * hp * wp + s.kernelW)
            gradient.update(repeating: 0, count: m * columns)
            var first = true
            for n in block * perBlock..<min(s.batch, (block + 1) * perBlock) {
                copyInterior(s, image: x + n * c * s.height * s.width, into: padded)
                for o in 0..<m {
                    let src = dy + (n * m + o) * oh * ow
                    for oy in 0..<oh { (gradient + o * columns + oy * wp).update(from: src + oy * ow, count: ow) }
                }
                for t in 0..<taps {
                    let ky = t / s.kernelW, kx = t % s.kernelW
                    Gemm.sgemm(transB: true, m: m, n: c, k: columns, a: gradient, lda: columns, b: padded + ky * wp + kx,
                               ldb: hp * wp, beta: first ? 0 : 1, c: sums + t * m * c, ldc: c)
                }
                first = false
            }
        }
        if let pool, count > 1 { pool.parallelFor(count, work) } else { work(0) }
        // Blocks in order into the first, then [tap][m][c] → dW[m][c][tap].
        let total = scratch + gradientBlockCount(s) - taps * m * c
        for block in 1..<count {
            let partial = scratch + (block + 1) * blockFloats - taps * m * c
            for i in 0..<(taps * m * c) { total[i] += partial[i] }
        }
        for o in 0..<m {
            for i in 0..<c {
                for t in 0..<taps { dw[(o * c + i) * taps + t] = total[(t * m + o) * c + i] }
            }
        }
    }
}
