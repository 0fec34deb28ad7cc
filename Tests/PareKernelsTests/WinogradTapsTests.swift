import PareCore
import Testing
@testable import PareKernels

/// The fused F(2×2, 3×3) Winograd kernel against the definition, on every shape class it has
/// code for: images whose tile rows are narrower than a vector (7×7: 4 tiles), end inside one
/// (14 tiles) or fill them (16×16), odd sizes (the last tile half outside), channel counts with
/// a remainder after blocks of four, several images per thread (its scratch reused), and the
/// whole epilogue. Runs where the kernel can (PARE_WINOGRAD_TAPS=1 forces it on AVX-512 CPUs).
@Suite(.enabled(if: WinogradTaps.available, "needs AVX2 + FMA without AVX-512 (or PARE_WINOGRAD_TAPS=1)"))
struct WinogradTapsTests {
    @Test func forwardMatchesTheDefinition() {
        var random = SeededRandom(seed: 101)
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        let sizes = [(7, 7), (14, 14), (28, 28), (16, 16), (6, 9), (13, 31), (37, 6), (8, 17)]
        var checked = 0
        for trial in 0..<40 {
            let (h, w) = sizes[trial % sizes.count]
            let pool = pools[trial % 2]
            var s = Conv2DShape(batch: pool.threadCount + random.below(3), inChannels: 1 + random.below(64), height: h, width: w,
                                outChannels: 1 + random.below(64), kernelH: 3, kernelW: 3)
            s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
            #expect(WinogradTaps.applies(s, threads: pool.threadCount), "\(s)")
            #expect(ShiftedTaps.applies(s, threads: pool.threadCount), "\(s)")
            let x = EngineKernelTests.values(s.batch * s.inChannels * h * w, &random)
            let weights = EngineKernelTests.values(s.outChannels * s.inChannels * 9, &random)
            let n = s.batch * s.outChannels * h * w
            var expected = [Float](repeating: .nan, count: n)
            Conv2D.reference(s, input: x, weight: weights, bias: nil, output: &expected)
            let finished = trial % 2 == 1
            let bias = finished ? EngineKernelTests.values(s.outChannels, &random) : nil
            let residual = finished ? EngineKernelTests.values(n, &random) : nil
            let clamp = finished ? Clamp(lo: 0, hi: 6) : .none
            if finished, let bias, let residual {
                let plane = h * w
                for i in 0..<n { expected[i] = min(max(expected[i] + bias[(i / plane) % s.outChannels] + residual[i], 0), 6) }
            }
            var out = [Float](repeating: .nan, count: n)
            var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: pool.threadCount))
            scratch.withUnsafeMutableBufferPointer { sp in
                PointwiseConvTests.withOptionalPointer(bias) { bp in
                    PointwiseConvTests.withOptionalPointer(residual) { rp in
                        Conv2D.forward(s, input: x, weight: weights, bias: bp, output: &out, clamp: clamp, residual: rp,
                                       scratch: sp.baseAddress!, pool: pool)
                    }
                }
            }
            // Relative to the largest output (sums of up to 576 terms cancel to near zero in places).
            let scale = expected.map(abs).max() ?? 1
            let error = zip(out, expected).map { $0.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 1
            #expect(error < 1e-5, "trial \(trial): \(s), error \(error)")
            checked += 1
        }
        #expect(checked == 40)
    }

    /// The weight gradient against the definition: the same map sizes (tile rows narrower than a
    /// vector, odd sizes whose last tiles reach past the map), channel counts with remainders
    /// after blocks of three and four, and batches that fill a chunk, end inside one or span
    /// several (`gradientChunk`: 1 image at 28×28, 8 at 7×7), on one and two workers.
    @Test func weightGradientMatchesTheDefinition() {
        var random = SeededRandom(seed: 103)
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        let sizes = [(7, 7), (14, 14), (28, 28), (16, 16), (6, 9), (13, 31), (37, 6), (8, 17), (1, 1), (2, 5)]
        var checked = 0
        for trial in 0..<40 {
            let (h, w) = sizes[trial % sizes.count]
            let pool = pools[trial % 2]
            var s = Conv2DShape(batch: pool.threadCount + random.below(trial % 3 == 0 ? 19 : 3), inChannels: 1 + random.below(64),
                                height: h, width: w, outChannels: 1 + random.below(64), kernelH: 3, kernelW: 3)
            s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
            #expect(WinogradTaps.appliesToWeightGradient(s), "\(s)")
            let x = EngineKernelTests.values(s.batch * s.inChannels * h * w, &random)
            let weights = EngineKernelTests.values(s.outChannels * s.inChannels * 9, &random)
            let dy = EngineKernelTests.values(s.batch * s.outChannels * h * w, &random)
            var rx = [Float](repeating: 0, count: x.count), rw = [Float](repeating: 0, count: weights.count)
            var rb = [Float](repeating: 0, count: s.outChannels)
            Conv2DBackward.reference(s, input: x, weight: weights, outputGradient: dy, inputGradient: &rx, weightGradient: &rw,
                                     biasGradient: &rb)
            var dw = [Float](repeating: .nan, count: weights.count)
            var scratch = [Float](repeating: .nan, count: ShiftedTaps.gradientScratchCount(s, threads: pool.threadCount))
            scratch.withUnsafeMutableBufferPointer {
                ShiftedTaps.weightGradient(s, input: x, outputGradient: dy, weightGradient: &dw, scratch: $0.baseAddress!, pool: pool)
            }
            // Relative to the largest entry: sums of up to 19 · 37 · 6 terms cancel to near zero in places.
            let scale = max(rw.map(abs).max() ?? 0, 1e-6)
            let error = zip(dw, rw).map { $0.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 1
            #expect(error < 1e-5, "trial \(trial): \(s), error \(error)")
            checked += 1
        }
        #expect(checked == 40)
    }

    /// Shapes it must leave to the other kernels.
    @Test func appliesOnlyToSameThreeByThreeConvolutionsOfFewChannels() {
        var s = Conv2DShape(batch: 4, inChannels: 16, height: 28, width: 28, outChannels: 16, kernelH: 3, kernelW: 3)
        s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
        #expect(WinogradTaps.applies(s, threads: 2))
        var strided = s; strided.strideH = 2; strided.strideW = 2
        var unpadded = s; unpadded.padTop = 0; unpadded.padLeft = 0; unpadded.padBottom = 0; unpadded.padRight = 0
        var wide = s; wide.inChannels = 65
        var many = s; many.outChannels = 128
        var grouped = s; grouped.groups = 2
        var oneImage = s; oneImage.batch = 1
        for other in [strided, unpadded, wide, many, grouped] { #expect(!WinogradTaps.applies(other, threads: 2), "\(other)") }
        #expect(!WinogradTaps.applies(oneImage, threads: 2))
        #expect(WinogradTaps.applies(oneImage, threads: 1))
    }
}
