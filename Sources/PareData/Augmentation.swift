import PareCore

/// Per-sample training augmentation, drawn from a generator seeded per (epoch, sample) so that a
/// resumed run and a background-prepared batch see exactly the same crops and flips.
public struct Augmentation: Sendable, Equatable {
    /// Random crop to the original size after padding every side by this many pixels (0: off).
    /// Padding is black (0 before normalisation), as torchvision's RandomCrop pads.
    public var cropPadding: Int
    /// Mirror left–right with probability 1/2.
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.cropPadding = cropPadding; self.horizontalFlip = horizontalFlip
    }

    public static let none = Augmentation()

    /// The usual recipe for a named data set: CIFAR crop 4 + flip, Fashion-MNIST crop 2 + flip,
    /// nothing for MNIST (a mirrored digit is another glyph) or for npz data (unknown content).
    public static func standard(for spec: DatasetSpec) -> Augmentation {
        switch spec {
        case .cifar: Augmentation(cropPadding: 4, horizontalFlip: true)
        case .idx(name: "fashion-mnist", _): Augmentation(cropPadding: 2, horizontalFlip: true)
        case .idx, .npz: .none
        }
    }

    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// Applies the augmentation to one C×H×W image in place; `black[c]` is channel c's value of a
    /// black pixel after normalisation.
    func apply(_ image: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int, black: [Float],
               random: inout SeededRandom) {
        let plane = height * width
        let dy = cropPadding > 0 ? random.below(2 * cropPadding + 1) - cropPadding : 0
        let dx = cropPadding > 0 ? random.below(2 * cropPadding + 1) - cropPadding : 0
        let flip = horizontalFlip && random.below(2) == 1
        guard dy != 0 || dx != 0 || flip else { return }
        let source = [Float](UnsafeBufferPointer(start: image, count: channels * plane))
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    let sy = y + dy, sxCropped = x + dx
                    let sx = flip ? (width - 1 - x) + dx : sxCropped
                    let inside = sy >= 0 && sy < height && sx >= 0 && sx < width
                    image[c * plane + y * width + x] = inside ? source[c * plane + sy * width + sx] : black[c]
                }
            }
        }
    }
}

/// How images are brought to the model's input size when they differ ("on request": the user
/// chooses, Pare never guesses).
public enum InputFit: Sendable, Equatable {
    case none
    /// Centre the image on a black canvas of this size (it must not be smaller).
    case pad(height: Int, width: Int)
    /// Bilinear resize (half-pixel centres, as torchvision's antialias-free resize).
    case resize(height: Int, width: Int)
}
