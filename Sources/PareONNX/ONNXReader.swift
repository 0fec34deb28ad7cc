internal import COnnxProto
internal import CProtobufC
import PareCore
import PareIR

/// A model read from a file, with what the reader noticed on the way (findings that only the
/// bytes can show, such as names with NUL bytes).
public struct LoadedModel: Sendable {
    public var model: Model
    public var path: String
    /// Byte size of the model file.
    public var fileSize: Int
    public var readFindings: [Diagnostic]
}

/// Reads ONNX files. The bytes are memory-mapped; a bounded pre-scan validates the wire structure
/// (so protobuf-c never sees hostile nesting or lengths), large `raw_data` payloads are left in
/// the mapping as zero-copy views, and protobuf-c decodes the remaining structure.
public enum ONNXReader {
    /// Protobuf messages must stay under 2 GiB; bigger models need external data.
    static let maxInlineSize = Int(Int32.max)

    public static func read(path: String) throws -> LoadedModel {
        let file = try MappedFile(path: path)
        return try read(file.bytes, path: path, owner: file)
    }

    /// Decodes `bytes`; lifted tensor views keep `owner` alive.
    public static func read(_ bytes: UnsafeRawBufferPointer, path: String, owner: AnyObject) throws -> LoadedModel {
        guard bytes.count < maxInlineSize else {
            throw PareError(.unreadable, file: path, "the file is \(bytes.count) bytes; a protobuf message must be under 2 GiB",
                            hint: "store the weights as external data")
        }
        guard bytes.count > 0 else {
            throw PareError(.unreadable, file: path, "the file is empty", hint: "name an ONNX model file")
        }
        try rejectOtherFormats(bytes, path: path)
        let scan = try WireScan.scan(bytes, file: path)
        let lift = !scan.liftedRawData.isEmpty && !scan.markerCollision
        let lifted: [TensorData] = lift
            ? scan.liftedRawData.map { TensorData(view: UnsafeRawBufferPointer(rebasing: bytes[$0.payload]), owner: owner) }
            : []
        let model: Model = try {
            if lift {
                let skeleton = WireSkeleton(bytes: bytes, scan: scan).build()
                return try skeleton.withUnsafeBytes { try decode($0, path: path, lifted: lifted) }
            }
            return try decode(bytes, path: path, lifted: [])
        }()
        let findings = scan.badNames.map {
            Diagnostic($0.rule, .error, at: "byte \($0.offset)", $0.message, hint: "names must be UTF-8 text without NUL bytes")
        } + scan.repeatedSingulars.map {
            Diagnostic($0.rule, .warning, at: "byte \($0.offset)", $0.message, hint: "write each singular field once")
        }
        return LoadedModel(model: model, path: path, fileSize: bytes.count, readFindings: findings)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, lifted: [TensorData]) throws -> Model {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let proto = onnx__model_proto__unpack(nil, bytes.count, base) else {
            throw PareError(.unreadable, file: path, "protobuf decoding failed: a known field has the wrong wire type or an invalid value",
                            hint: "the file is not a valid ONNX model, or it is corrupt")
        }
        defer { onnx__model_proto__free_unpacked(proto, nil) }
        return ProtoDecoder(lifted: lifted).model(proto)
    }

    /// Content decides the format (docs/formats): say so when the file is something else entirely.
    static func rejectOtherFormats(_ b: UnsafeRawBufferPointer, path: String) throws {
        func starts(_ s: [UInt8]) -> Bool { b.count >= s.count && zip(b.prefix(s.count), s).allSatisfy { $0 == $1 } }
        let other: String? =
            starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) ? "a ZIP archive (a PyTorch checkpoint or .npz?)"
            : starts([0x93] + Array("NUMPY".utf8)) ? "a NumPy .npy array"
            : starts(Array("GGUF".utf8)) ? "a GGUF file"
            : starts(Array("version https://git-lfs".utf8)) ? "a Git LFS pointer, not the model itself"
            : starts(Array("<!DOCTYPE".utf8)) || starts(Array("<html".utf8)) ? "an HTML page (a failed download?)"
            : starts([0x80, 0x02]) ? "a Python pickle (a legacy PyTorch checkpoint?)"
            : looksLikeSafetensors(b) ? "a safetensors file"
            : nil
        if let other {
            throw PareError(.unreadable, file: path, "this is \(other), not an ONNX model", hint: "pass an .onnx file")
        }
    }

    static func looksLikeSafetensors(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count > 9 else { return false }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(b[i]) << (8 * UInt64(i)) }
        return n > 0 && n <= UInt64(b.count - 8) && b[8] == UInt8(ascii: "{")
    }
}
