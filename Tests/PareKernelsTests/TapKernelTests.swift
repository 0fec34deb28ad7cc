import PareCore
import Testing
@testable import PareKernels

/// The shifted-tap kernels (CPareKernels: AVX-512, or AVX2 on CPUs without it or with
/// PARE_DIRECT_TAPS=avx2) and the OpenBLAS GEMMs they replace, each against the definition on the
/// same random problems, so both paths stay covered whichever one a shape takes. Skipped on CPUs
/// with neither instruction set (the GEMM path is still checked by ShiftedTapsTests there).
@Suite(.enabled(if: ShiftedTaps.directAvailable, "needs AVX-512 or AVX2 + FMA (or PARE_DIRECT_TAPS=0 was set)"))
struct TapKernelTests {
    /// A random problem of the shifted-tap path (stride 1 until a test sets one): 1–40 output channels (so blocks of four
    /// and remainders), 1–64 input channels, 6–25 rows of 6–37 pixels (column counts that end inside,
    /// at the end of and past a 64-column block), kernels 1×2 to 4×4, asymmetric pads.
    static func problem(_ random: inout SeededRandom, threeByThree: Bool) -> Conv2DShape {
        var s = Conv2DShape(batch: 2 + random.below(11), inChannels: 1 + random.below(64), height: 6 + random.below(20),
                            width: 6 + random.below(32), outChannels: 1 + random.below(40),
                            kernelH: threeByThree ? 3 : 1 + random.below(4), kernelW: threeByThree ? 3 : 2 + random.below(3))
        s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
        return s
    }

    @Test func forwardOfBothKernelsMatchesTheDefinition() {
        var random = SeededRandom(seed: 83)
        let pool = WorkerPool(threads: 2)
        var checked = 0, strided = 0, oneImage = 0
        for trial in 0..<70 {
            var s = Self.problem(&random, threeByThree: trial % 2 == 0)
            if trial % 5 == 0 { s.batch = 1 }  // one image: the two threads share out its channels
            if trial % 3 == 1 { s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3) }  // phase planes
            guard s.problem == nil, ShiftedTaps.applies(s, threads: 2) else { continue }
            let x = EngineKernelTests.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = EngineKernelTests.values(s.outChannels * s.inChannels * s.kernelH * s.kernelW, &random)
            let n = s.batch * s.outChannels * s.outHeight * s.outWidth
            var expected = [Float](repeating: .nan, count: n)
            Conv2D.reference(s, input: x, weight: w, bias: nil, output: &expected)
            // Every other problem with the whole epilogue (the kernel finishes its sums in place).
            let finished = trial % 2 == 1
            let bias = finished ? EngineKernelTests.values(s.outChannels, &random) : nil
            let residual = finished ? EngineKernelTests.values(n, &random) : nil
            let clamp = finished ? Clamp(lo: 0, hi: 1.5) : .none
            if finished, let bias, let residual {
                let plane = s.outHeight * s.outWidth
                for i in 0..<n { expected[i] = min(max(expected[i] + bias[(i / plane) % s.outChannels] + residual[i], 0), 1.5) }
            }
            for direct in [true, false] where direct || (s.batch >= 2 && s.strideH == 1 && s.strideW == 1) {
                var out = [Float](repeating: .nan, count: n)
                var scratch = [Float](repeating: .nan, count: ShiftedTaps.scratchCount(s, threads: 2))
                scratch.withUnsafeMutableBufferPointer { sp in
                    PointwiseConvTests.withOptionalPointer(bias) { bp in
                        PointwiseConvTests.withOptionalPointer(residual) { rp in
                            ShiftedTaps.forward(s, input: x, weight: w, bias: bp, output: &out, clamp: clamp, residual: rp,
                                                scratch: sp.baseAddress!, pool: pool, direct: direct)
                        }
                    }
                }
                #expect(EngineKernelTests.maxRelativeError(out, expected) < 1e-4, "trial \(trial), direct \(direct): \(s)")
            }
            checked += 1
            if s.strideH * s.strideW > 1 { strided += 1 }
            if s.batch == 1 { oneImage += 1 }
        }
        #expect(checked >= 50 && strided >= 10 && oneImage >= 10, "\(checked) problems, \(strided) strided, \(oneImage) of one image")
    }

    /// ResNet-18/50's 7×7 layers at batch 1 (up to 512 channels, where the channels are shared
    /// out between threads), with weights packed once by the caller as inference does, and a
    /// channel count that leaves a remainder after the blocks of four; then stems on one to
    /// three input channels (ResNet's 7×7 stride 2, VGG's and MobileNet's 3×3s, a grayscale one).
    @Test func oneImageWithManyChannelsAndPrepackedWeights() {
        var random = SeededRandom(seed: 97)
        let cases = [(512, 512, 3, 1, 7, 2), (256, 130, 3, 1, 7, 2), (64, 37, 3, 1, 7, 1), (128, 6, 3, 1, 7, 2),
                     (3, 64, 7, 2, 38, 2), (3, 64, 3, 1, 30, 2), (3, 32, 3, 2, 31, 1), (1, 16, 3, 1, 28, 2)]
        for (c, m, k, stride, size, threads) in cases {
            var s = Conv2DShape(batch: 1, inChannels: c, height: size, width: size, outChannels: m, kernelH: k, kernelW: k)
            s.padTop = k / 2; s.padLeft = k / 2; s.padBottom = k / 2; s.padRight = k / 2
            s.strideH = stride; s.strideW = stride
            #expect(ShiftedTaps.applies(s, threads: threads))
            let pixels = s.outHeight * s.outWidth
            let x = EngineKernelTests.values(c * size * size, &random), w = EngineKernelTests.values(m * c * k * k, &random)
            let b = EngineKernelTests.values(m, &random)
            var expected = [Float](repeating: .nan, count: m * pixels), out = expected
            b.withUnsafeBufferPointer { Conv2D.reference(s, input: x, weight: w, bias: $0.baseAddress, output: &expected) }
            expected = expected.map { max($0, 0) }
            let packed = Conv2D.packWeights(s, w)
            var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: threads))
            b.withUnsafeBufferPointer { bp in
                packed.withUnsafeBufferPointer { pp in
                    scratch.withUnsafeMutableBufferPointer {
                        Conv2D.forward(s, input: x, weight: w, bias: bp.baseAddress, output: &out, clamp: Clamp(lo: 0, hi: .infinity),
                                       scratch: $0.baseAddress, pool: WorkerPool(threads: threads), packedWeights: pp.baseAddress)
                    }
                }
            }
            // Relative to the largest output: 4,608-term sums cancel to near zero in places,
            // where an element's own relative error says nothing about the kernel.
            let scale = expected.map(abs).max() ?? 1
            let error = zip(out, expected).map { $0.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 1
            #expect(error < 1e-5, "\(c) → \(m) channels, \(k)×\(k) stride \(stride), \(threads) threads: \(error)")
        }
    }

    /// Batches of 2–12 images on two workers, and of 9–12 on one, so a worker's images end inside
    /// a chunk, fill one or span two (`gradientChunk` is 8); a third of the problems strided
    /// (phase planes, as in ResNets' downsampling convs).
    @Test func weightGradientOfBothKernelsMatchesTheDefinition() {
        var random = SeededRandom(seed: 89)
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        var checked = 0, strided = 0
        for trial in 0..<72 {
            var s = Self.problem(&random, threeByThree: true)
            let pool = pools[trial % 4 == 0 ? 0 : 1], threads = pool.threadCount
            if threads == 1 { s.batch = 9 + random.below(4) }
            if trial % 3 == 1 { s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3) }
            guard s.problem == nil, ShiftedTaps.appliesToWeightGradient(s, threads: threads) else { continue }
            if s.strideH * s.strideW > 1 { strided += 1 }
            let x = EngineKernelTests.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = EngineKernelTests.values(s.outChannels * s.inChannels * 9, &random)
            let dy = EngineKernelTests.values(s.batch * s.outChannels * s.outHeight * s.outWidth, &random)
            var rx = [Float](repeating: 0, count: x.count), rw = [Float](repeating: 0, count: w.count)
            var rb = [Float](repeating: 0, count: s.outChannels)
            Conv2DBackward.reference(s, input: x, weight: w, outputGradient: dy, inputGradient: &rx, weightGradient: &rw, biasGradient: &rb)
            let scale = max(rw.map(abs).max() ?? 0, 1)
            for direct in [true, false] {
                var dw = [Float](repeating: .nan, count: w.count)
                var scratch = [Float](repeating: .nan, count: ShiftedTaps.gradientScratchCount(s, threads: threads))
                scratch.withUnsafeMutableBufferPointer {
                    ShiftedTaps.weightGradient(s, input: x, outputGradient: dy, weightGradient: &dw, scratch: $0.baseAddress!,
                                               pool: pool, direct: direct)
                }
                let error = zip(dw, rw).map { $0.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 0
                #expect(error < 1e-5, "trial \(trial), direct \(direct): \(s)")
            }
            checked += 1
        }
        #expect(checked >= 50 && strided >= 10, "\(checked) problems, \(strided) strided")
    }

    @Test func choosesTheKernelByChannelCount() {
        var s = Conv2DShape(batch: 2, inChannels: 16, height: 32, width: 32, outChannels: 16, kernelH: 3, kernelW: 3)
        s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
        #expect(ShiftedTaps.directGradient(s))
        // Past 32 channels OpenBLAS beats the AVX-512 kernel, never the AVX2 one (see `directGradient`).
        var wide = s; wide.inChannels = 64
        #expect(ShiftedTaps.directGradient(wide) == (ShiftedTaps.kernel == .avx2))
        var fiveByFive = s; fiveByFive.kernelH = 5; fiveByFive.kernelW = 5
        #expect(!ShiftedTaps.directGradient(fiveByFive))
    }
}
