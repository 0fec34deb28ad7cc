import PareCore
import Testing
@testable import PareKernels

@Suite struct WinogradTests {
    /// 60 random 3×3 stride-1 problems (odd sizes, asymmetric padding, batches, bias, residual, ReLU clamp,
    /// one and two threads, both tile sizes) against the direct definition. Every fourth is up to
    /// 41 wide, so rows hold several four-tile lane groups and a partial one; every fifth has 32 or
    /// more output channels, which two threads split between them.
    @Test func matchesTheDefinition() {
        let pools = [WorkerPool(threads: 1), WorkerPool(threads: 2)]
        var random = SeededRandom(seed: 59)
        var checked = 0
        for trial in 0..<60 {
            let wide = trial % 4 == 1
            var s = Conv2DShape(batch: 1 + random.below(2), inChannels: 1 + random.below(9), height: 1 + random.below(12),
                                width: 1 + random.below(wide ? 41 : 12), outChannels: trial % 5 == 3 ? 32 + random.below(9) : 1 + random.below(9),
                                kernelH: 3, kernelW: 3)
            s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            guard Winograd.applies(s) else { continue }
            let x = EngineKernelTests.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = EngineKernelTests.values(s.outChannels * s.inChannels * 9, &random)
            let b = EngineKernelTests.values(s.outChannels, &random)
            let clamp: Clamp = trial % 2 == 0 ? .relu : .none
            let n = s.batch * s.outChannels * s.outHeight * s.outWidth
            var fast = [Float](repeating: .nan, count: n), slow = fast
            let tile: Winograd.Tile = trial % 3 == 0 ? .f2 : .f4
            var scratch = [Float](repeating: .nan, count: Winograd.scratchCount(s, tile: tile))
            let residual = trial % 5 < 2 ? EngineKernelTests.values(n, &random) : nil
            let u = w.withUnsafeBufferPointer {
                Winograd.transformWeights($0.baseAddress!, outChannels: s.outChannels, inChannels: s.inChannels, tile: tile)
            }
            b.withUnsafeBufferPointer { bp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Winograd.forward(s, tile: tile, input: x, transformedWeights: u, bias: bp.baseAddress, output: &fast, clamp: clamp, residual: residual,
                                     scratch: sp.baseAddress!, pool: pools[trial % 2])
                }
                Conv2D.reference(s, input: x, weight: w, bias: bp.baseAddress, output: &slow)
            }
            if let residual { slow = zip(slow, residual).map { $0 + $1 } }
            if clamp == .relu { slow = slow.map { max($0, 0) } }
            #expect(EngineKernelTests.maxRelativeError(fast, slow) < 1e-4, "trial \(trial): \(s)")
            checked += 1
        }
        #expect(checked >= 50)
    }

    @Test func onlyThreeByThreeStrideOneSingleGroup() {
        var s = Conv2DShape(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 4, kernelH: 3, kernelW: 3)
        #expect(Winograd.applies(s))
        s.strideH = 2
        #expect(!Winograd.applies(s))
        s.strideH = 1; s.groups = 2
        #expect(!Winograd.applies(s))
        s.groups = 1; s.dilationW = 2
        #expect(!Winograd.applies(s))
    }
}
