#if canImport(Glibc)
import Glibc
#endif
import PareCore

/// What `--data SPEC` names, and how it is loaded:
///
///   fashion-mnist            the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
///   fashion-mnist:DIR        the same four IDX files in DIR (gzip-compressed or not)
///   mnist:DIR                MNIST's four IDX files in DIR
///   npz:FILE                 arrays x, y (and optionally x_test, y_test), used as stored
///   cifar10:DIR, cifar100:DIR   the binary versions' batch files in DIR
public enum DatasetSpec: Sendable, Equatable {
    case idx(name: String, directory: String)
    case npz(path: String)
    case cifar(classes: Int, directory: String)

    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = parts[0].lowercased(), argument = parts.count > 1 ? parts[1] : nil
        switch (kind, argument) {
        case ("fashion-mnist", nil): self = .idx(name: "fashion-mnist", directory: Self.fashionMNISTDirectory)
        case ("fashion-mnist", let dir?), ("mnist", let dir?): self = .idx(name: kind, directory: dir)
        case ("npz", let file?): self = .npz(path: file)
        case ("cifar10", let dir?): self = .cifar(classes: 10, directory: dir)
        case ("cifar100", let dir?): self = .cifar(classes: 100, directory: dir)
        default:
            throw PareError(.usage, "unknown data set '\(text)'",
                            hint: "use fashion-mnist, fashion-mnist:DIR, mnist:DIR, npz:FILE, cifar10:DIR or cifar100:DIR")
        }
    }

    /// The mean and standard deviation commonly used for the named data set; nil for npz data,
    /// which is used as stored unless the user passes a normalisation.
    public var defaultNormalization: Normalization? {
        switch self {
        case .idx(name: "fashion-mnist", _): Normalization(mean: [0.2860], std: [0.3530])
        case .idx: Normalization(mean: [0.1307], std: [0.3081])
        case .cifar(classes: 10, _): Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        case .cifar: Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
        case .npz: nil
        }
    }

    /// Loads the training split and, when the data set has one, the test split, with the default
    /// normalisation (or `normalization` when given).
    public func load(normalization override: Normalization? = nil) throws -> (train: ImageDataset, test: ImageDataset?) {
        var (train, test) = try loadRaw()
        let normalization = override ?? defaultNormalization
        if let normalization {
            for count in [normalization.means.count, normalization.stds.count] where count != 1 && count != train.channels {
                throw PareError(.usage, "the normalisation has \(count) values but the images have \(train.channels) channels",
                                hint: "give one MEAN,STD pair, or one value per channel")
            }
        }
        train.normalization = normalization
        test?.normalization = normalization
        return (train, test)
    }

    private func loadRaw() throws -> (train: ImageDataset, test: ImageDataset?) {
        switch self {
        case let .idx(name, directory):
            return (try Self.idxSplit(name: name, directory: directory, prefix: "train"),
                    try Self.idxSplit(name: name, directory: directory, prefix: "t10k"))
        case let .npz(path):
            return try NpzDataset.read(path: path)
        case let .cifar(classes, directory):
            let trainFiles = classes == 10 ? (1...5).map { "data_batch_\($0).bin" } : ["train.bin"]
            let testFiles = classes == 10 ? ["test_batch.bin"] : ["test.bin"]
            return (try CIFARBinary.read(paths: trainFiles.map { try Self.existing(directory, $0, spec: self) },
                                         classes: classes, source: "cifar\(classes) train"),
                    try CIFARBinary.read(paths: testFiles.map { try Self.existing(directory, $0, spec: self) },
                                         classes: classes, source: "cifar\(classes) test"))
        }
    }

    private static func idxSplit(name: String, directory: String, prefix: String) throws -> ImageDataset {
        let spec = DatasetSpec.idx(name: name, directory: directory)
        let imagesPath = try existing(directory, "\(prefix)-images-idx3-ubyte", spec: spec, gzipOptional: true)
        let labelsPath = try existing(directory, "\(prefix)-labels-idx1-ubyte", spec: spec, gzipOptional: true)
        let images = try IDXFile.read(path: imagesPath), labels = try IDXFile.read(path: labelsPath)
        guard images.dims.count == 3 else {
            throw PareError(.invalid, file: imagesPath, "IDX images must have 3 axes (N, H, W), not \(images.dims)")
        }
        guard labels.dims == [images.dims[0]] else {
            throw PareError(.invalid, file: labelsPath, "has \(labels.dims) labels for \(images.dims[0]) images in \(imagesPath)")
        }
        if let bad = labels.values.firstIndex(where: { $0 >= 10 }) {
            throw PareError(.invalid, file: labelsPath, place: "label \(bad)", "label \(labels.values[bad]) is not one of the 10 classes")
        }
        return ImageDataset(source: "\(name) \(prefix == "train" ? "train" : "test")", count: images.dims[0], channels: 1,
                            height: images.dims[1], width: images.dims[2], pixels: .bytes(images.values),
                            labels: labels.values.map(Int32.init), classCount: 10)
    }

    /// `directory/name` (or `name.gz` when allowed) when it exists, else an error that says how to get it.
    private static func existing(_ directory: String, _ name: String, spec: DatasetSpec, gzipOptional: Bool = false) throws -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in gzipOptional ? [base + ".gz", base] : [base] where access(candidate, R_OK) == 0 {
            return candidate
        }
        let hint: String
        switch spec {
        case .idx(name: "fashion-mnist", directory: fashionMNISTDirectory):
            hint = "install the Debian package: apt-get install dataset-fashion-mnist"
        case .idx: hint = "DIR must hold the four IDX files (train-/t10k-images-idx3-ubyte, train-/t10k-labels-idx1-ubyte, optionally .gz)"
        case .cifar: hint = "DIR must hold the binary version's batch files"
        case .npz: hint = "check the path"
        }
        throw PareError(.io, file: base + (gzipOptional ? "[.gz]" : ""), "data file not found", hint: hint)
    }
}
