/// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3).
///
/// Each 2×2 block of outputs is computed from a 4×4 input tile with 16 multiplications per
/// channel pair instead of 36: the tile and the filter are transformed (V = BᵀdB, U = GgGᵀ), the
/// 16 transformed positions become 16 independent GEMMs U_ξ[M×C] · V_ξ[C×tiles] on OpenBLAS, and
/// AᵀmA folds each tile's 16 products back to 2×2 outputs. That cuts the multiply work of these
/// layers — most of a ResNet — by 2.25×; the transforms are additions. Rounding differs from the
/// direct sum by a few ulps of the largest partial sum, far inside the engine's 1e-4 tolerance.
public enum Winograd {
    /// Stride 1, dilation 1, 3×3, one group: what F(2×2, 3×3) computes.
    public static func applies(_ s: Conv2DShape) -> Bool {
        s.kernelH == 3 && s.kernelW == 3 && s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 && s.dilationW == 1
            && s.groups == 1 && s.problem == nil
    }

    static func tiles(_ s: Conv2DShape) -> (h: Int, w: Int, total: Int) {
        let th = (s.outHeight + 1) / 2, tw = (s.outWidth + 1) / 2
        return (th, tw, s.batch * th * tw)
    }

    /// U = G·g·Gᵀ for every (output, input) channel pair, laid out [16][M][C] for the GEMMs.
    public static func transformWeights(_ w: UnsafePointer<Float>, outChannels m: Int, inChannels c: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * m * c)
        for o in 0..<m {
            for i in 0..<c {
                let g = w + (o * c + i) * 9
                var t = [Float](repeating: 0, count: 12)  // G·g, 4×3
                for col in 0..<3 {
                    let g0 = g[col], g1 = g[3 + col], g2 = g[6 + col]
                    t[col] = g0
                    t[3 + col] = (g0 + g1 + g2) * 0.5
                    t[6 + col] = (g0 - g1 + g2) * 0.5
                    t[9 + col] = g2
                }
                for row in 0..<4 {
                    let r0 = t[row * 3], r1 = t[row * 3 + 1], r2 = t[row * 3 + 2]
                    let values = [r0, (r0 + r1 + r2) * 0.5, (r0 - r1 + r2) * 0.5, r2]
                    for col in 0..<4 { u[((row * 4 + col) * m + o) * c + i] = values[col] }
                }
            }
        }
        return u
    }

    /// Floats of scratch `forward` needs: the transformed input and the 16 GEMM products.
    public static func scratchCount(_ s: Conv2DShape) -> Int {
        16 * (s.inChannels + s.outChannels) * tiles(s).total
    }

    public static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, transformedWeights u: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>, clamp: Clamp = .none,
                               scratch: UnsafeMutablePointer<Float>, pool: WorkerPool? = nil) {
        precondition(applies(s), "Winograd: not a 3×3 stride-1 single-group convolution")
        let (th, tw, total) = tiles(s)
        let c = s.inChannels, m = s.outChannels
        nonisolated(unsafe) let v = scratch, products = scratch + 16 * c * total
        nonisolated(unsafe) let x = x, u = u, y = y, bias = bias
        func run(_ count: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
            if let pool, pool.threadCount > 1 { pool.parallelRanges(count, body) } else { body(0..<count) }
        }
        // V[ξ][c][tile] = Bᵀ·d·B
        run(s.batch * c) { range in
            for nc in range { inputTransform(s, x, nc, th: th, tw: tw, total: total, into: v) }
        }
        // M_ξ = U_ξ · V_ξ
        let threads = pool?.threadCount ?? 1
        run(threads > 1 ? 16 : 1) { range in
            for xi in (threads > 1 ? range : 0..<16) {
                Gemm.sgemm(m: m, n: total, k: c, a: u + xi * m * c, lda: c, b: v + xi * c * total, ldb: total,
                           c: products + xi * m * total, ldc: total)
            }
        }
        // Y = Aᵀ·M·A, cropped, + bias, clamped
        run(s.batch * m) { range in
            for nm in range { outputTransform(s, products, nm, th: th, tw: tw, total: total, bias: bias, clamp: clamp, into: y) }
        }
    }

    /// V for one (image, channel): per tile row, the four input rows are combined once across the
    /// whole (zero-padded) width (Bᵀ·d), then each tile takes its four columns (·B).
    private static func inputTransform(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ nc: Int, th: Int, tw: Int, total: Int,
                                       into v: UnsafeMutablePointer<Float>) {
        let n = nc / s.inChannels, ch = nc % s.inChannels
        let plane = x + nc * s.height * s.width
        let stride = s.inChannels * total
        let span = 2 * tw + 2  // padded columns the tiles of one row read
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * span) { buffer in
            let rows = buffer.baseAddress!            // 4 padded input rows
            let combined = rows + 4 * span            // Bᵀ·d, 4 rows
            for ty in 0..<th {
                let y0 = ty * 2 - s.padTop
                for i in 0..<4 {
                    let dst = rows + i * span
                    let iy = y0 + i
                    dst.update(repeating: 0, count: span)
                    guard iy >= 0 && iy < s.height else { continue }
                    // Column c of the padded row is input column c − padLeft.
                    let first = max(0, s.padLeft), last = min(span, s.width + s.padLeft)
                    if first < last { (dst + first).update(from: plane + iy * s.width + first - s.padLeft, count: last - first) }
                }
                let d0 = rows, d1 = rows + span, d2 = rows + 2 * span, d3 = rows + 3 * span
                let t0 = combined, t1 = combined + span, t2 = combined + 2 * span, t3 = combined + 3 * span
                for j in 0..<span {
                    t0[j] = d0[j] - d2[j]
                    t1[j] = d1[j] + d2[j]
                    t2[j] = d2[j] - d1[j]
                    t3[j] = d1[j] - d3[j]
                }
                let tileRow = v + ch * total + (n * th + ty) * tw
                for (i, t) in [t0, t1, t2, t3].enumerated() {
                    let o0 = tileRow + (i * 4) * stride, o1 = tileRow + (i * 4 + 1) * stride
                    let o2 = tileRow + (i * 4 + 2) * stride, o3 = tileRow + (i * 4 + 3) * stride
                    for tx in 0..<tw {
                        let c = t + 2 * tx
                        o0[tx] = c[0] - c[2]
                        o1[tx] = c[1] + c[2]
                        o2[tx] = c[2] - c[1]
                        o3[tx] = c[1] - c[3]
                    }
                }
            }
        }
    }

    /// Y for one (image, output channel): per tile row, the 16 product streams are read
    /// contiguously across the row's tiles and folded (Aᵀ·m·A) into two output rows.
    private static func outputTransform(_ s: Conv2DShape, _ products: UnsafePointer<Float>, _ nm: Int, th: Int, tw: Int,
                                        total: Int, bias: UnsafePointer<Float>?, clamp: Clamp, into y: UnsafeMutablePointer<Float>) {
        let n = nm / s.outChannels, o = nm % s.outChannels
        let oh = s.outHeight, ow = s.outWidth
        let plane = y + nm * oh * ow
        let stride = s.outChannels * total
        let b = bias?[o] ?? 0, lo = clamp.lo, hi = clamp.hi
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 10 * tw + 2) { buffer in
            let r = buffer.baseAddress!          // 8 rows of tw: Aᵀ·m, rows 0−1 × columns 0−3
            let line = r + 8 * tw                // one output row, 2·tw wide
            for ty in 0..<th {
                let m = products + o * total + (n * th + ty) * tw
                for j in 0..<4 {
                    let m0 = m + j * stride, m1 = m + (4 + j) * stride, m2 = m + (8 + j) * stride, m3 = m + (12 + j) * stride
                    let a = r + j * tw, c = r + (4 + j) * tw
                    for tx in 0..<tw {
                        a[tx] = m0[tx] + m1[tx] + m2[tx]
                        c[tx] = m1[tx] - m2[tx] - m3[tx]
                    }
                }
                for i in 0..<2 {
                    let oy = ty * 2 + i
                    guard oy < oh else { continue }
                    let q0 = r + (4 * i) * tw, q1 = r + (4 * i + 1) * tw, q2 = r + (4 * i + 2) * tw, q3 = r + (4 * i + 3) * tw
                    for tx in 0..<tw {
                        line[2 * tx] = min(max(q0[tx] + q1[tx] + q2[tx] + b, lo), hi)
                        line[2 * tx + 1] = min(max(q1[tx] - q2[tx] - q3[tx] + b, lo), hi)
                    }
                    (plane + oy * ow).update(from: line, count: ow)
                }
            }
        }
    }
}
