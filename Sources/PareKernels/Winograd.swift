/// 3×3 stride-1 convolution by Winograd's minimal filtering, F(2×2, 3×3) or F(4×4, 3×3).
///
/// Each m×m block of outputs (m = 2 or 4) comes from an (m+2)×(m+2) input tile: the tile and the
/// filter are transformed (V = BᵀdB, U = GgGᵀ), the (m+2)² transformed positions become that many
/// independent GEMMs U_ξ[M×C] · V_ξ[C×tiles] on OpenBLAS, and AᵀmA folds each tile's products
/// back to m×m outputs. Multiplications per output fall from 9 to 4 (F2) or 2.25 (F4) per channel
/// pair; the transforms are a few additions per value. F4's larger constants cost some accuracy:
/// about 1e-6 relative on real layers, inside the engine's 1e-4 tolerance (tests check both).
public enum Winograd {
    /// Outputs per tile side.
    public enum Tile: Int, Sendable { case f2 = 2, f4 = 4 }

    /// Stride 1, dilation 1, 3×3, one group: what these transforms compute.
    public static func applies(_ s: Conv2DShape) -> Bool {
        s.kernelH == 3 && s.kernelW == 3 && s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 && s.dilationW == 1
            && s.groups == 1 && s.problem == nil
    }

    static func tiles(_ s: Conv2DShape, _ tile: Tile) -> (h: Int, w: Int, total: Int) {
        let m = tile.rawValue
        let th = (s.outHeight + m - 1) / m, tw = (s.outWidth + m - 1) / m
        return (th, tw, s.batch * th * tw)
    }

    static func positions(_ tile: Tile) -> Int { (tile.rawValue + 2) * (tile.rawValue + 2) }

    /// G·g for one column (or row) of three filter taps.
    static func filter1D(_ tile: Tile, _ g0: Float, _ g1: Float, _ g2: Float) -> [Float] {
        switch tile {
        case .f2: return [g0, (g0 + g1 + g2) * 0.5, (g0 - g1 + g2) * 0.5, g2]
        case .f4:
            return [g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6,
                    g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2]
        }
    }

    /// U = G·g·Gᵀ for every (output, input) channel pair, laid out [ξ][M][C] for the GEMMs.
    public static func transformWeights(_ w: UnsafePointer<Float>, outChannels m: Int, inChannels c: Int, tile: Tile) -> [Float] {
        let a = tile.rawValue + 2
        var u = [Float](repeating: 0, count: a * a * m * c)
        for o in 0..<m {
            for i in 0..<c {
                let g = w + (o * c + i) * 9
                let columns = (0..<3).map { filter1D(tile, g[$0], g[3 + $0], g[6 + $0]) }  // 3 × a
                for row in 0..<a {
                    let values = filter1D(tile, columns[0][row], columns[1][row], columns[2][row])
                    for col in 0..<a { u[((row * a + col) * m + o) * c + i] = values[col] }
                }
            }
        }
        return u
    }

    /// Floats of scratch `forward` needs: the transformed input and the GEMM products.
    public static func scratchCount(_ s: Conv2DShape, tile: Tile) -> Int {
        positions(tile) * (s.inChannels + s.outChannels) * tiles(s, tile).total
    }

    public static func forward(_ s: Conv2DShape, tile: Tile, input x: UnsafePointer<Float>, transformedWeights u: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp = .none,
                               scratch: UnsafeMutablePointer<Float>, pool: WorkerPool? = nil) {
        precondition(applies(s), "Winograd: not a 3×3 stride-1 single-group convolution")
        let (th, tw, total) = tiles(s, tile)
        let c = s.inChannels, m = s.outChannels, p = positions(tile)
        nonisolated(unsafe) let v = scratch, products = scratch + p * c * total
        nonisolated(unsafe) let x = x, u = u, y = y, bias = bias
        func run(_ count: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
            if let pool, pool.threadCount > 1 { pool.parallelRanges(count, body) } else { body(0..<count) }
        }
        run(s.batch * c) { range in
            for nc in range { inputTransform(s, tile, x, nc, th: th, tw: tw, total: total, into: v) }
        }
        let threads = pool?.threadCount ?? 1
        run(threads > 1 ? p : 1) { range in
            for xi in (threads > 1 ? range : 0..<p) {
                Gemm.sgemm(m: m, n: total, k: c, a: u + xi * m * c, lda: c, b: v + xi * c * total, ldb: total,
                           c: products + xi * m * total, ldc: total)
            }
        }
        run(s.batch * m) { range in
            for nm in range { outputTransform(s, tile, products, nm, th: th, tw: tw, total: total, bias: bias, clamp: clamp, into: y) }
        }
    }

    /// Bᵀ·d along one axis, for `count` independent lanes: `d` and `t` each hold a+... rows of
    /// `stride` floats; lane j of row k is d[k·stride + j·step].
    @inline(__always)
    static func inputStep(_ tile: Tile, _ d: UnsafePointer<Float>, _ dStride: Int, _ dStep: Int,
                          _ t: UnsafeMutablePointer<Float>, _ tStride: Int, _ count: Int) {
        switch tile {
        case .f2:
            for j in 0..<count {
                let q = d + j * dStep
                let d0 = q[0], d1 = q[dStride], d2 = q[2 * dStride], d3 = q[3 * dStride]
                t[j] = d0 - d2
                t[tStride + j] = d1 + d2
                t[2 * tStride + j] = d2 - d1
                t[3 * tStride + j] = d1 - d3
            }
        case .f4:
            for j in 0..<count {
                let q = d + j * dStep
                let d0 = q[0], d1 = q[dStride], d2 = q[2 * dStride], d3 = q[3 * dStride], d4 = q[4 * dStride], d5 = q[5 * dStride]
                t[j] = 4 * d0 - 5 * d2 + d4
                t[tStride + j] = -4 * d1 - 4 * d2 + d3 + d4
                t[2 * tStride + j] = 4 * d1 - 4 * d2 - d3 + d4
                t[3 * tStride + j] = -2 * d1 - d2 + 2 * d3 + d4
                t[4 * tStride + j] = 2 * d1 - d2 - 2 * d3 + d4
                t[5 * tStride + j] = 4 * d1 - 5 * d3 + d5
            }
        }
    }

    /// Aᵀ·m along one axis, for `count` lanes, with `add` added to every result.
    @inline(__always)
    static func outputStep(_ tile: Tile, _ q: UnsafePointer<Float>, _ qStride: Int, _ qStep: Int,
                           _ r: UnsafeMutablePointer<Float>, _ rStride: Int, _ rStep: Int, _ count: Int, add: Float, _ clamp: Clamp) {
        let lo = clamp.lo, hi = clamp.hi
        switch tile {
        case .f2:
            for j in 0..<count {
                let p = q + j * qStep, o = r + j * rStep
                let m0 = p[0], m1 = p[qStride], m2 = p[2 * qStride], m3 = p[3 * qStride]
                o[0] = min(max(m0 + m1 + m2 + add, lo), hi)
                o[rStride] = min(max(m1 - m2 - m3 + add, lo), hi)
            }
        case .f4:
            for j in 0..<count {
                let p = q + j * qStep, o = r + j * rStep
                let m0 = p[0], m1 = p[qStride], m2 = p[2 * qStride], m3 = p[3 * qStride], m4 = p[4 * qStride], m5 = p[5 * qStride]
                let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
                o[0] = min(max(m0 + s12 + s34 + add, lo), hi)
                o[rStride] = min(max(d12 + 2 * d34 + add, lo), hi)
                o[2 * rStride] = min(max(s12 + 4 * s34 + add, lo), hi)
                o[3 * rStride] = min(max(d12 + 8 * d34 + m5 + add, lo), hi)
            }
        }
    }

    /// V for one (image, channel): per tile row, the a input rows are combined once across the
    /// whole zero-padded width (Bᵀ·d), then each tile takes its a columns (·B) into the a² streams.
    private static func inputTransform(_ s: Conv2DShape, _ tile: Tile, _ x: UnsafePointer<Float>, _ nc: Int,
                                       th: Int, tw: Int, total: Int, into v: UnsafeMutablePointer<Float>) {
        let mSide = tile.rawValue, a = mSide + 2
        let n = nc / s.inChannels, ch = nc % s.inChannels
        let plane = x + nc * s.height * s.width
        let stride = s.inChannels * total
        let span = mSide * tw + 2
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * a * span) { buffer in
            let rows = buffer.baseAddress!, combined = rows + a * span
            for ty in 0..<th {
                let y0 = ty * mSide - s.padTop
                for i in 0..<a {
                    let dst = rows + i * span, iy = y0 + i
                    dst.update(repeating: 0, count: span)
                    guard iy >= 0 && iy < s.height else { continue }
                    let first = max(0, s.padLeft), last = min(span, s.width + s.padLeft)
                    if first < last { (dst + first).update(from: plane + iy * s.width + first - s.padLeft, count: last - first) }
                }
                inputStep(tile, rows, span, 1, combined, span, span)
                let tileRow = v + ch * total + (n * th + ty) * tw
                for i in 0..<a {
                    // Lane tx reads columns mSide·tx … mSide·tx + a − 1 of combined row i.
                    inputStep(tile, combined + i * span, 1, mSide, tileRow + (i * a) * stride, stride, tw)
                }
            }
        }
    }

    /// Y for one (image, output channel): per tile row, the a² product streams are read
    /// contiguously across the row's tiles and folded (Aᵀ·m·A) into m output rows.
    private static func outputTransform(_ s: Conv2DShape, _ tile: Tile, _ products: UnsafePointer<Float>, _ nm: Int,
                                        th: Int, tw: Int, total: Int, bias: UnsafePointer<Float>?, clamp: Clamp,
                                        into y: UnsafeMutablePointer<Float>) {
        let mSide = tile.rawValue, a = mSide + 2
        let n = nm / s.outChannels, o = nm % s.outChannels
        let oh = s.outHeight, ow = s.outWidth
        let plane = y + nm * oh * ow
        let stride = s.outChannels * total
        let b = bias?[o] ?? 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mSide * a * tw + mSide * (mSide * tw)) { buffer in
            let r = buffer.baseAddress!              // mSide × a rows of tw: Aᵀ·m
            let lines = r + mSide * a * tw           // mSide output rows, mSide·tw wide
            for ty in 0..<th {
                let q = products + o * total + (n * th + ty) * tw
                for j in 0..<a {
                    // rows i·a + j for i < mSide: fold the a streams of column j.
                    outputStep(tile, q + j * stride, a * stride, 1, r + j * tw, a * tw, 1, tw, add: 0, .none)
                }
                for i in 0..<mSide {
                    outputStep(tile, r + i * a * tw, tw, 1, lines + i * mSide * tw, 1, mSide, tw, add: b, clamp)
                }
                for i in 0..<mSide where ty * mSide + i < oh {
                    (plane + (ty * mSide + i) * ow).update(from: lines + i * mSide * tw, count: ow)
                }
            }
        }
    }
}
