internal import CZip
import PareCore

/// The model and weights formats Pare recognises by content.
public enum FileFormat: String, Sendable {
    case onnx, safetensors, pytorch, torchscript, npy, npz, gguf, legacyPyTorch, gitLFSPointer, html, zip, unknown

    public var displayName: String {
        switch self {
        case .onnx: "ONNX model"
        case .safetensors: "safetensors file"
        case .pytorch: "PyTorch checkpoint (zip)"
        case .torchscript: "TorchScript archive"
        case .npy: "NumPy .npy array"
        case .npz: "NumPy .npz archive"
        case .gguf: "GGUF file"
        case .legacyPyTorch: "legacy (pre-1.6) PyTorch checkpoint"
        case .gitLFSPointer: "Git LFS pointer (not the file itself)"
        case .html: "HTML page (a failed download?)"
        case .zip: "ZIP archive of unknown content"
        case .unknown: "unrecognised file"
        }
    }
}

/// Detects a file's format from its first bytes and, for ZIP containers, its member names —
/// never from the extension (see docs/formats: detection order).
public enum FormatDetector {
    public static func detect(path: String) throws -> FileFormat {
        let file = try MappedFile(path: path)
        let b = file.bytes
        func starts(_ s: [UInt8]) -> Bool { b.count >= s.count && zip(b.prefix(s.count), s).allSatisfy { $0 == $1 } }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return try zipKind(path) }
        if starts([0x93] + Array("NUMPY".utf8)) { return .npy }
        if starts(Array("GGUF".utf8)) { return .gguf }
        if starts([0x80, 0x02]) { return .legacyPyTorch }
        if starts(Array("version https://git-lfs.github.com/spec/".utf8)) { return .gitLFSPointer }
        let trimmed = b.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.starts(with: Array("<!DOCTYPE".utf8)) || trimmed.starts(with: Array("<html".utf8)) { return .html }
        if b.count > 9 {
            var n: UInt64 = 0
            for i in 0..<8 { n |= UInt64(b[i]) << (8 * UInt64(i)) }
            if n > 0, n <= UInt64(b.count - 8) {
                let header = b[8...].drop { $0 == 0x20 }
                if header.first == UInt8(ascii: "{") { return .safetensors }
            }
        }
        return b.first == 0x08 ? .onnx : .unknown
    }

    /// Member names of a ZIP archive, read with libzip.
    public static func zipEntries(_ path: String) throws -> [String] {
        var err: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &err) else {
            throw PareError(.unreadable, file: path, "not a readable ZIP archive (libzip error \(err))",
                            hint: "the file may be truncated")
        }
        defer { zip_discard(archive) }
        let count = zip_get_num_entries(archive, 0)
        var names: [String] = []
        for i in 0..<max(count, 0) {
            if let n = zip_get_name(archive, zip_uint64_t(i), 0) { names.append(String(cString: n)) }
        }
        return names
    }

    static func zipKind(_ path: String) throws -> FileFormat {
        let names = try zipEntries(path)
        if names.contains(where: { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }) {
            return names.contains(where: { $0.hasSuffix("/constants.pkl") || $0.contains("/code/") }) ? .torchscript : .pytorch
        }
        if !names.isEmpty && names.allSatisfy({ $0.hasSuffix(".npy") }) { return .npz }
        return .zip
    }

    /// libzip's version, reported by `pare version`.
    public static var zipLibraryVersion: String { String(cString: zip_libzip_version()) }
}
