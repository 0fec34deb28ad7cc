#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PareCore
import PareIR

/// Resolves external-data references of one model: each data file is opened once, through the
/// confined open of SEC-03 (relative path, no `..`, no symlink, canonical path inside the model's
/// folder, regular file with one hard link), mapped read-only, and tensors get zero-copy views.
public final class ExternalDataResolver: @unchecked Sendable {
    // Safety: used from one thread at a time by the reader, checker or writer that owns it.
    public let modelPath: String
    public let modelDirectory: String
    private var files: [String: MappedFile] = [:]

    public init(modelPath: String) {
        self.modelPath = modelPath
        self.modelDirectory = Self.absoluteDirectory(of: modelPath)
    }

    /// The bytes of an external tensor, validated against its declared size.
    public func bytes(of tensor: Tensor, place: String) throws -> TensorData {
        let (file, region) = try locate(tensor, place: place)
        return file.data(region)
    }

    /// The mapped data file and the tensor's region in it, after every path and bounds rule
    /// (ONNX-T03, E02, E03, E04, E05, E10, E11, SEC-03).
    public func locate(_ tensor: Tensor, place: String) throws -> (MappedFile, Range<Int>) {
        func fail(_ rule: String, _ msg: String, _ hint: String) -> PareError {
            PareError(.invalid, file: modelPath, place: place, "\(msg) (rule \(rule))", hint: hint)
        }
        var seen = Set<String>()
        for e in tensor.externalData {
            if let k = e.key, !seen.insert(k).inserted {
                throw fail("ONNX-E02", "external-data key '\(k)' appears twice", "keep one entry per key")
            }
        }
        if tensor.dtype == .string {
            throw fail("ONNX-E11", "a STRING tensor cannot be stored as external data", "store string tensors inline")
        }
        guard let location = tensor.externalValue("location"), !location.isEmpty else {
            throw fail("ONNX-T03", "external tensor has no 'location' entry", "add the data file name")
        }
        if location.hasPrefix("#") {
            throw fail("ONNX-E10", "external location '\(location)' is an in-memory placeholder and cannot be read from disk",
                       "save the model with its data files")
        }
        let path = try confinedPath(location, fail: fail)
        let file: MappedFile
        if let f = files[path] { file = f } else {
            do { file = try MappedFile(path: path) } catch let e as PareError {
                throw fail("ONNX-T03", "cannot open external data '\(location)': \(e.message)", "keep the data file next to the model")
            }
            files[path] = file
        }
        let offset = try Self.decimal(tensor.externalValue("offset"), key: "offset", fail: fail) ?? 0
        let size = Int64(file.count)
        guard offset <= size else {
            throw fail("ONNX-E04", "offset \(offset) lies beyond the end of '\(location)' (\(size) bytes)", "the data file is truncated or the offset is wrong")
        }
        let length = try Self.decimal(tensor.externalValue("length"), key: "length", fail: fail) ?? (size - offset)
        guard let end = Checked.add(offset, length), end <= size else {
            throw fail("ONNX-E04", "region offset \(offset) + length \(length) runs past the end of '\(location)' (\(size) bytes)",
                       "the data file is truncated or the entries are wrong")
        }
        if let n = tensor.elementCount, let dtype = tensor.dtype, let need = dtype.byteCount(elements: n), need != length {
            throw fail("ONNX-E05", "external region holds \(length) bytes but \(dtype) \(tensor.dims) needs \(need)",
                       "fix 'length' or the tensor's dims")
        }
        return (file, Int(offset)..<Int(end))
    }

    /// SEC-03: refuses absolute paths, `..`, symlinks and anything whose canonical path leaves the
    /// model's folder, and files that are not regular or have several hard links.
    func confinedPath(_ location: String, fail: (String, String, String) -> PareError) throws -> String {
        let hint = "external data must be a plain file inside the model's folder"
        if location.hasPrefix("/") || location.contains("\\") || location.contains(":") {
            throw fail("ONNX-T03", "external location '\(location)' is absolute", hint)
        }
        let parts = location.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains("..") || parts.isEmpty {
            throw fail("ONNX-T03", "external location '\(location)' leaves the model's folder", hint)
        }
        let path = modelDirectory + "/" + parts.joined(separator: "/")
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw fail("ONNX-T03", "external data file '\(location)' does not exist", "keep the data file next to the model")
        }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            throw fail("ONNX-T03", "external location '\(location)' is a symbolic link", hint)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw fail("ONNX-T03", "external location '\(location)' is not a regular file", hint)
        }
        if st.st_nlink > 1 {
            throw fail("ONNX-T03", "external data file '\(location)' has \(st.st_nlink) hard links", hint)
        }
        // A symlinked parent folder: compare canonical paths.
        guard let real = realpath(path, nil), let realDir = realpath(modelDirectory, nil) else {
            throw fail("ONNX-T03", "cannot resolve external location '\(location)'", hint)
        }
        defer { free(real); free(realDir) }
        let r = String(cString: real), d = String(cString: realDir)
        guard r.hasPrefix(d == "/" ? "/" : d + "/") else {
            throw fail("ONNX-T03", "external location '\(location)' resolves outside the model's folder", hint)
        }
        return path
    }

    /// ONNX-E03: a plain decimal integer (ASCII digits only, fits Int64).
    static func decimal(_ text: String?, key: String, fail: (String, String, String) -> PareError) throws -> Int64? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int64(text) else {
            throw fail("ONNX-E03", "external-data '\(key)' is '\(text)', not a non-negative decimal integer", "write plain digits")
        }
        return v
    }

    static func absoluteDirectory(of path: String) -> String {
        var dir = AtomicFileWriter.folder(of: path)
        if !dir.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: 4096)
            let cwd = getcwd(&buf, buf.count).map { _ in String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) } ?? "."
            dir = dir == "." ? cwd : cwd + "/" + dir
        }
        return dir
    }
}
