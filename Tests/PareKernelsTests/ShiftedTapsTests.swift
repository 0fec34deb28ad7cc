import PareCore
import Testing
@testable import PareKernels

@Suite struct ShiftedTapsTests {
    /// 50 random problems the shifted-tap path takes (8–64 input channels, images of 6×6 and up,
    /// kernels 1×2 to 4×4 with asymmetric padding, batches of 1–3, one and two threads, bias,
    /// residual and clamp), through `Conv2D.forward`, against the definition.
    @Test func matchesTheDefinition() {
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        var random = SeededRandom(seed: 71)
        var checked = 0
        for trial in 0..<50 {
            let pool = pools[trial % 2]
            var s = Conv2DShape(batch: pool.threadCount + random.below(2), inChannels: 8 + random.below(57),
                                height: 6 + random.below(14), width: 6 + random.below(14), outChannels: 1 + random.below(20),
                                kernelH: 1 + random.below(4), kernelW: 2 + random.below(3))
            if trial % 3 == 0 { s.kernelH = 3; s.kernelW = 3 }
            s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            guard s.problem == nil, ShiftedTaps.applies(s, threads: pool.threadCount) else { continue }
            let x = EngineKernelTests.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = EngineKernelTests.values(s.outChannels * s.inChannels * s.kernelH * s.kernelW, &random)
            let b = EngineKernelTests.values(s.outChannels, &random)
            let n = s.batch * s.outChannels * s.outHeight * s.outWidth
            let residual = trial % 4 == 1 ? EngineKernelTests.values(n, &random) : nil
            let clamp = trial % 2 == 0 ? Clamp(lo: -0.5, hi: 1) : .none
            var fast = [Float](repeating: .nan, count: n), slow = fast
            var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: pool.threadCount))
            b.withUnsafeBufferPointer { bp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Conv2D.forward(s, input: x, weight: w, bias: bp.baseAddress, output: &fast, clamp: clamp, residual: residual,
                                   scratch: sp.baseAddress, pool: pool)
                }
                Conv2D.reference(s, input: x, weight: w, bias: bp.baseAddress, output: &slow)
            }
            if let residual { slow = zip(slow, residual).map { $0 + $1 } }
            slow = slow.map { min(max($0, clamp.lo), clamp.hi) }
            #expect(EngineKernelTests.maxRelativeError(fast, slow) < 1e-4, "trial \(trial): \(s)")
            checked += 1
        }
        #expect(checked >= 40)
    }

    /// Undilated single-group convs only; strides and more than 64 channels (or fewer images than
    /// threads) only on a tap kernel, and the weight gradient of a strided conv only on one.
    @Test func onlyUndilatedSingleGroupAndStridesOrManyChannelsWithTheDirectKernel() {
        var s = Conv2DShape(batch: 2, inChannels: 16, height: 32, width: 32, outChannels: 16, kernelH: 3, kernelW: 3)
        s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
        #expect(ShiftedTaps.applies(s, threads: 2))
        var strided = s; strided.strideW = 2
        var dilated = s; dilated.dilationH = 2
        var grouped = s; grouped.groups = 2
        var pointwise = s; pointwise.kernelH = 1; pointwise.kernelW = 1
        var wide = s; wide.inChannels = 128
        var oneImage = s; oneImage.batch = 1
        for other in [dilated, grouped, pointwise] { #expect(!ShiftedTaps.applies(other, threads: 1)) }
        for other in [strided, wide] { #expect(ShiftedTaps.applies(other, threads: 1) == ShiftedTaps.directAvailable) }
        #expect(ShiftedTaps.applies(oneImage, threads: 2) == ShiftedTaps.directAvailable)
        for other in [wide, oneImage] { #expect(!ShiftedTaps.appliesToWeightGradient(other, threads: 2)) }
        #expect(ShiftedTaps.appliesToWeightGradient(strided, threads: 2) == ShiftedTaps.directGradient(strided))
    }
}
