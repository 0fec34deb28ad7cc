import PareCore
import Testing
@testable import PareData

@Suite struct BatchTests {
    @Test func splitMixMatchesItsPublishedSequence() {
        var random = SeededRandom(seed: 0)
        // SplitMix64 seeded with 0 (Steele, Lea, Flood 2014; the reference C code's first outputs).
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func permutationsArePermutationsAndReproducible() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        let p = a.permutation(1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
        #expect(b.permutation(1000) == p)
        var c = SeededRandom(seed: 7)
        for bound in [1, 2, 3, 10, 1000] { #expect((0..<200).allSatisfy { _ in (0..<bound).contains(c.below(bound)) }) }
    }

    /// A 1-channel data set whose pixel values encode (sample, position).
    func dataset(count: Int, side: Int) -> ImageDataset {
        let pixels = (0..<(count * side * side)).map { Float($0) }
        return ImageDataset(source: "synthetic", count: count, channels: 1, height: side, width: side,
                            pixels: .floats(pixels), labels: (0..<count).map { Int32($0 % 3) }, classCount: 3)
    }

    @Test func cropAndFlipMoveThePixelsTheyShould() {
        var image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        // Find a draw that flips without shifting, and check the mirror image.
        for seed in UInt64(0)..<200 {
            var random = SeededRandom(seed: seed), probe = SeededRandom(seed: seed)
            let dy = probe.below(3) - 1, dx = probe.below(3) - 1, flip = probe.below(2) == 1
            var copy = image
            Augmentation(cropPadding: 1, horizontalFlip: true).apply(&copy, channels: 1, height: 3, width: 3,
                                                                      black: [-9], random: &random)
            for y in 0..<3 {
                for x in 0..<3 {
                    let sy = y + dy, sx = (flip ? 2 - x : x) + dx
                    let expected: Float = (0..<3).contains(sy) && (0..<3).contains(sx) ? image[sy * 3 + sx] : -9
                    #expect(copy[y * 3 + x] == expected)
                }
            }
        }
        image = [1, 2, 3, 4]
        var random = SeededRandom(seed: 1)
        Augmentation.none.apply(&image, channels: 1, height: 2, width: 2, black: [0], random: &random)
        #expect(image == [1, 2, 3, 4])
    }

    @Test func batchesCoverTheEpochOnceInTheSeededOrder() {
        let plan = BatchPlan(dataset: dataset(count: 10, side: 2), batchSize: 4, shuffle: true, seed: 5)
        #expect(plan.batchCount == 3)
        let order = plan.order(epoch: 0)
        let batches = (0..<3).map { plan.batch(epoch: 0, index: $0, order: order) }
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches.flatMap(\.indices) == order)
        #expect(plan.order(epoch: 1) != order)
        let first = batches[0]
        #expect(first.labels == first.indices.map { Int32($0 % 3) })
        #expect(Array(first.images[4..<8]) == (0..<4).map { Float(first.indices[1] * 4 + $0) })
        var dropping = plan
        dropping.dropLast = true
        #expect(dropping.batchCount == 2)
        #expect(BatchPlan(dataset: dataset(count: 5, side: 2), batchSize: 2, shuffle: false, seed: 0).order(epoch: 3) == [0, 1, 2, 3, 4])
    }

    @Test func backgroundStreamEqualsSynchronousBatchesAndResumes() {
        let plan = BatchPlan(dataset: dataset(count: 37, side: 4), batchSize: 5, shuffle: true, seed: 9,
                             augmentation: Augmentation(cropPadding: 1, horizontalFlip: true))
        let order = plan.order(epoch: 2)
        let expected = (0..<plan.batchCount).map { plan.batch(epoch: 2, index: $0, order: order) }
        let streamed = Array(BatchStream(plan: plan, epoch: 2))
        #expect(streamed.map(\.images) == expected.map(\.images))
        #expect(streamed.map(\.labels) == expected.map(\.labels))
        let resumed = Array(BatchStream(plan: plan, epoch: 2, startBatch: 5))
        #expect(resumed.map(\.indices) == expected[5...].map(\.indices))
        #expect(resumed.map(\.images) == expected[5...].map(\.images))
        let stream = BatchStream(plan: plan, epoch: 0)
        #expect(stream.next() != nil)
        stream.cancel()  // must return and let the producer end without a consumer
    }

    @Test func fittingPadsCentredAndResizesBilinearly() throws {
        let data = dataset(count: 1, side: 2)
        let padded = BatchPlan(dataset: data, batchSize: 1, shuffle: false, seed: 0, fit: .pad(height: 4, width: 4))
        #expect(padded.batch(epoch: 0, index: 0, order: [0]).images ==
                [0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0])
        let same = BatchPlan(dataset: data, batchSize: 1, shuffle: false, seed: 0, fit: .resize(height: 2, width: 2))
        #expect(same.batch(epoch: 0, index: 0, order: [0]).images == [0, 1, 2, 3])
        let up = BatchPlan(dataset: data, batchSize: 1, shuffle: false, seed: 0, fit: .resize(height: 4, width: 4))
        let big = up.batch(epoch: 0, index: 0, order: [0]).images
        // Half-pixel centres: output 1 maps to source 0.25, so row 0 is 0, 0.25, 0.75, 1.
        #expect(Array(big[0..<4]) == [0, 0.25, 0.75, 1])
        #expect(big[15] == 3)
        #expect(throws: (any Error).self) {
            try BatchPlan(dataset: data, batchSize: 1, shuffle: false, seed: 0, fit: .pad(height: 1, width: 4)).validate()
        }
        #expect(throws: (any Error).self) {
            try BatchPlan(dataset: data, batchSize: 2, shuffle: false, seed: 0, dropLast: true).validate()
        }
    }

    @Test func normalisationAppliesPerChannelAndBlackFollowsIt() {
        var data = ImageDataset(source: "s", count: 1, channels: 2, height: 1, width: 1, pixels: .bytes([0, 255]),
                                labels: [0], classCount: 1, normalization: Normalization(mean: [0.5, 0.25], std: [0.5, 0.25]))
        var out: [Float] = [0, 0]
        data.writeImage(0, to: &out)
        #expect(out == [-1, 3])
        data.normalization = Normalization(mean: [0.5], std: [2])
        data.writeImage(0, to: &out)
        #expect(out == [-0.25, 0.25])
    }
}
