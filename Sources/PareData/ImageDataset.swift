/// Labelled images in memory, N×C×H×W. Byte images stay bytes (60,000 Fashion-MNIST images are
/// 47 MB as bytes, four times that as floats) and become normalised floats one batch at a time.
public struct ImageDataset: Sendable {
    public enum Pixels: Sendable {
        /// 0…255, scaled to 0…1 before normalisation.
        case bytes([UInt8])
        /// Used as stored, then normalised if a normalisation is set.
        case floats([Float])
    }

    /// Where the data came from, for messages ("fashion-mnist train", "data.npz").
    public var source: String
    public var count: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    public var pixels: Pixels
    public var labels: [Int32]
    /// Number of classes: the named data set's, or 1 + the largest label.
    public var classCount: Int
    public var normalization: Normalization?

    public init(source: String, count: Int, channels: Int, height: Int, width: Int, pixels: Pixels,
                labels: [Int32], classCount: Int, normalization: Normalization? = nil) {
        self.source = source; self.count = count; self.channels = channels
        self.height = height; self.width = width; self.pixels = pixels
        self.labels = labels; self.classCount = classCount; self.normalization = normalization
    }

    public var imageSize: Int { channels * height * width }

    /// Writes image `index` as normalised floats (C×H×W) to `out`.
    public func writeImage(_ index: Int, to out: UnsafeMutablePointer<Float>) {
        let size = imageSize, plane = height * width, base = index * size
        switch pixels {
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { src in
                // Divide (not multiply by 1/255) to equal torchvision's ToTensor bit for bit.
                for i in 0..<size { out[i] = Float(src[base + i]) / 255 }
            }
        case .floats(let floats):
            floats.withUnsafeBufferPointer { src in
                for i in 0..<size { out[i] = src[base + i] }
            }
        }
        guard let normalization else { return }
        for c in 0..<channels {
            let mean = normalization.mean(channel: c), scale = 1 / normalization.std(channel: c)
            for i in (c * plane)..<((c + 1) * plane) { out[i] = (out[i] - mean) * scale }
        }
    }

    /// The first `limit` images (a subset for quick runs and tests).
    public func prefix(_ limit: Int) -> ImageDataset {
        let n = min(limit, count)
        var copy = self
        copy.count = n
        copy.labels = Array(labels.prefix(n))
        switch pixels {
        case .bytes(let b): copy.pixels = .bytes(Array(b.prefix(n * imageSize)))
        case .floats(let f): copy.pixels = .floats(Array(f.prefix(n * imageSize)))
        }
        return copy
    }
}

/// Per-channel mean and standard deviation (one value applies to every channel).
public struct Normalization: Sendable, Equatable {
    public var means: [Float]
    public var stds: [Float]

    public init(mean: [Float], std: [Float]) { means = mean; stds = std }

    func mean(channel: Int) -> Float { means.count == 1 ? means[0] : means[channel] }
    func std(channel: Int) -> Float { stds.count == 1 ? stds[0] : stds[channel] }
}
