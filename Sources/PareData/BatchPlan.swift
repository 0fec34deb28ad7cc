import PareCore

/// One batch of normalised images (N×C×H×W, row-major) and their labels.
public struct Batch: Sendable {
    public var images: [Float]
    public var labels: [Int32]
    /// Which dataset samples are in the batch, in order (for debugging and resume checks).
    public var indices: [Int]
    public var channels: Int
    public var height: Int
    public var width: Int

    public var count: Int { labels.count }
    public var shape: [Int] { [count, channels, height, width] }

    public init(images: [Float], labels: [Int32], indices: [Int], channels: Int, height: Int, width: Int) {
        self.images = images; self.labels = labels; self.indices = indices
        self.channels = channels; self.height = height; self.width = width
    }
}

/// Everything that decides which images go into which batch in which epoch. Batches are pure
/// functions of (plan, epoch, batch index): the epoch's order comes from a generator seeded with
/// (seed, epoch) and each sample's augmentation from (seed, epoch, sample), so a run resumed at
/// any batch, or prepared on another thread, sees exactly the same data.
public struct BatchPlan: Sendable {
    public var dataset: ImageDataset
    public var batchSize: Int
    public var shuffle: Bool
    public var seed: UInt64
    public var augmentation: Augmentation
    public var fit: InputFit
    /// Drop a last, smaller batch (training commonly does; evaluation never should).
    public var dropLast: Bool

    public init(dataset: ImageDataset, batchSize: Int, shuffle: Bool, seed: UInt64,
                augmentation: Augmentation = .none, fit: InputFit = .none, dropLast: Bool = false) {
        precondition(batchSize > 0, "batch size must be positive")
        self.dataset = dataset; self.batchSize = batchSize; self.shuffle = shuffle; self.seed = seed
        self.augmentation = augmentation; self.fit = fit; self.dropLast = dropLast
    }

    /// Rejects settings that cannot produce batches, with a message naming the setting.
    public func validate() throws {
        if case let .pad(h, w) = fit, h < dataset.height || w < dataset.width {
            throw PareError(.usage, "cannot pad \(dataset.source) images of \(dataset.height)×\(dataset.width) to \(h)×\(w)",
                            hint: "pad only to a larger size; use resize to shrink")
        }
        if case let .resize(h, w) = fit, h < 1 || w < 1 {
            throw PareError(.usage, "cannot resize images to \(h)×\(w)")
        }
        if dataset.count == 0 { throw PareError(.invalid, "\(dataset.source) has no images") }
        if dropLast && dataset.count < batchSize {
            throw PareError(.usage, "\(dataset.source) has \(dataset.count) images, fewer than one batch of \(batchSize)",
                            hint: "use a smaller --batch")
        }
    }

    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The output image size after fitting.
    public var outputSize: (channels: Int, height: Int, width: Int) {
        switch fit {
        case .none: (dataset.channels, dataset.height, dataset.width)
        case let .pad(h, w), let .resize(h, w): (dataset.channels, h, w)
        }
    }

    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<dataset.count) }
        var random = SeededRandom(seed: seed, stream: 0x5348_5546, UInt64(epoch))
        return random.permutation(dataset.count)
    }

    public func batch(epoch: Int, index: Int, order: [Int]) -> Batch {
        let start = index * batchSize, end = min(start + batchSize, dataset.count)
        let members = Array(order[start..<end])
        let source = (c: dataset.channels, h: dataset.height, w: dataset.width)
        let out = outputSize
        let inSize = source.c * source.h * source.w, outSize = out.channels * out.height * out.width
        let black = blackValues()
        var images = [Float](repeating: 0, count: members.count * outSize)
        var scratch = [Float](repeating: 0, count: inSize)
        images.withUnsafeMutableBufferPointer { dst in
            scratch.withUnsafeMutableBufferPointer { tmp in
                for (slot, sample) in members.enumerated() {
                    dataset.writeImage(sample, to: tmp.baseAddress!)
                    if !augmentation.isIdentity {
                        var random = SeededRandom(seed: seed, stream: 0x4155_4745, UInt64(epoch), UInt64(sample))
                        augmentation.apply(tmp.baseAddress!, channels: source.c, height: source.h, width: source.w,
                                           black: black, random: &random)
                    }
                    ImageFitting.fit(tmp.baseAddress!, channels: source.c, height: source.h, width: source.w,
                                     into: dst.baseAddress! + slot * outSize, fit: fit, black: black)
                }
            }
        }
        return Batch(images: images, labels: members.map { dataset.labels[$0] }, indices: members,
                     channels: out.channels, height: out.height, width: out.width)
    }

    /// A black pixel (0 before normalisation) per channel, after normalisation.
    private func blackValues() -> [Float] {
        (0..<dataset.channels).map { c in
            guard let n = dataset.normalization else { return 0 }
            return -n.mean(channel: c) / n.std(channel: c)
        }
    }
}
