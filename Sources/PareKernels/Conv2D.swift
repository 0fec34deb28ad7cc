/// The geometry of a 2-D convolution over NCHW tensors (ONNX Conv: pads begin/end per axis,
/// strides, dilations, groups), with the output extents it implies.
public struct Conv2DShape: Sendable, Equatable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernelH: Int, kernelW: Int
    public var strideH = 1, strideW = 1, dilationH = 1, dilationW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var groups = 1

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
    }

    public var outHeight: Int { (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outWidth: Int { (width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    /// Input channels each output channel reads (the weight's axis 1).
    public var channelsPerGroup: Int { inChannels / groups }

    /// Why these numbers cannot describe a convolution, or nil when they can.
    public var problem: String? {
        if [batch, inChannels, height, width, outChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, groups]
            .contains(where: { $0 < 1 }) { return "every extent, stride, dilation and group count must be positive" }
        if [padTop, padLeft, padBottom, padRight].contains(where: { $0 < 0 }) { return "pads must not be negative" }
        if inChannels % groups != 0 || outChannels % groups != 0 { return "channels must be divisible by the group count" }
        if outHeight < 1 || outWidth < 1 { return "the kernel does not fit the padded input" }
        return nil
    }
}

/// An activation folded into a kernel's epilogue: every output is clamped to lo…hi
/// (ReLU is 0…∞, ReLU6 0…6, none −∞…∞).
public struct Clamp: Sendable, Equatable {
    public var lo: Float, hi: Float
    public init(lo: Float, hi: Float) { self.lo = lo; self.hi = hi }
    public static let none = Clamp(lo: -.infinity, hi: .infinity)
    public static let relu = Clamp(lo: 0, hi: .infinity)
    public var isNone: Bool { self == .none }
}

/// 2-D convolution, y = clamp(conv(x, w) + b), NCHW with weights [M, C/groups, kH, kW].
///
/// Depthwise convs (one input channel per group) run directly, since their GEMMs would have one
/// row. Everything else is a GEMM per image and group, W[M×K] · columns[K×pixels], where the
/// columns are the input itself for a 1×1 stride-1 unpadded conv and its im2col lowering
/// otherwise. The pixels are cut into tiles whose column block fits in L2; each thread lowers and
/// multiplies its own tiles (OpenBLAS runs single-threaded inside) and adds bias and activation
/// while the tile is hot. When there are too few tiles to share (late, small layers), the
/// columns are lowered once and the threads split the output channels instead.
/// `reference` is the definition, in Double.
public enum Conv2D {
    /// Columns per tile: a K×T float block of about 768 KiB (within L2), at least 256 wide —
    /// OpenBLAS serializes concurrent calls narrower than about 128 columns (measured here:
    /// M64·N128·K576 runs no faster on two threads than on one; N256 runs 1.7× faster).
    /// The tile count per image is then rounded up to a multiple of the thread count, so the
    /// static split gives every thread the same work.
    ///
    /// A pointwise conv lowers nothing, so it takes one tile per thread that shares the image:
    /// OpenBLAS blocks the call for its caches itself, and narrower calls only add packing
    /// (ResNet-50's 56×56 1×1 convs, one thread: 1.60 → 1.34 ms with one call instead of two).
    static func tileWidth(_ s: Conv2DShape, threads: Int) -> Int {
        let k = s.channelsPerGroup * s.kernelH * s.kernelW
        let pixels = s.outHeight * s.outWidth
        let sharing = threads > 1 && s.batch * s.groups < threads ? threads : 1
        let t = isPointwise(s) ? max(min(pixels, 256), (pixels + sharing - 1) / sharing)
            : min(pixels, max(256, (196_608 / max(k, 1) + 15) / 16 * 16))
        var tiles = (pixels + t - 1) / t
        if threads > 1 && s.batch * s.groups < threads && tiles >= threads {
            tiles = (tiles + threads - 1) / threads * threads
        }
        return (pixels + tiles - 1) / tiles
    }

    static func isPointwise(_ s: Conv2DShape) -> Bool {
        s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1
            && s.padTop == 0 && s.padLeft == 0 && s.padBottom == 0 && s.padRight == 0
    }

    /// Floats of scratch `forward` needs with `threads` threads.
    public static func scratchCount(_ s: Conv2DShape, threads: Int = 1) -> Int {
        let k = s.channelsPerGroup * s.kernelH * s.kernelW, m = s.outChannels / s.groups
        let batched = threads * (k + m) * imagesPerBlock(s) * s.outHeight * s.outWidth
        let shifted = ShiftedTaps.applies(s, threads: threads) ? ShiftedTaps.scratchCount(s, threads: threads) : 0
        let pointwise = PointwiseConv.applies(s) ? PointwiseConv.scratchCount(s) : 0
        return max(threads * k * tileWidth(s, threads: threads), k * s.outHeight * s.outWidth, batched, shifted, pointwise)
    }

    /// Images per GEMM for a batch of small images: one image's column matrix is too narrow for
    /// an efficient GEMM (a 28×28 layer with 9 rows costs more in call overhead than in
    /// arithmetic), so several images share one call, with columns and output block within about
    /// 768 KiB. 1 when images are large enough on their own.
    static func imagesPerBlock(_ s: Conv2DShape) -> Int {
        let pixels = s.outHeight * s.outWidth
        guard s.batch > 1, pixels < 1024 else { return 1 }
        let k = s.channelsPerGroup * s.kernelH * s.kernelW, m = s.outChannels / s.groups
        return max(1, min(s.batch, 196_608 / max(1, (k + m) * pixels)))
    }

    /// Which of CPareKernels' register-blocked conv kernels run on this CPU (for reports).
    public static var kernelDescription: String {
        switch ShiftedTaps.kernel {
        case .avx512?: (PointwiseConv.enabled ? "AVX-512 (taps, pointwise" : "AVX-512 (taps")
            + (WinogradTaps.available ? ", fused Winograd)" : ")")
        case .avx2?: WinogradTaps.available ? "AVX2 + FMA (taps, fused Winograd)" : "AVX2 + FMA (taps)"
        case nil: "none (OpenBLAS GEMMs)"
        }
    }

    /// Whether `forward` runs this shape on one of CPareKernels' kernels (shifted taps, pointwise),
    /// which reorder the weights on every call unless given them as `packWeights` returns them
    /// (`packedWeights`). A caller whose weights stay fixed (inference) packs once: for a
    /// 512-channel 3×3 layer on 7×7 images, reordering costs about as much as the convolution.
    public static func usesPackedWeights(_ s: Conv2DShape, threads: Int) -> Bool {
        if PointwiseConv.applies(s) { return true }
        return !(s.groups > 1 && s.groups == s.inChannels) && ShiftedTaps.applies(s, threads: threads) && ShiftedTaps.directAvailable
    }

    /// The weights [M, C, kH, kW] reordered for the kernel `forward` runs (see `usesPackedWeights`).
    public static func packWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>) -> [Float] {
        PointwiseConv.applies(s) ? PointwiseConv.packWeights(s, w) : ShiftedTaps.packWeights(s, w)
    }

    /// `scratch` (at least `scratchCount` floats) is reused across calls when given, because a fresh
    /// multi-megabyte block per call costs page faults comparable to the GEMM of a small layer.
    /// `residual`, shaped like the output, is added before the clamp: y = clamp(conv + b + residual)
    /// (a ResNet block's shortcut, added while the output is still in cache).
    public static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp = .none,
                               residual: UnsafePointer<Float>? = nil,
                               scratch: UnsafeMutablePointer<Float>? = nil, pool: WorkerPool? = nil,
                               packedWeights: UnsafePointer<Float>? = nil) {
        precondition(s.problem == nil, "Conv2D: \(s.problem ?? "")")
        let threads = pool?.threadCount ?? 1
        nonisolated(unsafe) let residual = residual
        if s.groups > 1 && s.groups == s.inChannels {
            depthwise(s, x, w, bias, y, clamp, residual, pool: pool)
            return
        }
        let owned = scratch == nil ? UnsafeMutablePointer<Float>.allocate(capacity: scratchCount(s, threads: threads)) : nil
        defer { owned?.deallocate() }
        nonisolated(unsafe) let columns = scratch ?? owned!
        if PointwiseConv.applies(s) {
            PointwiseConv.forward(s, input: x, weight: w, bias: bias, output: y, clamp: clamp, residual: residual, scratch: columns,
                                  pool: pool, packed: packedWeights)
            return
        }
        if ShiftedTaps.applies(s, threads: threads) {
            ShiftedTaps.forward(s, input: x, weight: w, bias: bias, output: y, clamp: clamp, residual: residual, scratch: columns, pool: pool,
                                packed: usesPackedWeights(s, threads: threads) ? packedWeights : nil)
            return
        }
        nonisolated(unsafe) let x = x, w = w, y = y, bias = bias
        let outPlane = s.outHeight * s.outWidth
        let perBlock = imagesPerBlock(s)
        if perBlock > 1 {
            let blocksPerGroup = (s.batch + perBlock - 1) / perBlock, blocks = blocksPerGroup * s.groups
            let k = s.channelsPerGroup * s.kernelH * s.kernelW, m = s.outChannels / s.groups
            // Blocks go to whichever thread is free (see `WorkQueue`); each writes only its own output.
            let queue = WorkQueue(count: blocks)
            let work: @Sendable (Int) -> Void = { worker in
                let slot = columns + worker * (k + m) * perBlock * outPlane
                while let block = queue.take() {
                    let g = block / blocksPerGroup, first = (block % blocksPerGroup) * perBlock
                    imageBlock(s, x, w, bias, y, clamp, residual, images: first..<min(s.batch, first + perBlock), g: g, slot: slot)
                }
            }
            if let pool, threads > 1 { pool.parallelFor(threads, work) } else { work(0) }
            return
        }
        let tile = tileWidth(s, threads: threads)
        let tilesPerPlane = (outPlane + tile - 1) / tile
        let jobs = s.batch * s.groups * tilesPerPlane
        if threads > 1 && jobs < threads {
            for n in 0..<s.batch {
                for g in 0..<s.groups { splitChannels(s, x, w, bias, y, clamp, residual, n: n, g: g, columns: columns, pool: pool!) }
            }
            return
        }
        let k = s.channelsPerGroup * s.kernelH * s.kernelW
        if let pool, threads > 1 && s.batch * s.groups == 1 {
            splitPixels(s, x, w, bias, y, clamp, residual, tile: tile, columns: columns, pool: pool)
            return
        }
        let queue = WorkQueue(count: jobs)
        let work: @Sendable (Int) -> Void = { worker in
            let slot = columns + worker * k * tile
            while let job = queue.take() {
                let t = job % tilesPerPlane, ng = job / tilesPerPlane
                let first = t * tile
                tileProduct(s, x, w, bias, y, clamp, residual, n: ng / s.groups, g: ng % s.groups,
                            pixels: first..<min(outPlane, first + tile), slot: slot)
            }
        }
        if let pool, threads > 1 { pool.parallelFor(threads, work) } else { work(0) }
    }

    /// One image, one group, several threads: each thread takes one span of output pixels (the
    /// caller's longer by the pool's learnt head start) and runs it in tiles of about `tile` pixels. A
    /// span's columns go to the scratch at k × its first pixel, so a longer span still fits.
    private static func splitPixels(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                    _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                                    _ residual: UnsafePointer<Float>?,
                                    tile: Int, columns: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let k = s.channelsPerGroup * s.kernelH * s.kernelW
        let perPixel = Double(2 * s.outChannels * k) * Gemm.nanosecondsPerFlop
        nonisolated(unsafe) let x = x, w = w, y = y, bias = bias, residual = residual, columns = columns
        pool.parallelShares(of: s.outHeight * s.outWidth, unitNanoseconds: perPixel, align: 16) { span in
            let pieces = max(1, Int((Double(span.count) / Double(tile)).rounded()))
            for piece in 0..<pieces {
                let first = span.lowerBound + span.count * piece / pieces
                let end = span.lowerBound + span.count * (piece + 1) / pieces
                if first < end {
                    tileProduct(s, x, w, bias, y, clamp, residual, n: 0, g: 0, pixels: first..<end, slot: columns + k * span.lowerBound)
                }
            }
        }
    }

    /// One tile of one image and group: lower (unless pointwise), multiply, bias, residual, clamp.
    private static func tileProduct(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                    _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                                    _ residual: UnsafePointer<Float>?,
                                    n: Int, g: Int, pixels: Range<Int>, slot: UnsafeMutablePointer<Float>) {
        let outPlane = s.outHeight * s.outWidth, inPlane = s.height * s.width
        let mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        let k = cPerGroup * s.kernelH * s.kernelW
        let image = x + (n * s.inChannels + g * cPerGroup) * inPlane
        let out = y + (n * s.outChannels + g * mPerGroup) * outPlane + pixels.lowerBound
        if isPointwise(s) {
            Gemm.sgemm(m: mPerGroup, n: pixels.count, k: k, a: w + g * mPerGroup * k, lda: k,
                       b: image + pixels.lowerBound, ldb: inPlane, c: out, ldc: outPlane)
        } else {
            lowerChannels(s, image, 0..<cPerGroup, pixels, slot)
            Gemm.sgemm(m: mPerGroup, n: pixels.count, k: k, a: w + g * mPerGroup * k, lda: k,
                       b: slot, ldb: pixels.count, c: out, ldc: outPlane)
        }
        epilogue(out, rows: mPerGroup, columns: pixels.count, stride: outPlane, bias: bias.map { $0 + g * mPerGroup }, clamp,
                 residual: residual.map { $0 + (out - y) })
    }

    /// Several images of one group in one GEMM: each image's columns side by side, the product
    /// copied back image by image into NCHW with bias, residual and clamp on the way.
    private static func imageBlock(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                   _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                                   _ residual: UnsafePointer<Float>?,
                                   images: Range<Int>, g: Int, slot: UnsafeMutablePointer<Float>) {
        let outPlane = s.outHeight * s.outWidth, inPlane = s.height * s.width
        let mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        let k = cPerGroup * s.kernelH * s.kernelW
        let width = images.count * outPlane
        let columns = slot, product = slot + k * width
        for (j, n) in images.enumerated() {
            lowerChannels(s, x + (n * s.inChannels + g * cPerGroup) * inPlane, 0..<cPerGroup, 0..<outPlane,
                          columns + j * outPlane, rowStride: width)
        }
        Gemm.sgemm(m: mPerGroup, n: width, k: k, a: w + g * mPerGroup * k, lda: k, b: columns, ldb: width,
                   c: product, ldc: width)
        for (j, n) in images.enumerated() {
            for m in 0..<mPerGroup {
                let offset = (n * s.outChannels + g * mPerGroup + m) * outPlane
                Epilogue.row(y + offset, from: product + m * width + j * outPlane, count: outPlane,
                             add: bias?[g * mPerGroup + m] ?? 0, residual: residual.map { $0 + offset }, clamp)
            }
        }
    }

    /// Few pixels, many channels: lower the whole image once, then split the output channels.
    private static func splitChannels(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                      _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                                      _ residual: UnsafePointer<Float>?,
                                      n: Int, g: Int, columns: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let outPlane = s.outHeight * s.outWidth, inPlane = s.height * s.width
        let mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        let k = cPerGroup * s.kernelH * s.kernelW
        nonisolated(unsafe) let image = x + (n * s.inChannels + g * cPerGroup) * inPlane
        nonisolated(unsafe) let out = y + (n * s.outChannels + g * mPerGroup) * outPlane
        nonisolated(unsafe) let shortcut = residual.map { $0 + (n * s.outChannels + g * mPerGroup) * outPlane }
        nonisolated(unsafe) let weights = w + g * mPerGroup * k, bias = bias.map { $0 + g * mPerGroup }
        nonisolated(unsafe) let columns = columns
        let pointwise = isPointwise(s)
        if !pointwise {
            pool.parallelRanges(cPerGroup) { range in lowerChannels(s, image, range, 0..<outPlane, columns) }
        }
        let b: UnsafePointer<Float> = pointwise ? image : UnsafePointer(columns)
        nonisolated(unsafe) let source = b
        // Exactly one row block per thread: every GEMM call packs the whole column matrix again.
        pool.parallelShares(of: mPerGroup, unitNanoseconds: Double(2 * outPlane * k) * Gemm.nanosecondsPerFlop, align: 4) { rows in
            Gemm.sgemm(m: rows.count, n: outPlane, k: k, a: weights + rows.lowerBound * k, lda: k, b: source,
                       ldb: pointwise ? inPlane : outPlane, c: out + rows.lowerBound * outPlane, ldc: outPlane)
            epilogue(out + rows.lowerBound * outPlane, rows: rows.count, columns: outPlane, stride: outPlane,
                     bias: bias.map { $0 + rows.lowerBound }, clamp, residual: shortcut.map { $0 + rows.lowerBound * outPlane })
        }
    }

    /// Adds each row's bias (and the residual, laid out like `c`) and clamps, over a rows × columns
    /// block with row stride `stride`.
    static func epilogue(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int,
                         bias: UnsafePointer<Float>?, _ clamp: Clamp, residual: UnsafePointer<Float>? = nil) {
        if bias == nil && clamp.isNone && residual == nil { return }
        for r in 0..<rows {
            let line = c + r * stride
            Epilogue.row(line, from: line, count: columns, add: bias?[r] ?? 0, residual: residual.map { $0 + r * stride }, clamp)
        }
    }

    /// Rows (c, ky, kx) of the column matrix for output pixels `pixels` (row length
    /// `pixels.count`): the input value each kernel tap sees, 0 in padding.
    static func lowerChannels(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ channels: Range<Int>, _ pixels: Range<Int>,
                              _ columns: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let ow = s.outWidth, width = rowStride ?? pixels.count
        for c in channels {
            for ky in 0..<s.kernelH {
                for kx in 0..<s.kernelW {
                    let row = (c * s.kernelH + ky) * s.kernelW + kx
                    let rowStart = columns + row * width
                    // Outputs whose tap lands inside an input row: [first, end); zeros either side.
                    let shift = kx * s.dilationW - s.padLeft
                    let first = min(ow, shift >= 0 ? 0 : (-shift + s.strideW - 1) / s.strideW)
                    let end = max(first, min(ow, s.width - shift <= 0 ? 0 : (s.width - shift - 1) / s.strideW + 1))
                    if s.strideH == 1 && s.strideW == 1 && ow == s.width {
                        shiftedPlane(s, x + c * s.height * s.width, ky: ky, shift: shift, first: first, end: end, pixels, rowStart)
                        continue
                    }
                    var p = pixels.lowerBound
                    var oy = p / ow, ox0 = p % ow  // then row by row, without a division per row
                    while p < pixels.upperBound {
                        defer { oy += 1; ox0 = 0 }
                        let ox1 = min(ow, ox0 + pixels.upperBound - p)
                        let line = rowStart + (p - pixels.lowerBound) - ox0  // indexed by ox
                        let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                        if iy < 0 || iy >= s.height {
                            (line + ox0).update(repeating: 0, count: ox1 - ox0)
                        } else {
                            let src = x + (c * s.height + iy) * s.width
                            let a = max(ox0, first), b = min(ox1, end)
                            if a > ox0 { (line + ox0).update(repeating: 0, count: min(a, ox1) - ox0) }
                            if a < b {
                                if s.strideW == 1 {
                                    (line + a).update(from: src + a + shift, count: b - a)
                                } else {
                                    gatherStrided(line, src, ox: a..<b, stride: s.strideW, shift: shift, width: s.width)
                                }
                            }
                            let z = max(b, ox0)
                            if z < ox1 { (line + z).update(repeating: 0, count: ox1 - z) }
                        }
                        p += ox1 - ox0
                    }
                }
            }
        }
    }

    /// line[ox] = src[ox·stride + shift] for ox in `columns`. Stride 2 (every downsampling layer)
    /// takes eight outputs per step from sixteen neighbours, as far as those stay inside the
    /// row; the element-by-element loop compiled to one strided load per value (stride-2 layers
    /// spent a third of their time lowering).
    @inline(__always)
    static func gatherStrided(_ line: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, ox columns: Range<Int>,
                              stride: Int, shift: Int, width: Int) {
        var ox = columns.lowerBound
        if stride == 2 {
            while ox + 8 <= columns.upperBound && 2 * ox + shift + 16 <= width {
                let pairs = UnsafeRawPointer(src + 2 * ox + shift).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(line + ox).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
                ox += 8
            }
        }
        var ix = ox * stride + shift
        while ox < columns.upperBound { line[ox] = src[ix]; ix += stride; ox += 1 }
    }

    /// One column row when stride is 1 and the output is as wide as the input: output pixel p
    /// reads input element p + delta, so the row is one copy of the shifted plane, with zeros
    /// written over the columns whose tap falls off the left or right edge and over the rows
    /// whose tap falls off the top or bottom. Small images (CIFAR's 32×32 down to 8×8) otherwise
    /// spend more on a copy call per output row than on the bytes.
    private static func shiftedPlane(_ s: Conv2DShape, _ plane: UnsafePointer<Float>, ky: Int, shift: Int, first: Int, end: Int,
                                     _ pixels: Range<Int>, _ line: UnsafeMutablePointer<Float>) {
        let ow = s.outWidth, oh = s.outHeight, base = pixels.lowerBound
        let rowShift = ky * s.dilationH - s.padTop  // iy = oy + rowShift
        let oyLo = min(oh, max(0, -rowShift)), oyHi = max(oyLo, min(oh, s.height - rowShift))
        // Pixels of rows whose tap is inside the input, within the requested range.
        let pLo = max(base, oyLo * ow), pHi = min(pixels.upperBound, oyHi * ow)
        guard pLo < pHi, first < end else {
            line.update(repeating: 0, count: pixels.count)
            return
        }
        if pLo > base { line.update(repeating: 0, count: pLo - base) }
        if pHi < pixels.upperBound { (line + (pHi - base)).update(repeating: 0, count: pixels.upperBound - pHi) }
        // Copy from the first in-range column of the first row to the last of the last row: every
        // source index in between lies inside the plane.
        let oyFirst = pLo / ow, oyLast = (pHi - 1) / ow
        let copyLo = max(pLo, oyFirst * ow + first), copyHi = min(pHi, oyLast * ow + end)
        let delta = rowShift * s.width + shift
        if copyLo < copyHi { (line + (copyLo - base)).update(from: plane + copyLo + delta, count: copyHi - copyLo) }
        // Zero the edge columns (and whatever the copy did not reach at the ends).
        if copyLo > pLo { (line + (pLo - base)).update(repeating: 0, count: copyLo - pLo) }
        if copyHi < pHi { (line + (copyHi - base)).update(repeating: 0, count: pHi - copyHi) }
        guard first > 0 || end < ow else { return }
        for oy in oyFirst...oyLast {
            let rowLo = max(pLo, oy * ow), rowHi = min(pHi, (oy + 1) * ow)
            var p = rowLo
            while p < min(rowHi, oy * ow + first) { line[p - base] = 0; p += 1 }
            p = max(rowLo, oy * ow + end)
            while p < rowHi { line[p - base] = 0; p += 1 }
        }
    }

    /// One input channel per group (with an optional depth multiplier): direct loops, parallel
    /// over planes, bias and clamp applied per plane.
    static func depthwise(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                          _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                          _ residual: UnsafePointer<Float>?, pool: WorkerPool?) {
        nonisolated(unsafe) let x = x, w = w, y = y, bias = bias, residual = residual
        let body: @Sendable (Range<Int>) -> Void = { planes in depthwisePlanes(s, x, w, bias, y, clamp, residual, planes) }
        if let pool, pool.threadCount > 1 { pool.parallelRanges(s.batch * s.outChannels, body) } else { body(0..<(s.batch * s.outChannels)) }
    }

    private static func depthwisePlanes(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                        _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ clamp: Clamp,
                                        _ residual: UnsafePointer<Float>?, _ planes: Range<Int>) {
        let oh = s.outHeight, ow = s.outWidth, multiplier = s.outChannels / s.groups
        for plane in planes {
            let n = plane / s.outChannels, m = plane % s.outChannels
            let src = x + (n * s.inChannels + m / multiplier) * s.height * s.width
            let taps = w + m * s.kernelH * s.kernelW
            let dst = y + plane * oh * ow
            // Tap by tap over whole output rows (as max pooling does): each (ky, kx) adds its
            // weight times the inputs it sees to the outputs whose tap lands inside the input.
            for oy in 0..<oh {
                let out = dst + oy * ow
                out.update(repeating: 0, count: ow)
                let y0 = oy * s.strideH - s.padTop
                for ky in Pool2D.tapRange(y0, s.kernelH, s.dilationH, s.height) {
                    let line = src + (y0 + ky * s.dilationH) * s.width
                    for kx in 0..<s.kernelW {
                        let weight = taps[ky * s.kernelW + kx]
                        let offset = kx * s.dilationW - s.padLeft
                        let columns = Pool2D.outputColumns(reading: offset, stride: s.strideW, width: s.width, outWidth: ow)
                        if s.strideW == 1 {
                            let input = line + offset
                            for ox in columns { out[ox] += weight * input[ox] }
                        } else {
                            for ox in columns { out[ox] += weight * line[ox * s.strideW + offset] }
                        }
                    }
                }
            }
            epilogue(dst, rows: 1, columns: oh * ow, stride: oh * ow, bias: bias.map { $0 + m }, clamp,
                     residual: residual.map { $0 + plane * oh * ow })
        }
    }

    /// The definition, accumulated in Double: what tests compare `forward` with.
    public static func reference(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth, mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        for n in 0..<s.batch {
            for m in 0..<s.outChannels {
                let g = m / mPerGroup
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc = Double(bias?[m] ?? 0)
                        for c in 0..<cPerGroup {
                            for ky in 0..<s.kernelH {
                                for kx in 0..<s.kernelW {
                                    let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                                    let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                                    guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                                    let xv = x[((n * s.inChannels + g * cPerGroup + c) * s.height + iy) * s.width + ix]
                                    let wv = w[((m * cPerGroup + c) * s.kernelH + ky) * s.kernelW + kx]
                                    acc += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[((n * s.outChannels + m) * oh + oy) * ow + ox] = Float(acc)
                    }
                }
            }
        }
    }
}
