import PareCore

/// Arrays read from a `.npy` or `.npz` file, with what the reader noticed on the way.
public struct NumPyFile: Sendable {
    public var weights: WeightSet
    /// Warnings and infos (NP-07 … NP-10, non-array `.npz` members); errors are thrown.
    public var diagnostics: [Diagnostic]
}

/// Reads `.npy` files (formats.md §6.1–6.3): every numeric dtype, either byte order, C or
/// Fortran order, versions 1.0–3.0. Object arrays and structured dtypes are refused (NP-04), and
/// the header is parsed by a literal parser that never evaluates anything.
public enum NpyReader {
    public struct Options: Sendable {
        /// Header cap (NP-02); NumPy's `max_header_size` default.
        public var maxHeaderBytes = 10_000
        public init() {}
    }

    /// Reads the array of a `.npy` file; the tensor is named after the file (`w.npy` → `w`).
    public static func read(path: String, options: Options = Options()) throws -> WeightSet {
        try load(path: path, options: options).weights
    }

    public static func load(path: String, options: Options = Options()) throws -> NumPyFile {
        let file = try MappedFile(path: path)
        let (tensor, notes) = try array(file.bytes, name: tensorName(fromPath: path), path: path, owner: file,
                                        options: options)
        return NumPyFile(weights: WeightSet(tensors: [tensor]), diagnostics: notes)
    }

    /// One array from a whole `.npy` image in `bytes`. With an `owner`, LE row-major data is viewed
    /// in place; without one it is copied.
    public static func array(_ bytes: UnsafeRawBufferPointer, name: String, path: String, owner: AnyObject?,
                             place: String? = nil, options: Options = Options()) throws -> (WeightTensor, [Diagnostic]) {
        let fail = failure(path: path, place: place)
        let layout = try NpyLayout.parse(bytes, maxHeader: options.maxHeaderBytes, fail: fail)
        let available = Int64(bytes.count - layout.dataOffset)
        guard available >= layout.dataBytes else {
            throw fail("NP-06", "the header declares \(layout.dataBytes) data bytes (\(layout.header.descr) \(layout.header.shape)) but the file holds \(available)", "the file is truncated")
        }
        var notes = layout.diagnostics
        if available > layout.dataBytes {
            notes.append(Diagnostic("NP-07", .warning, at: place ?? "data",
                                    "\(available - layout.dataBytes) byte(s) follow the array data and are ignored"))
        }
        let start = layout.dataOffset
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(layout.dataBytes))])
        let tensor = WeightTensor(name: name, dtype: layout.element.dtype, shape: layout.header.shape,
                                  data: NpyConvert.tensorData(raw, layout, owner: owner))
        return (tensor, notes)
    }

    /// `dir/w.npy` → `w`; a name without the extension is kept whole.
    static func tensorName(fromPath path: String) -> String {
        let base = AtomicFileWriter.baseName(of: path)
        return base.hasSuffix(".npy") && base.count > 4 ? String(base.dropLast(4)) : base
    }

    /// Builds errors that name the file, the place and the rule: `fail(rule, message, hint)`.
    static func failure(path: String, place: String?) -> (String, String, String?) -> PareError {
        { rule, message, hint in
            let kind: PareError.Kind = rule == "NP-04" ? .unsupported : .unreadable
            return PareError(kind, file: path, place: place, "\(message) (rule \(rule))", hint: hint)
        }
    }
}
