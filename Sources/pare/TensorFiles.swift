import Foundation
import PareCore
import PareEngine
import PareIR
import PareNumPy
import PareONNX
import PareRuntime

/// Input and output files of `pare run`: .npy arrays and serialized TensorProto (.pb) files.
enum TensorFiles {
    /// Reads `NAME=FILE` feeds, checking each file's element type against the model's input.
    static func feeds(_ options: [String], session: InferenceSession) throws -> [String: DenseTensor] {
        var feeds: [String: DenseTensor] = [:]
        for option in options {
            let (name, path) = try pair(option)
            guard let input = session.inputs.first(where: { $0.name == name }) else {
                throw PareError(.usage, place: "input '\(name)'", "the model has no such input",
                                hint: "its inputs are: \(session.inputs.map(\.name).joined(separator: ", "))")
            }
            guard feeds[name] == nil else { throw PareError(.usage, place: "input '\(name)'", "given twice") }
            let stored = try read(path)
            guard stored.dtype == input.dtype else {
                throw PareError(.usage, file: path, place: "input '\(name)'",
                                "holds \(stored.dtype?.name.lowercased() ?? "unknown") data; the model expects \(input.dtype.name.lowercased())",
                                hint: "convert the array, e.g. numpy's .astype(np.\(numpyName(input.dtype)))")
            }
            feeds[name] = try DenseTensor(stored, place: "input '\(name)'")
        }
        return feeds
    }

    /// Splits one `--input NAME=FILE`.
    static func pair(_ option: String) throws -> (name: String, path: String) {
        let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw PareError(.usage, "'\(option)' is not NAME=FILE", hint: "e.g. --input input=image.npy")
        }
        return (parts[0], parts[1])
    }

    static func numpyName(_ t: DType) -> String {
        switch t {
        case .float: "float32"
        case .double: "float64"
        case .float16: "float16"
        case .int64: "int64"
        case .int32: "int32"
        case .uint8: "uint8"
        case .bool: "bool_"
        default: t.name.lowercased()
        }
    }

    /// A stored tensor from .npy or .pb (decided by content: .npy files start with "\x93NUMPY").
    static func read(_ path: String) throws -> PareIR.Tensor {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PareError(.unreadable, file: path, "no such file")
        }
        // Mapped, not opened as a FileHandle: that refuses FIFOs and devices instead of blocking on them.
        let mapped = try MappedFile(path: path)
        let head = withExtendedLifetime(mapped) { Array(mapped.bytes.prefix(6)) }
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
            let set = try NpyReader.read(path: path)
            let w = set.tensors[0]
            return PareIR.Tensor(name: w.name, type: w.dtype, dims: w.shape, raw: w.data)
        }
        return try ONNXReader.readTensor(path: path)
    }

    /// Writes one output as .npy: float32, int64 or bool, as the engine computed it.
    static func write(_ t: DenseTensor, name: String, to path: String) throws {
        let data: TensorData
        let dtype: DType
        switch t.values {
        case .float(let b):
            dtype = .float
            data = TensorData(copying: UnsafeRawBufferPointer(start: b.pointer, count: 4 * t.count))
        case .int64(let v):
            dtype = .int64
            data = v.withUnsafeBytes { TensorData(copying: $0) }
        case .bool(let v):
            dtype = .bool
            data = TensorData(copying: v.map { $0 ? UInt8(1) : 0 })
        }
        try NpyWriter.write(WeightTensor(name: name, dtype: dtype, shape: t.shape.map { Int64($0) }, data: data), to: path)
    }

    /// A file name for an output value: its name with path separators and odd characters replaced.
    static func fileName(for output: String) -> String {
        let safe = output.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" }
        let name = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return (name.isEmpty ? "output" : name) + ".npy"
    }
}
