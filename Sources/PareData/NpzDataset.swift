import PareCore
import PareNumPy

/// `npz:FILE` data sets: arrays `x` (N×C×H×W or N×H×W; uint8 or float) and `y` (integer labels),
/// and optionally `x_test`/`y_test` for the evaluation split. Data is used as stored: no
/// normalisation unless the user asks for one.
enum NpzDataset {
    static func read(path: String) throws -> (train: ImageDataset, test: ImageDataset?) {
        let set = try NpzReader.read(path: path)
        func array(_ name: String) -> WeightTensor? { set[name] }
        guard let x = array("x"), let y = array("y") else {
            let names = set.tensors.map(\.name).joined(separator: ", ")
            throw PareError(.invalid, file: path, "an npz data set needs arrays 'x' and 'y' (it has: \(names))",
                            hint: "save it with numpy.savez(FILE, x=images, y=labels)")
        }
        let train = try dataset(x: x, y: y, path: path, split: "train")
        var test: ImageDataset?
        if let xt = array("x_test"), let yt = array("y_test") {
            test = try dataset(x: xt, y: yt, path: path, split: "test")
            guard test!.imageSize == train.imageSize else {
                throw PareError(.invalid, file: path, "'x_test' images are \(test!.channels)×\(test!.height)×\(test!.width) but 'x' images are \(train.channels)×\(train.height)×\(train.width)")
            }
        }
        let classes = max(train.classCount, test?.classCount ?? 0)
        var trainOut = train
        trainOut.classCount = classes
        test?.classCount = classes
        return (trainOut, test)
    }

    private static func dataset(x: WeightTensor, y: WeightTensor, path: String, split: String) throws -> ImageDataset {
        let shape = x.shape.map(Int.init)
        let dims: (n: Int, c: Int, h: Int, w: Int)
        switch shape.count {
        case 3: dims = (shape[0], 1, shape[1], shape[2])
        case 4: dims = (shape[0], shape[1], shape[2], shape[3])
        default:
            throw PareError(.invalid, file: path, place: "array '\(x.name)'",
                            "images must be N×C×H×W or N×H×W, not \(shape)", hint: "reshape the array before saving it")
        }
        guard y.shape.count == 1, Int(y.shape[0]) == dims.n else {
            throw PareError(.invalid, file: path, place: "array '\(y.name)'",
                            "labels must be a vector of \(dims.n) entries (one per image), not \(y.shape)")
        }
        let labels = try integerLabels(y, path: path)
        let pixels: ImageDataset.Pixels
        switch x.dtype {
        case .uint8: pixels = .bytes(Array(x.data.bytes))
        case .float: pixels = .floats(copyValues(x.data.bytes, as: Float.self))
        case .double: pixels = .floats(copyValues(x.data.bytes, as: Double.self).map { Float($0) })
        default:
            throw PareError(.unsupported, file: path, place: "array '\(x.name)'",
                            "images of dtype \(x.dtype) are not supported", hint: "save them as uint8, float32 or float64")
        }
        let classes = Int(labels.max() ?? 0) + 1
        return ImageDataset(source: "\(path) (\(split))", count: dims.n, channels: dims.c, height: dims.h, width: dims.w,
                            pixels: pixels, labels: labels, classCount: classes)
    }

    private static func integerLabels(_ y: WeightTensor, path: String) throws -> [Int32] {
        let raw = y.data.bytes
        let values: [Int64]
        switch y.dtype {
        case .int64: values = copyValues(raw, as: Int64.self)
        case .int32: values = copyValues(raw, as: Int32.self).map(Int64.init)
        case .int16: values = copyValues(raw, as: Int16.self).map(Int64.init)
        case .int8: values = copyValues(raw, as: Int8.self).map(Int64.init)
        case .uint8: values = raw.map(Int64.init)
        case .uint16: values = copyValues(raw, as: UInt16.self).map(Int64.init)
        default:
            throw PareError(.unsupported, file: path, place: "array '\(y.name)'",
                            "labels of dtype \(y.dtype) are not supported", hint: "save labels as an integer array")
        }
        if let bad = values.firstIndex(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
            throw PareError(.invalid, file: path, place: "array '\(y.name)' entry \(bad)", "label \(values[bad]) is not a class index")
        }
        return values.map { Int32($0) }
    }

    /// Copies little-endian values out of bytes that may not be aligned for `T`.
    private static func copyValues<T: BitwiseCopyable>(_ raw: UnsafeRawBufferPointer, as: T.Type) -> [T] {
        let count = raw.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let base = raw.baseAddress {
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: count * MemoryLayout<T>.stride)
            }
            initialized = count
        }
    }
}
