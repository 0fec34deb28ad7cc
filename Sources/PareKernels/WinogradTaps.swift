import CPareKernels
import Foundation

/// 3×3, stride-1, padding-1 convolutions of up to 64 channels by CPareKernels' fused
/// F(2×2, 3×3) Winograd kernel, one image per thread at a time, on CPUs with AVX2 + FMA and no
/// AVX-512: the 3×3 convs of CIFAR-style ResNets in training, forward, input gradient (as the
/// adjoint convolution) and weight gradient (below), which are most of a training step.
///
/// Why there: the shifted-tap kernel already runs these shapes near the FMA peak of such a CPU,
/// so fewer multiplications (16 instead of 36 per 2×2 outputs and channel pair) are the only way
/// to go faster. On AVX-512 CPUs the tap kernel has twice the lanes and has not been measured
/// against this one, so it keeps them (`PARE_WINOGRAD_TAPS=1` forces this kernel there, `=0`
/// turns it off everywhere, to compare). F(2×2, 3×3)'s constants are ½ and ±1: its results
/// differ from the direct sum by rounding only (tests check 1e-5 relative).
enum WinogradTaps {
    static let setting = ProcessInfo.processInfo.environment["PARE_WINOGRAD_TAPS"]

    static var available: Bool {
        guard setting != "0", let kernel = ShiftedTaps.kernel else { return false }
        return kernel == .avx2 || setting == "1"
    }

    /// Whether `ShiftedTaps.forward` hands this shape here: a 3×3 "same" convolution (stride 1,
    /// padding 1 on every side) of one group, at most 64 channels in and out (the weight transform
    /// is redone on every call, and beyond that the unfused Winograd or the taps take over), and
    /// at least an image per thread.
    static func applies(_ s: Conv2DShape, threads: Int) -> Bool {
        available && s.kernelH == 3 && s.kernelW == 3 && s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 && s.dilationW == 1
            && s.groups == 1 && s.padTop == 1 && s.padLeft == 1 && s.padBottom == 1 && s.padRight == 1
            && s.inChannels <= 64 && s.outChannels <= 64 && s.batch >= threads
    }

    static func perWorker(_ s: Conv2DShape) -> Int {
        pare_winograd2_scratch_count(Int32(s.outChannels), Int32(s.inChannels), Int32(s.height), Int32(s.width))
    }

    static func scratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        pare_winograd2_packed_count(Int32(s.outChannels), Int32(s.inChannels)) + threads * perWorker(s)
    }

    static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp,
                        residual: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        let m = Int32(s.outChannels), c = Int32(s.inChannels), h = Int32(s.height), width = Int32(s.width)
        pare_winograd2_pack(m, c, w, scratch)
        let packed = pare_winograd2_packed_count(m, c), perWorker = perWorker(s)
        let inPlane = s.height * s.width, outPlane = s.outHeight * s.outWidth
        nonisolated(unsafe) let x = x, y = y, bias = bias, residual = residual, scratch = scratch
        // Images go to whichever thread is free; each image's output is its own.
        let images = WorkQueue(count: s.batch)
        let work: @Sendable (Int) -> Void = { worker in
            let own = scratch + packed + worker * perWorker
            var fresh: Int32 = 1
            while let n = images.take() {
                let offset = n * s.outChannels * outPlane
                var out = pare_taps_output(y: y + offset, out_plane: outPlane, row_width: width, out_width: width, bias: bias,
                                           residual: residual.map { $0 + offset }, lo: clamp.lo, hi: clamp.hi)
                pare_winograd2_forward_avx2(m, c, h, width, scratch, x + n * s.inChannels * inPlane, own, fresh, &out)
                fresh = 0
            }
        }
        let threads = pool?.threadCount ?? 1
        if let pool, threads > 1 { pool.parallelFor(threads, work) } else { work(0) }
    }
}

/// The weight gradient of the same convolutions by CPareKernels' F(2×2, 3×3) Winograd kernel:
/// 16 multiplications per 2×2 outputs and channel pair instead of the tap kernel's 36.
///
/// As in the tap path, the images are split into one fixed block per worker, each summing
/// privately, and the blocks are added in block order: the result depends on the thread count
/// but never on scheduling (a resumed run repeats an uninterrupted one bit for bit).
extension WinogradTaps {
    /// Whether `ShiftedTaps.weightGradient` hands this shape here (any batch).
    static func appliesToWeightGradient(_ s: Conv2DShape) -> Bool {
        applies(s, threads: 1)
    }

    /// Images transformed together: enough tiles (about 256) per dot product that reducing its
    /// register sums costs little, and no more, so a chunk's transforms stay near the cache.
    static func gradientChunk(_ s: Conv2DShape) -> Int {
        let tiles = ((s.height + 1) / 2) * ((s.width + 1) / 2)
        return min(8, max(1, 256 / ((tiles + 7) / 8 * 8)))
    }

    /// Per block: the kernel's scratch and (for all but the first) a private dW.
    private static func gradientBlockCount(_ s: Conv2DShape) -> Int {
        pare_winograd2_gradient_scratch_count(Int32(s.outChannels), Int32(s.inChannels), Int32(s.height), Int32(s.width),
                                              Int32(gradientChunk(s))) + s.outChannels * s.inChannels * 9
    }

    static func gradientScratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        ShiftedTaps.blocks(s, threads: threads).count * gradientBlockCount(s)
    }

    static func weightGradient(_ s: Conv2DShape, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                               weightGradient dw: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        let m = s.outChannels, c = s.inChannels, plane = s.height * s.width, weights = m * c * 9
        let (count, perBlock) = ShiftedTaps.blocks(s, threads: pool?.threadCount ?? 1)
        let blockFloats = gradientBlockCount(s), chunk = Int32(gradientChunk(s))
        nonisolated(unsafe) let x = x, dy = dy, dw = dw, scratch = scratch
        let work: @Sendable (Int) -> Void = { block in
            let own = scratch + block * blockFloats
            let images = block * perBlock..<min(s.batch, (block + 1) * perBlock)
            pare_winograd2_weight_gradient_avx2(Int32(m), Int32(c), Int32(s.height), Int32(s.width), Int32(images.count),
                                                x + images.lowerBound * c * plane, dy + images.lowerBound * m * plane, chunk, own,
                                                block == 0 ? dw : own + blockFloats - weights)
        }
        if let pool, count > 1 { pool.parallelFor(count, work) } else { work(0) }
        for block in 1..<count {
            let partial = scratch + (block + 1) * blockFloats - weights
            for i in 0..<weights { dw[i] += partial[i] }
        }
    }
}
