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
                               residual: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool? = nil) {
        precondition(applies(s), "Winograd: not a 3×3 stride-1 single-group convolution")
        let (th, tw, total) = tiles(s, tile)
        let c = s.inChannels, m = s.outChannels, p = positions(tile)
        nonisolated(unsafe) let v = scratch, products = scratch + p * c * total
        nonisolated(unsafe) let x = x, u = u, y = y, bias = bias, residual = residual
        let transform: @Sendable (Range<Int>) -> Void = { planes in
            for nc in planes { inputTransform(s, tile, x, nc, th: th, tw: tw, total: total, into: v) }
        }
        if let pool {
            // A rough cost per plane (a few additions per value); the pool's learnt head start
            // absorbs the error.
            pool.parallelShares(of: s.batch * c, unitNanoseconds: Double(s.height * s.width) * 0.5, transform)
        } else {
            transform(0..<(s.batch * c))
        }
        // Each thread multiplies its share of the output channels at every position and folds
        // them straight back: no wait between the GEMMs and the output transform, and the
        // products a thread folds are the ones in its own cache.
        let threads = pool?.threadCount ?? 1
        let perChannel = Double(2 * p * total * c) * Gemm.nanosecondsPerFlop
        let share: @Sendable (Range<Int>) -> Void = { outputs in
            for xi in 0..<p {
                Gemm.sgemm(m: outputs.count, n: total, k: c, a: u + (xi * m + outputs.lowerBound) * c, lda: c,
                           b: v + xi * c * total, ldb: total, c: products + (xi * m + outputs.lowerBound) * total, ldc: total)
            }
            for n in 0..<s.batch {
                for o in outputs {
                    outputTransform(s, tile, products, n * m + o, th: th, tw: tw, total: total, bias: bias, clamp: clamp,
                                    residual: residual, into: y)
                }
            }
        }
        if let pool, m >= 16 * threads {
            pool.parallelShares(of: m, unitNanoseconds: perChannel, align: 4, share)
        } else {
            share(0..<m)
        }
    }
}
