import CPareKernels

/// The weight gradient of a shifted-tap convolution, again without a column matrix:
/// dW_tap[M×C] = Σ_images dY[M × OH·Wp] · X_tap[C × OH·Wp]ᵀ, where dY is copied onto the padded
/// width with zeros in the unused columns (so they add nothing) and X_tap is the tap's view
/// into the zero-padded image, as in `forward`.
///
/// The images are split into one fixed block per worker, each summing privately; the blocks are
/// added in block order, so the result depends on the thread count but never on scheduling (as
/// in `Conv2DBackward`). Within a block, images are laid out a chunk at a time so that the
/// tap kernel (`directGradient`) reduces its register sums once per
/// chunk rather than once per image; otherwise each image's taps are OpenBLAS GEMMs.
extension ShiftedTaps {
    /// Images laid out together per kernel call: enough to amortize the reductions (at 16×16,
    /// one image's sums cost about as much to reduce as to accumulate), few enough to stay small.
    static let gradientChunk = 8

    /// Floats `weightGradient` needs: per block, a chunk of padded images, their dY on the padded
    /// width, and the block's dW by tap.
    static func gradientScratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        let taps = blocks(s, threads: threads).count * gradientBlockCount(s)
        return WinogradTaps.appliesToWeightGradient(s) ? max(taps, WinogradTaps.gradientScratchCount(s, threads: threads)) : taps
    }

    /// A padded image and its `slack`.
    private static func paddedImageCount(_ s: Conv2DShape) -> Int {
        s.inChannels * layout(s).plane + slack(s)
    }

    private static func gradientBlockCount(_ s: Conv2DShape) -> Int {
        gradientChunk * (paddedImageCount(s) + s.outChannels * gradientRow(s)) + s.kernelH * s.kernelW * s.outChannels * s.inChannels
    }

    /// Floats per output channel of dY on the padded width: OH·Wp, rounded up to whole vectors for
    /// the AVX2 kernel, which reads whole vectors and relies on the zeros past OH·Wp.
    private static func gradientRow(_ s: Conv2DShape) -> Int {
        let columns = s.outHeight * layout(s).rowWidth
        return kernel == .avx2 ? (columns + 7) / 8 * 8 : columns
    }

    /// The fixed blocks of images a weight gradient splits the batch into, one per worker (also
    /// `WinogradTaps.weightGradient`'s): their count and images per block.
    static func blocks(_ s: Conv2DShape, threads: Int) -> (count: Int, perBlock: Int) {
        let workers = max(1, min(threads, s.batch))
        let perBlock = (s.batch + workers - 1) / workers
        return ((s.batch + perBlock - 1) / perBlock, perBlock)
    }

    /// Whether the weight gradient runs on a tap kernel: written for 3×3 taps. The AVX-512 one is
    /// faster than OpenBLAS up to 32 channels (GFLOP/s, one thread, eight images, kernel vs
    /// OpenBLAS Haswell: 16 channels at 32×32 98 vs 62, 32 at 16×16 95 vs 80, 64 at 8×8 79 vs 92);
    /// the AVX2 one at every channel count this path takes (Zen 1, peak 38: 16 at 28×28 35, 32 at
    /// 14×14 35, 64 at 7×7 31, where OpenBLAS's Zen kernel spends a fifth of its time packing).
    static func directGradient(_ s: Conv2DShape) -> Bool {
        s.kernelH == 3 && s.kernelW == 3 && (kernel == .avx2 || (kernel == .avx512 && s.inChannels <= 32))
    }

    static func weightGradient(_ s: Conv2DShape, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                               weightGradient dw: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?,
                               direct: Bool? = nil) {
        if direct != false && WinogradTaps.appliesToWeightGradient(s) {
            WinogradTaps.weightGradient(s, input: x, outputGradient: dy, weightGradient: dw, scratch: scratch, pool: pool)
            return
        }
        let taps = s.kernelH * s.kernelW, m = s.outChannels, c = s.inChannels
        let l = layout(s), wp = l.rowWidth, plane = l.plane
        let oh = s.outHeight, ow = s.outWidth, columns = oh * wp
        let paddedImage = paddedImageCount(s), row = gradientRow(s), gradientImage = m * row
        let direct = (direct ?? directGradient(s)) && taps == 9, offsets = tapOffsets(s)
        let (count, perBlock) = blocks(s, threads: pool?.threadCount ?? 1)
        let blockFloats = gradientBlockCount(s)
        nonisolated(unsafe) let x = x, dy = dy, scratch = scratch
        let work: @Sendable (Int) -> Void = { block in
            let padded = scratch + block * blockFloats
            let gradient = padded + gradientChunk * paddedImage
            let sums = gradient + gradientChunk * gradientImage
            // Borders, slack and unused columns stay zero; each image overwrites only its interior.
            padded.update(repeating: 0, count: gradientChunk * (paddedImage + gradientImage))
            let images = block * perBlock..<min(s.batch, (block + 1) * perBlock)
            for chunkStart in stride(from: images.lowerBound, to: images.upperBound, by: gradientChunk) {
                let chunk = chunkStart..<min(images.upperBound, chunkStart + gradientChunk)
                for (slot, n) in chunk.enumerated() {
                    copyInterior(s, image: x + n * c * s.height * s.width, into: padded + slot * paddedImage)
                    for o in 0..<m {
                        let src = dy + (n * m + o) * oh * ow, dst = gradient + slot * gradientImage + o * row
                        for oy in 0..<oh { (dst + oy * wp).update(from: src + oy * ow, count: ow) }
                    }
                }
                let first = chunkStart == images.lowerBound
                if direct {
                    if kernel == .avx512 {
                        pare_taps_weight_gradient(Int32(m), Int32(c), offsets, Int32(chunk.count), gradient, gradientImage, padded,
                                                  plane, paddedImage, Int32(columns), sums, first ? 0 : 1)
                    } else {
                        pare_taps_weight_gradient_avx2(Int32(m), Int32(c), offsets, Int32(chunk.count), gradient, gradientImage, row,
                                                       padded, plane, paddedImage, Int32(columns), sums, first ? 0 : 1)
                    }
                } else {
                    for slot in 0..<chunk.count {
                        for t in 0..<taps {
                            Gemm.sgemm(transB: true, m: m, n: c, k: columns, a: gradient + slot * gradientImage, lda: row,
                                       b: padded + slot * paddedImage + Int(offsets[t]), ldb: plane,
                                       beta: first && slot == 0 ? 0 : 1, c: sums + t * m * c, ldc: c)
                        }
                    }
                }
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
