import CPareKernels
import Foundation

/// 1×1 stride-1 unpadded single-group convolutions on CPareKernels' AVX-512 pointwise kernel,
/// which finishes each block of sums with the bias, residual and clamp in registers instead of
/// leaving them to a second pass over the output as the OpenBLAS path must. Measured against
/// OpenBLAS (its AVX-512 kernel) plus that pass, on ResNet-50's shapes: 10–30% faster on one
/// thread and on two, most where the output is largest (256 ← 64 channels at 56×56 with a
/// residual: 1.39 → 1.01 ms on one thread). `PARE_POINTWISE_KERNEL=0` turns it off, to compare.
enum PointwiseConv {
    static let enabled = ShiftedTaps.kernel == .avx512 && ProcessInfo.processInfo.environment["PARE_POINTWISE_KERNEL"] != "0"

    static func applies(_ s: Conv2DShape) -> Bool {
        enabled && s.groups == 1 && Conv2D.isPointwise(s)
    }

    static func packWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>) -> [Float] {
        let m = Int32(s.outChannels), c = Int32(s.inChannels)
        var packed = [Float](repeating: 0, count: pare_pointwise_packed_count(m, c))
        packed.withUnsafeMutableBufferPointer { pare_pointwise_pack(m, c, w, $0.baseAddress!) }
        return packed
    }

    /// Floats of scratch `forward` needs: the packed weights, when the caller has none.
    static func scratchCount(_ s: Conv2DShape) -> Int { s.outChannels * s.inChannels }

    /// `packed`: the weights as `packWeights` leaves them, when the caller keeps them across calls
    /// (inference); otherwise they are packed into `scratch` on every call.
    static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp,
                        residual: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?,
                        packed: UnsafePointer<Float>?) {
        let m = s.outChannels, c = s.inChannels, plane = s.height * s.width
        if packed == nil { pare_pointwise_pack(Int32(m), Int32(c), w, scratch) }
        nonisolated(unsafe) let weights = packed ?? UnsafePointer(scratch)
        nonisolated(unsafe) let x = x, y = y, bias = bias, residual = residual
        // One image's channels `channels` over its pixels `pixels`.
        let part: @Sendable (Int, Range<Int>, Range<Int>) -> Void = { n, channels, pixels in
            let offset = n * m * plane
            pare_pointwise_forward(Int32(m), Int32(c), weights, x + n * c * plane, plane, y + offset, bias,
                                   residual.map { $0 + offset }, clamp.lo, clamp.hi, Int32(channels.lowerBound),
                                   Int32(channels.upperBound), Int32(pixels.lowerBound), Int32(pixels.upperBound))
        }
        let threads = pool?.threadCount ?? 1
        guard let pool, threads > 1, s.batch < threads else {
            let work: @Sendable (Int) -> Void = { worker in
                for n in WorkerPool.evenShare(worker, of: s.batch, parts: threads) { part(n, 0..<m, 0..<plane) }
            }
            if let pool, threads > 1 { pool.parallelFor(threads, work) } else { work(0) }
            return
        }
        // Fewer images than threads (inference): large images split their pixels (in whole
        // vectors), small ones their output channels (in the kernel's blocks of eight).
        let splitPixels = plane >= 256 * threads
        for n in 0..<s.batch {
            pool.parallelFor(threads) { worker in
                if splitPixels {
                    let share = WorkerPool.evenShare(worker, of: (plane + 15) / 16, parts: threads)
                    let pixels = min(plane, share.lowerBound * 16)..<min(plane, share.upperBound * 16)
                    if !pixels.isEmpty { part(n, 0..<m, pixels) }
                } else {
                    let share = WorkerPool.evenShare(worker, of: (m + 7) / 8, parts: threads)
                    let channels = min(m, share.lowerBound * 8)..<min(m, share.upperBound * 8)
                    if !channels.isEmpty { part(n, channels, 0..<plane) }
                }
            }
        }
    }
}
