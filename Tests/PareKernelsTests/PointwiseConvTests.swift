import PareCore
import Testing
@testable import PareKernels

/// CPareKernels' pointwise (1×1) kernel through `Conv2D.forward` against the definition, with the
/// epilogue it fuses (bias, residual, clamp). Disabled where the CPU lacks AVX-512 (OpenBLAS runs
/// these shapes there, and Conv2DTests checks that path).
@Suite(.enabled(if: PointwiseConv.enabled, "needs AVX-512 (or PARE_POINTWISE_KERNEL=0 was set)"))
struct PointwiseConvTests {
    /// Random problems: 1–70 output channels (blocks of eight and remainders), 1–300 input channels,
    /// 1–40 × 1–40 pixels (column counts inside, at and past the kernel's 48-column blocks and
    /// 192-column spans), batches of 1–3 on one and two threads (one image on two threads splits
    /// its pixels or its channels), weights packed by the caller or not, every epilogue part.
    @Test func forwardMatchesTheDefinition() {
        var random = SeededRandom(seed: 131)
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        var checked = 0, splitPixels = 0, splitChannels = 0
        for trial in 0..<80 {
            let s = Conv2DShape(batch: trial % 3 == 0 ? 2 + random.below(2) : 1, inChannels: 1 + random.below(300),
                                height: 1 + random.below(40), width: 1 + random.below(40), outChannels: 1 + random.below(70),
                                kernelH: 1, kernelW: 1)
            let pool = pools[trial % 4 == 0 ? 0 : 1]
            #expect(PointwiseConv.applies(s) && Conv2D.usesPackedWeights(s, threads: pool.threadCount))
            let x = EngineKernelTests.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = EngineKernelTests.values(s.outChannels * s.inChannels, &random)
            let n = s.batch * s.outChannels * s.height * s.width
            let bias = trial % 5 == 1 ? nil : EngineKernelTests.values(s.outChannels, &random)
            let residual = trial % 2 == 0 ? EngineKernelTests.values(n, &random) : nil
            let clamp = [Clamp.none, .relu, Clamp(lo: 0, hi: 6)][trial % 3]
            var expected = [Float](repeating: .nan, count: n)
            Conv2D.reference(s, input: x, weight: w, bias: nil, output: &expected)
            let plane = s.height * s.width
            for i in 0..<n {
                var v = expected[i] + (bias?[(i / plane) % s.outChannels] ?? 0)
                if let residual { v += residual[i] }
                expected[i] = min(max(v, clamp.lo), clamp.hi)
            }
            let packed = trial % 2 == 1 ? Conv2D.packWeights(s, w) : nil
            var out = [Float](repeating: .nan, count: n)
            var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: pool.threadCount))
            scratch.withUnsafeMutableBufferPointer { sp in
                Self.withOptionalPointer(bias) { bp in
                    Self.withOptionalPointer(residual) { rp in
                        Self.withOptionalPointer(packed) { pp in
                            Conv2D.forward(s, input: x, weight: w, bias: bp, output: &out, clamp: clamp, residual: rp,
                                           scratch: sp.baseAddress, pool: pool, packedWeights: pp)
                        }
                    }
                }
            }
            #expect(EngineKernelTests.maxRelativeError(out, expected) < 1e-4, "trial \(trial): \(s)")
            checked += 1
            if s.batch == 1 && pool.threadCount == 2 { if plane >= 512 { splitPixels += 1 } else { splitChannels += 1 } }
        }
        #expect(checked >= 50 && splitPixels >= 10 && splitChannels >= 10, "\(checked), \(splitPixels), \(splitChannels)")
    }

    /// The fused clamp behaves as `Epilogue.row` does: NaN passes through, values at or below the
    /// lower bound become it, values above the upper bound become that.
    @Test func clampKeepsTheEpilogueSemantics() {
        let s = Conv2DShape(batch: 1, inChannels: 1, height: 1, width: 5, outChannels: 1, kernelH: 1, kernelW: 1)
        let x: [Float] = [.nan, -1, 2, 9, 6], w: [Float] = [1]
        var out = [Float](repeating: 7, count: 5)
        Conv2D.forward(s, input: x, weight: w, bias: nil, output: &out, clamp: Clamp(lo: 0, hi: 6))
        #expect(out[0].isNaN && Array(out[1...]) == [0, 2, 6, 6])
    }

    static func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
