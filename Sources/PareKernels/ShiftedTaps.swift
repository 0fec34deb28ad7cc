import CPareKernels
import Foundation

/// Stride-1 convolution as one GEMM per kernel tap on a zero-padded copy of the image, with no
/// column matrix.
///
/// On the padded image (Hp × Wp per channel), output pixel (oy, ox) reads (oy + ky, ox + kx) for
/// tap (ky, kx). Computing outputs on the padded width — Wp columns per output row, of which
/// the last few are never used (stride-1 rows share their zero columns, so Wp is W plus the
/// larger side padding: see `layout`) — makes every tap's input a plain C × (OH·Wp) matrix that
/// starts ky·Wp + kx floats into the padded image, with the channel planes as its rows. So
/// y = Σ_taps W_tap[M×C] · X_tap[C×OH·Wp] is kH·kW GEMMs accumulating into one product, read
/// straight from the padded copy. im2col instead writes (and OpenBLAS then reads) kH·kW copies of
/// the image; for few channels on large images (CIFAR ResNets' first stage: 16 channels at
/// 32×32) that copy costs about as much as the arithmetic. The price is the wasted columns
/// ((kW − 1)/Wp of the work) and GEMMs only C deep, which is why this is kept to few channels.
/// Where the CPU has AVX-512 (or AVX2 + FMA) the GEMMs give way to CPareKernels' register-blocked kernel, which
/// sums all taps and channels of a 4-channel × 64-column block before storing it (see `directAvailable`),
/// and strided convolutions take the same path through phase planes (see `Layout`).
enum ShiftedTaps {
    /// Whether `forward` takes this path: an undilated, single-group conv with a kernel wider than
    /// 1×1 and at least 36 output pixels, and then either a tap kernel, AVX-512 or AVX2 (any stride, through
    /// phase planes; any batch: with fewer images than threads they share out the output channels;
    /// any channel count — RGB stems too, where it beats im2col: ResNet-50's 7×7 stride-2 stem
    /// 3.4 → 2.5 ms on one thread, VGG-16's first 3×3 3.8 → 2.6 ms) or, without it, one OpenBLAS
    /// GEMM per tap for stride 1, 8–64 channels and an image per thread (measured on CIFAR
    /// ResNet-56: faster than im2col at 16 channels on 32×32, slower at 32 on 16×16; a GEMM a
    /// few channels deep is not worth a call). `PARE_SHIFTED_TAPS=0` turns it off, to compare.
    static func applies(_ s: Conv2DShape, threads: Int) -> Bool {
        guard enabled && s.groups == 1 && s.dilationH == 1 && s.dilationW == 1
            && s.kernelH * s.kernelW > 1 && s.outHeight * s.outWidth >= 36 else { return false }
        if directAvailable { return true }
        return s.strideH == 1 && s.strideW == 1 && (8...64).contains(s.inChannels) && s.batch >= threads
    }

    /// Whether `Conv2DBackward` takes `weightGradient`: up to 64 channels and an image per thread,
    /// stride 1 (the per-tap GEMMs' domain, where 3×3 convs may run on a tap kernel instead) or any
    /// stride where a tap kernel takes the conv (through phase planes, as `forward`: ResNets'
    /// downsampling 3×3s, whose im2col and GEMM were 2% of a ResNet-20 step on Zen 1).
    static func appliesToWeightGradient(_ s: Conv2DShape, threads: Int) -> Bool {
        guard applies(s, threads: threads) && s.inChannels <= 64 && s.batch >= threads else { return false }
        return (s.strideH == 1 && s.strideW == 1) || directGradient(s)
    }

    static let enabled = ProcessInfo.processInfo.environment["PARE_SHIFTED_TAPS"] != "0"

    /// Whether the taps run on one of CPareKernels' register-blocked kernels (all taps and channels
    /// summed in registers) rather than one OpenBLAS GEMM per tap: on every CPU with AVX-512 or
    /// with AVX2 and FMA. Measured per layer (one thread, GFLOP/s, kernel vs OpenBLAS Haswell /
    /// AVX-512 kernels, on an AVX-512 CPU): 16 channels at 32×32 117 vs 81 / 101; 32 at 16×16 117
    /// vs 92 / 109; 64 at 8×8 117 vs 98 / 112 — the kernel runs at that CPU's FMA peak (115).
    static var directAvailable: Bool { kernel != nil }

    /// The instruction set of the tap kernels that run. `PARE_DIRECT_TAPS=0` turns them off and
    /// `PARE_DIRECT_TAPS=avx2` picks the AVX2 ones on an AVX-512 CPU, to compare (or test them).
    enum Kernel { case avx512, avx2 }
    static let kernel: Kernel? = {
        let isa = pare_taps_isa(), setting = ProcessInfo.processInfo.environment["PARE_DIRECT_TAPS"]
        if setting == "0" || isa == 0 { return nil }
        return isa == 2 && setting != "avx2" ? .avx512 : .avx2
    }()

    /// `pare_taps_forward` of the kernel that runs (see `kernel`).
    static func kernelForward(_ m: Int, _ c: Int, _ taps: Int, _ offsets: UnsafePointer<Int32>, _ packed: UnsafePointer<Float>,
                              _ padded: UnsafePointer<Float>, _ plane: Int, _ columns: Int, _ out: inout pare_taps_output) {
        if kernel == .avx512 {
            pare_taps_forward(Int32(m), Int32(c), Int32(taps), offsets, packed, padded, plane, Int32(columns), &out)
        } else {
            pare_taps_forward_avx2(Int32(m), Int32(c), Int32(taps), offsets, packed, padded, plane, Int32(columns), &out)
        }
    }

    /// Where each tap's input starts in the padded image, relative to the output pixel.
    static func tapOffsets(_ s: Conv2DShape) -> [Int32] {
        let l = layout(s), phaseRows = l.plane / (s.strideH * s.strideW * l.rowWidth)
        return (0..<(s.kernelH * s.kernelW)).map { t in
            let ky = t / s.kernelW, kx = t % s.kernelW
            let phase = (ky % s.strideH) * s.strideW + kx % s.strideW
            return Int32(phase * phaseRows * l.rowWidth + (ky / s.strideH) * l.rowWidth + kx / s.strideW)
        }
    }

    /// How an image is laid out for the taps. With stride 1, each channel is its zero-padded
    /// plane, Hp rows of Wp = W + max(padLeft, padRight) (`sharedColumns`). With strides
    /// (sh, sw) it is split into sh·sw phase planes of ⌈Hp/sh⌉ × ⌈Wp/sw⌉ — padded pixel (py, px)
    /// goes to phase (py mod sh, px mod sw) at (py / sh, px / sw) — so that tap (ky, kx) of output
    /// pixel (oy, ox) reads phase (ky mod sh, kx mod sw) at (oy + ky / sh, ox + kx / sw): a
    /// stride-1 read again, and the same kernel serves strided convolutions (ResNets'
    /// downsampling 3×3s).
    struct Layout {
        /// Floats per output row in the product (and per row of a phase plane).
        let rowWidth: Int
        /// Floats per channel: all its phase planes.
        let plane: Int
        /// Floats one worker needs: the image's planes, `slack`, and the product on the row width.
        let perWorker: Int
    }

    /// Zeroed floats after an image's last plane: the last tap reads up to kW − 1 past it, and the
    /// AVX2 kernel's last vector of a row up to 7 more (whole vectors: a masked load costs a
    /// quarter of the kernel's speed on 7×7 maps on Zen 1).
    static func slack(_ s: Conv2DShape) -> Int { s.kernelW + 8 }

    static func layout(_ s: Conv2DShape) -> Layout {
        let hp = s.height + s.padTop + s.padBottom, wp = s.width + s.padLeft + s.padRight
        let width: Int, plane: Int
        if s.strideH == 1 && s.strideW == 1 {
            // Consecutive rows share their zero columns (see `sharedColumns`), and the first row's
            // left padding is the end of the top padding rows, so padLeft floats close the plane.
            width = max(s.width + sharedColumns(s), s.outWidth)
            plane = hp * width + s.padLeft
        } else {
            let rows = (hp + s.strideH - 1) / s.strideH
            width = (wp + s.strideW - 1) / s.strideW
            plane = s.strideH * s.strideW * rows * width
        }
        return Layout(rowWidth: width, plane: plane,
                      perWorker: s.inChannels * plane + slack(s) + s.outChannels * s.outHeight * width)
    }

    /// Zero columns between two image rows of a stride-1 plane. One run serves as the right
    /// padding of the row before it and the left padding of the row after (a tap reaching left of
    /// pixel 0 reads the end of the previous row's run), so it needs the larger of the two pads,
    /// not their sum: a 3×3 conv computes W + 1 columns per output row instead of W + 2, a tenth
    /// less work at 8×8 (the CIFAR ResNets' last stage) and a twentieth at 16×16.
    static func sharedColumns(_ s: Conv2DShape) -> Int { max(s.padLeft, s.padRight) }

    /// Writes one image's channels into the interior of its zero-bordered planes (see `Layout`).
    /// With `zeroing`, each channel's planes are cleared first (while they are in cache), so the
    /// caller need not clear the whole block beforehand; otherwise the borders must already be zero.
    static func copyInterior(_ s: Conv2DShape, image: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>,
                             channels: Range<Int>? = nil, zeroing: Bool = false) {
        let l = layout(s), phasePlane = l.plane / (s.strideH * s.strideW)
        for ch in channels ?? 0..<s.inChannels {
            let src = image + ch * s.height * s.width, planes = padded + ch * l.plane
            if zeroing { planes.update(repeating: 0, count: l.plane) }
            for iy in 0..<s.height {
                let py = iy + s.padTop, line = src + iy * s.width
                let rowBase = planes + (py % s.strideH) * s.strideW * phasePlane + (py / s.strideH) * l.rowWidth
                if s.strideW == 1 {
                    (rowBase + s.padLeft).update(from: line, count: s.width)
                    continue
                }
                // One phase column at a time: every stride-th input pixel, stored contiguously.
                for phase in 0..<s.strideW {
                    let first = ((phase - s.padLeft) % s.strideW + s.strideW) % s.strideW
                    guard first < s.width else { continue }
                    let dst = rowBase + phase * phasePlane + (first + s.padLeft) / s.strideW
                    for k in 0..<((s.width - first + s.strideW - 1) / s.strideW) { dst[k] = line[first + k * s.strideW] }
                }
            }
        }
    }

    static func scratchCount(_ s: Conv2DShape, threads: Int) -> Int {
        let taps = s.kernelH * s.kernelW * s.outChannels * s.inChannels + threads * layout(s).perWorker
        return WinogradTaps.applies(s, threads: threads) ? max(taps, WinogradTaps.scratchCount(s, threads: threads)) : taps
    }

    /// Moves one image's products (rows `wp` apart: `Layout.rowWidth`) into the N×M×OH×OW output
    /// through the epilogue (bias, residual, clamp) — or tells the tap kernel where to do
    /// that itself, as it stores its sums (no product pass: 4% of a ResNet-20 training step).
    struct ProductRows: @unchecked Sendable {
        let s: Conv2DShape, y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?
        let clamp: Clamp, wp: Int

        func kernelOutput(image n: Int, firstChannel first: Int) -> pare_taps_output {
            let outPlane = s.outHeight * s.outWidth, offset = (n * s.outChannels + first) * outPlane
            return pare_taps_output(y: y + offset, out_plane: outPlane, row_width: Int32(wp), out_width: Int32(s.outWidth),
                                    bias: bias.map { $0 + first }, residual: residual.map { $0 + offset }, lo: clamp.lo, hi: clamp.hi)
        }

        func write(image n: Int, channels: Range<Int>, from product: UnsafePointer<Float>) {
            let m = s.outChannels, oh = s.outHeight, ow = s.outWidth, columns = oh * wp
            for o in channels {
                for oy in 0..<oh {
                    let offset = ((n * m + o) * oh + oy) * ow
                    Epilogue.row(y + offset, from: product + o * columns + oy * wp, count: ow, add: bias?[o] ?? 0,
                                 residual: residual.map { $0 + offset }, clamp)
                }
            }
        }
    }

    /// The weights as the direct kernel reads them, for callers that keep them across calls.
    static func packWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>) -> [Float] {
        let taps = s.kernelH * s.kernelW
        var packed = [Float](repeating: 0, count: pare_taps_packed_count(Int32(s.outChannels), Int32(s.inChannels), Int32(taps)))
        packed.withUnsafeMutableBufferPointer { pare_taps_pack(Int32(s.outChannels), Int32(s.inChannels), Int32(taps), w, $0.baseAddress!) }
        return packed
    }

    /// `packed`: the weights as `packWeights` leaves them, when the caller keeps them across calls
    /// (inference); otherwise the direct kernel packs them into `scratch` on every call.
    static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp,
                        residual: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool?,
                        direct: Bool? = nil, packed: UnsafePointer<Float>? = nil) {
        if direct != false && WinogradTaps.applies(s, threads: pool?.threadCount ?? 1) {
            WinogradTaps.forward(s, input: x, weight: w, bias: bias, output: y, clamp: clamp, residual: residual, scratch: scratch,
                                 pool: pool)
            return
        }
        let taps = s.kernelH * s.kernelW, m = s.outChannels, c = s.inChannels
        let l = layout(s), wp = l.rowWidth, plane = l.plane, perWorker = l.perWorker
        let oh = s.outHeight, columns = oh * wp
        let direct = direct ?? directAvailable, offsets = tapOffsets(s)
        if direct {
            if packed == nil { pare_taps_pack(Int32(m), Int32(c), Int32(taps), w, scratch) }
        } else {
            // W[m, c, tap] → [tap][m][c], so each tap's weights are an M × C matrix.
            for o in 0..<m {
                for i in 0..<c {
                    for t in 0..<taps { scratch[(t * m + o) * c + i] = w[(o * c + i) * taps + t] }
                }
            }
        }
        let threads = pool?.threadCount ?? 1
        nonisolated(unsafe) let x = x, scratch = scratch, weights = direct ? packed ?? UnsafePointer(scratch) : UnsafePointer(scratch)
        let epilogue = ProductRows(s: s, y: y, bias: bias, residual: residual, clamp: clamp, wp: wp)
        if direct && s.batch < threads, let pool {
            // Fewer images than threads (inference on one image): the threads share out each
            // image's output channels, in blocks of four (the kernel's register block).
            nonisolated(unsafe) let padded = scratch + taps * m * c
            (padded + c * plane).update(repeating: 0, count: slack(s))
            let blocks = (m + 3) / 4
            for n in 0..<s.batch {
                // The copy is shared out too (ResNet-50's first strided 3×3 on two threads:
                // 2.3–2.4 ms with it serial, 1.5–1.9 ms shared).
                nonisolated(unsafe) let image = x + n * c * s.height * s.width
                pool.parallelRanges(c) { channels in copyInterior(s, image: image, into: padded, channels: channels, zeroing: true) }
                pool.parallelFor(threads) { worker in
                    let share = WorkerPool.evenShare(worker, of: blocks, parts: threads)
                    let first = share.lowerBound * 4, end = min(m, share.upperBound * 4)
                    guard first < end else { return }
                    var into = epilogue.kernelOutput(image: n, firstChannel: first)
                    kernelForward(end - first, c, taps, offsets, weights + first * c * taps, padded, plane, columns, &into)
                }
            }
            return
        }
        // Images go to whichever thread is free (each image's output is its own, so who computes
        // it changes nothing); a thread that finds none left never touches its buffer.
        let images = WorkQueue(count: s.batch)
        let work: @Sendable (Int) -> Void = { worker in
            var next = images.take()
            guard next != nil else { return }
            let padded = scratch + taps * m * c + worker * perWorker
            let product = padded + c * plane + slack(s)
            // Borders (and the slack) stay zero; each image overwrites only the interior.
            padded.update(repeating: 0, count: c * plane + slack(s))
            while let n = next {
                copyInterior(s, image: x + n * c * s.height * s.width, into: padded)
                if direct {
                    var into = epilogue.kernelOutput(image: n, firstChannel: 0)
                    kernelForward(m, c, taps, offsets, weights, padded, plane, columns, &into)
                } else {
                    for t in 0..<taps {
                        Gemm.sgemm(m: m, n: columns, k: c, a: weights + t * m * c, lda: c, b: padded + Int(offsets[t]),
                                   ldb: plane, beta: t == 0 ? 0 : 1, c: product, ldc: columns)
                    }
                    epilogue.write(image: n, channels: 0..<m, from: product)
                }
                next = images.take()
            }
        }
        if let pool, threads > 1 { pool.parallelFor(threads, work) } else { work(0) }
    }
}
