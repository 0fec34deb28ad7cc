import ArgumentParser
import PareCore
import PareData
import PareRuntime

/// `--data` and what shapes the images on their way into the model, shared by train and eval.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The data set: fashion-mnist, fashion-mnist:DIR, mnist:DIR, npz:FILE, cifar10:DIR, cifar100:DIR.",
                               valueName: "SPEC"))
    var data: String
    @Option(help: ArgumentHelp("Normalise pixels with MEAN,STD (one pair, or one value per channel: M1,M2,M3,S1,S2,S3). "
                               + "Named data sets default to their usual values; npz data is used as stored.", valueName: "MEAN,STD"))
    var normalize: String?
    @Option(help: ArgumentHelp("Bring images to the model's input size: pad (centre on black) or resize (bilinear).", valueName: "pad|resize"))
    var fit: String?
    @Option(help: "Use only the first N training images (quick runs).") var limit: Int?
    @Option(help: "Use only the first N test images.") var testLimit: Int?

    func normalization() throws -> Normalization? {
        guard let normalize else { return nil }
        let values = normalize.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count >= 2, values.count % 2 == 0, values.allSatisfy({ $0 != nil }) else {
            throw PareError(.usage, place: "--normalize", "expected MEAN,STD numbers (or per-channel means then stds), got '\(normalize)'")
        }
        let v = values.map { $0! }, half = v.count / 2
        guard v.allSatisfy(\.isFinite) else { throw PareError(.usage, place: "--normalize", "means and standard deviations must be finite, got '\(normalize)'") }
        guard v[half...].allSatisfy({ $0 > 0 }) else { throw PareError(.usage, place: "--normalize", "standard deviations must be positive") }
        return Normalization(mean: Array(v[..<half]), std: Array(v[half...]))
    }

    /// Loads both splits, limited as asked.
    func load() throws -> (spec: DatasetSpec, train: ImageDataset, test: ImageDataset?) {
        guard (limit ?? 1) >= 1, (testLimit ?? 1) >= 1 else { throw PareError(.usage, "--limit and --test-limit must be at least 1") }
        let spec = try DatasetSpec(parsing: data)
        var (train, test) = try spec.load(normalization: try normalization())
        if let limit { train = train.prefix(limit) }
        if let testLimit { test = test?.prefix(testLimit) }
        return (spec, train, test)
    }

    /// How images meet an input of `dims` [N, C, H, W]: checked before any training, so a data
    /// set that does not fit the model is a one-line error, not a failure mid-run.
    func inputFit(for dataset: ImageDataset, input: GraphInput, model: String) throws -> InputFit {
        guard let dims = input.dims, dims.count == 4 else {
            throw PareError(.unsupported, file: model, place: "input '\(input.name)'",
                            "training and evaluation need an image input N×C×H×W, the model declares \(input.shapeText)")
        }
        if let c = dims[1], c != dataset.channels {
            throw PareError(.usage, file: model, place: "input '\(input.name)'",
                            "the model takes \(c)-channel images but \(dataset.source) has \(dataset.channels) channel(s)",
                            hint: "use a model made for this data set")
        }
        let h = dims[2] ?? dataset.height, w = dims[3] ?? dataset.width
        if h == dataset.height && w == dataset.width { return .none }
        switch fit {
        case "pad": return .pad(height: h, width: w)
        case "resize": return .resize(height: h, width: w)
        case nil:
            throw PareError(.usage, file: model, place: "input '\(input.name)'",
                            "the model takes \(h)×\(w) images but \(dataset.source) has \(dataset.height)×\(dataset.width)",
                            hint: "pass --fit pad or --fit resize to bring the images to the model's size")
        case let other?:
            throw PareError(.usage, place: "--fit", "unknown value '\(other)'", hint: "use pad or resize")
        }
    }
}
