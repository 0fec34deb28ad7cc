import Foundation
import PareCore
import Synchronization
import Testing
@testable import PareKernels

/// Every optimized engine kernel against a naive definition on random problems (odd sizes,
/// strides, dilations, padding, groups, ceil mode, broadcasting).
@Suite struct EngineKernelTests {
    static func values(_ n: Int, _ random: inout SeededRandom) -> [Float] {
        (0..<n).map { _ in Float(random.below(2001) - 1000) / 500 }
    }

    /// The largest |a − b| / max(1, |b|); a NaN on one side only counts as infinitely wrong (a
    /// plain max() would pass over it, and unwritten outputs start as NaN in these tests).
    static func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { x, y -> Float in
            if x == y || (x.isNaN && y.isNaN) { return 0 }
            if x.isNaN || y.isNaN { return .infinity }
            return abs(x - y) / max(1, abs(y))
        }.max() ?? 0
    }

    @Test func convTransposeMatchesTheDefinition() {
        var random = SeededRandom(seed: 41)
        for trial in 0..<60 {
            let groups = [1, 1, 2][random.below(3)]
            var s = ConvTranspose2DShape(batch: 1 + random.below(2), inChannels: groups * (1 + random.below(3)),
                                         height: 1 + random.below(6), width: 1 + random.below(6),
                                         outChannels: groups * (1 + random.below(3)), kernelH: 1 + random.below(4), kernelW: 1 + random.below(4))
            s.groups = groups
            s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3)
            s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
            s.padTop = random.below(2); s.padLeft = random.below(2); s.padBottom = random.below(2); s.padRight = random.below(2)
            s.outputPadH = random.below(s.strideH); s.outputPadW = random.below(s.strideW)
            guard s.outHeight > 0 && s.outWidth > 0 else { continue }
            let x = Self.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = Self.values(s.inChannels * (s.outChannels / groups) * s.kernelH * s.kernelW, &random)
            let b = Self.values(s.outChannels, &random)
            let n = s.batch * s.outChannels * s.outHeight * s.outWidth
            var fast = [Float](repeating: .nan, count: n), slow = fast
            b.withUnsafeBufferPointer { bp in
                ConvTranspose2D.forward(s, input: x, weight: w, bias: bp.baseAddress, output: &fast)
                ConvTranspose2D.reference(s, input: x, weight: w, bias: bp.baseAddress, output: &slow)
            }
            #expect(Self.maxRelativeError(fast, slow) < 1e-4, "trial \(trial): \(s)")
        }
    }

    /// Tiles, the channel split of small layers, batched small images, depthwise, and the bias,
    /// residual and clamp epilogues, on two threads.
    @Test func threadedConvWithScratchMatchesTheDefinition() {
        let pool = WorkerPool(threads: 2)
        var random = SeededRandom(seed: 43)
        for trial in 0..<60 {
            var s = Conv2DShape(batch: 1 + random.below(2), inChannels: 1 + random.below(5), height: 1 + random.below(9),
                                width: 1 + random.below(9), outChannels: 1 + random.below(5), kernelH: 1 + random.below(4),
                                kernelW: 1 + random.below(4))
            if trial % 3 == 0 { s.groups = s.inChannels; s.outChannels = s.inChannels * (1 + random.below(2)) }
            if trial % 4 == 1 { s.height = 17 + random.below(20); s.width = 17 + random.below(20) }  // several pixel tiles
            s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3)
            s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
            s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            guard s.problem == nil else { continue }
            let x = Self.values(s.batch * s.inChannels * s.height * s.width, &random)
            let w = Self.values(s.outChannels * s.channelsPerGroup * s.kernelH * s.kernelW, &random)
            let n = s.batch * s.outChannels * s.outHeight * s.outWidth
            var fast = [Float](repeating: .nan, count: n), slow = fast
            var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: pool.threadCount))
            let b = Self.values(s.outChannels, &random)
            let clamp = trial % 2 == 0 ? Clamp(lo: -0.5, hi: 1) : .none
            let residual = trial % 5 < 2 ? Self.values(n, &random) : nil
            b.withUnsafeBufferPointer { bp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Conv2D.forward(s, input: x, weight: w, bias: bp.baseAddress, output: &fast, clamp: clamp,
                                   residual: residual, scratch: sp.baseAddress, pool: pool)
                }
                Conv2D.reference(s, input: x, weight: w, bias: bp.baseAddress, output: &slow)
            }
            if let residual { slow = zip(slow, residual).map { $0 + $1 } }
            slow = slow.map { min(max($0, clamp.lo), clamp.hi) }
            #expect(Self.maxRelativeError(fast, slow) < 1e-4, "trial \(trial): \(s)")
        }
    }

    /// 1×1 stride-1 convs read the input in place, one tile per thread sharing the image: planes
    /// narrower and wider than the 256-pixel minimum tile, one or two images, one to three
    /// threads, with bias, residual and clamp.
    @Test func pointwiseConvTilesMatchTheDefinition() {
        var random = SeededRandom(seed: 59)
        for threads in 1...3 {
            let pool = WorkerPool(threads: threads)
            for (side, batch) in [(9, 1), (23, 1), (37, 1), (30, 2)] {
                let s = Conv2DShape(batch: batch, inChannels: 3 + random.below(6), height: side, width: side + random.below(3),
                                    outChannels: 4 + random.below(9), kernelH: 1, kernelW: 1)
                #expect(Conv2D.isPointwise(s))
                let x = Self.values(s.batch * s.inChannels * s.height * s.width, &random)
                let w = Self.values(s.outChannels * s.inChannels, &random), b = Self.values(s.outChannels, &random)
                let n = s.batch * s.outChannels * s.outHeight * s.outWidth
                let residual = Self.values(n, &random)
                var fast = [Float](repeating: .nan, count: n), slow = fast
                var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(s, threads: threads))
                b.withUnsafeBufferPointer { bp in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        Conv2D.forward(s, input: x, weight: w, bias: bp.baseAddress, output: &fast, clamp: .relu,
                                       residual: residual, scratch: sp.baseAddress, pool: pool)
                    }
                    Conv2D.reference(s, input: x, weight: w, bias: bp.baseAddress, output: &slow)
                }
                slow = zip(slow, residual).map { max($0 + $1, 0) }
                #expect(Self.maxRelativeError(fast, slow) < 1e-4, "\(threads) threads: \(s)")
            }
        }
    }

    /// The pooling definition: every window tap visited, padding and ceil-mode overhang handled
    /// by explicit bounds tests.
    static func referencePool(_ s: Pool2DShape, max useMax: Bool, includePad: Bool, _ x: [Float]) -> [Float] {
        var out: [Float] = []
        for p in 0..<(s.batch * s.channels) {
            for oy in 0..<s.outHeight {
                for ox in 0..<s.outWidth {
                    var best = -Float.infinity, sum: Double = 0, inside = 0, padded = 0
                    for ky in 0..<s.kernelH {
                        for kx in 0..<s.kernelW {
                            let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                            let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                            if iy < s.height + s.padBottom && ix < s.width + s.padRight { padded += 1 }
                            guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                            let v = x[(p * s.height + iy) * s.width + ix]
                            best = max(best, v); sum += Double(v); inside += 1
                        }
                    }
                    out.append(useMax ? best : Float(sum / Double(max(includePad ? padded : inside, 1))))
                }
            }
        }
        return out
    }

    /// A random pooling problem (odd sizes, strides, optional dilation, padding below the kernel
    /// size, ceil mode), or nil when its output would be empty.
    static func randomPool(_ random: inout SeededRandom, dilated: Bool) -> Pool2DShape? {
        var s = Pool2DShape(batch: 1 + random.below(2), channels: 1 + random.below(4), height: 1 + random.below(10),
                            width: 1 + random.below(10), kernelH: 1 + random.below(4), kernelW: 1 + random.below(4))
        s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3)
        if dilated { s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2) }
        s.padTop = random.below(min(s.kernelH, 3)); s.padLeft = random.below(min(s.kernelW, 3))
        s.padBottom = random.below(min(s.kernelH, 3)); s.padRight = random.below(min(s.kernelW, 3))
        s.ceilMode = random.below(2) == 1
        return s.outHeight > 0 && s.outWidth > 0 ? s : nil
    }

    /// Both pooling kernels — the 2-D one the engine uses for images and the any-rank one it uses
    /// for 3-D volumes — on the same random problems, against the definition.
    @Test func poolsMatchTheDefinition() {
        let pool = WorkerPool(threads: 2)
        var random = SeededRandom(seed: 47)
        var checked = 0
        for trial in 0..<120 {
            guard var s = Self.randomPool(&random, dilated: trial % 2 == 0) else { continue }
            // Every fourth row is wide enough for the max pool's eight-lane groups and a tail.
            if trial % 4 == 3 { s.width += 16 + random.below(30) }
            let x = Self.values(s.batch * s.channels * s.height * s.width, &random)
            let count = s.batch * s.channels * s.outHeight * s.outWidth
            var fast = [Float](repeating: .nan, count: count), anyRank = fast
            let useMax = trial % 3 == 0, includePad = trial % 3 == 1
            if useMax {
                Pool2D.max(s, x, &fast, pool: pool)
            } else {
                Pool2D.average(s, countIncludePad: includePad, x, &fast, pool: pool)
            }
            var nd = PoolNDShape(planes: s.batch * s.channels, size: [s.height, s.width], kernel: [s.kernelH, s.kernelW],
                                 strides: [s.strideH, s.strideW], dilations: [s.dilationH, s.dilationW],
                                 padBegin: [s.padTop, s.padLeft], padEnd: [s.padBottom, s.padRight])
            nd.ceilMode = s.ceilMode
            PoolND.run(nd, max: useMax, countIncludePad: includePad, x, &anyRank)
            let slow = Self.referencePool(s, max: useMax, includePad: includePad, x)
            #expect(nd.outSize == [s.outHeight, s.outWidth])
            #expect(Self.maxRelativeError(fast, slow) < 1e-5, "trial \(trial): \(s) max=\(useMax) includePad=\(includePad)")
            #expect(Self.maxRelativeError(anyRank, slow) < 1e-5, "any rank, trial \(trial): \(s)")
            checked += 1
        }
        #expect(checked >= 100)
    }

    @Test func broadcastingMatchesTheDefinition() {
        var random = SeededRandom(seed: 53)
        for trial in 0..<80 {
            let rank = 1 + random.below(4)
            let full = (0..<rank).map { _ in 1 + random.below(4) }
            // Each operand drops leading axes or sets some to 1 at random.
            func operand() -> [Int] {
                let dropped = random.below(rank)
                return full.dropFirst(dropped).map { random.below(3) == 0 ? 1 : $0 }
            }
            let sa = operand(), sb = operand()
            guard let plan = Broadcast(sa, sb) else { Issue.record("trial \(trial): \(sa) \(sb) must broadcast"); continue }
            let a = Self.values(sa.reduce(1, *), &random), b = Self.values(sb.reduce(1, *), &random)
            var fast = [Float](repeating: .nan, count: plan.outputShape.reduce(1, *))
            Elementwise.binary(SubOp.self, plan, a, b, &fast)
            let slow = Elementwise.referenceBinary(-, sa, a, sb, b)
            #expect(slow == fast, "trial \(trial): \(sa) − \(sb)")
        }
        #expect(Broadcast([2, 3], [4, 3]) == nil)
    }

    @Test func workerPoolRunsEveryChunkOnce() {
        let pool = WorkerPool(threads: 2)
        for count in [1, 2, 7, 64, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            nonisolated(unsafe) let h = hits
            pool.parallelFor(count) { i in h[i] += 1 }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
            hits.deallocate()
        }
        var sum = 0
        let total = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
        nonisolated(unsafe) let t = total
        pool.parallelRanges(1000, grain: 10) { r in for i in r { t[i] = i } }
        for i in 0..<1000 { sum += total[i] }
        total.deallocate()
        #expect(sum == 999 * 1000 / 2)
    }

    /// Even shares tile 0..<total in order, also when there are more workers than a ⌈total/parts⌉
    /// split fills (5 units on 4 workers, 1 on 3), leaving the extra workers empty ranges.
    @Test func workQueueHandsOutEveryItemOnce() {
        let pool = WorkerPool(threads: 2)
        for count in [0, 1, 2, 9, 128, 5000] {
            let queue = WorkQueue(count: count)
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            nonisolated(unsafe) let h = hits
            // Both threads take until none are left, as the kernels do.
            pool.parallelFor(2) { _ in while let i = queue.take() { h[i] += 1 } }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
            #expect(queue.take() == nil)
            hits.deallocate()
        }
    }

    @Test func evenSharesTileTheRange() {
        for (total, parts) in [(5, 4), (1, 3), (0, 2), (12, 3), (7, 1), (2, 7)] {
            let shares = (0..<parts).map { WorkerPool.evenShare($0, of: total, parts: parts) }
            #expect(shares.flatMap { Array($0) } == Array(0..<total), "\(total) on \(parts): \(shares)")
            #expect(shares.allSatisfy { $0.count <= (total + parts - 1) / parts })
        }
        #expect(WorkerPool.evenShare(3, of: 5, parts: 4) == 5..<5)
    }

    /// Static shares: every unit once, one contiguous aligned range per thread, the first on the
    /// calling thread — also after the head start has been tuned by earlier loops of the same split.
    @Test func workerPoolSharesCoverEveryUnitOnce() {
        for threads in [2, 3] {
            let pool = WorkerPool(threads: threads)
            for (total, unit, align) in [(1, 10.0, 1), (2, 1.0, 4), (100, 50.0, 4), (3136, 5.0, 16), (64, 20_000.0, 1)] {
                for repeatIndex in 0..<6 {
                    let hits = UnsafeMutablePointer<Int>.allocate(capacity: total)
                    hits.initialize(repeating: 0, count: total)
                    nonisolated(unsafe) let h = hits
                    let caller = pthread_self()
                    let seen = Mutex<[(Range<Int>, Bool)]>([])
                    pool.parallelShares(of: total, unitNanoseconds: unit, align: align) { range in
                        for i in range { h[i] += 1 }
                        let onCaller = pthread_equal(pthread_self(), caller) != 0
                        seen.withLock { $0.append((range, onCaller)) }
                    }
                    let ranges = seen.withLock { $0 }.sorted { $0.0.lowerBound < $1.0.lowerBound }
                    let context = "threads \(threads), total \(total), repeat \(repeatIndex)"
                    #expect((0..<total).allSatisfy { hits[$0] == 1 }, "\(context)")
                    #expect(ranges.count <= threads && ranges.allSatisfy { !$0.0.isEmpty }, "\(context)")
                    #expect(ranges.first?.1 == true, "the first share runs on the caller, \(context)")
                    for (range, _) in ranges.dropFirst() where range.lowerBound < total {
                        #expect(range.lowerBound % align == 0, "share boundaries aligned, \(context)")
                    }
                    hits.deallocate()
                }
            }
        }
    }
}
