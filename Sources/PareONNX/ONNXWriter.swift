internal import COnnxProto
internal import CProtobufC
import PareCore
import PareIR

/// Where tensor bytes go when writing.
public enum ExternalDataMode: Sendable {
    /// Keep each tensor where it was (inline stays inline, external stays external — in a new data
    /// file named after the output); switch large tensors to external data if the model would
    /// otherwise reach the 2 GiB protobuf limit.
    case keep
    /// Move every tensor of at least `ONNXWriteOptions.threshold` bytes into external data.
    case external
    /// Put every tensor inline (fails above 2 GiB).
    case inline
}

public struct ONNXWriteOptions: Sendable {
    public var externalData: ExternalDataMode = .keep
    /// Tensors smaller than this stay inline in external mode (the onnx library's default).
    public var threshold = 1024
    /// Offsets of external tensors are multiples of this, so the data file can be mapped.
    public var alignment: Int64 = 4096
    /// Above this estimated size `keep` switches large tensors to external data.
    public var inlineLimit: Int64 = 1_800_000_000
    public init() {}
}

public struct WriteSummary: Sendable {
    public var modelBytes: Int64
    public var dataFile: String?
    public var dataBytes: Int64
    public var externalTensors: Int
}

/// Writes ONNX files atomically and streams them: protobuf-c packs into a sink that writes through
/// a fixed buffer, and tensor payloads are referenced, not copied.
public enum ONNXWriter {
    public static func write(_ input: Model, to path: String, resolver: ExternalDataResolver?,
                             options: ONNXWriteOptions = ONNXWriteOptions()) throws -> WriteSummary {
        var model = input
        var mode = options.externalData
        if mode == .keep && estimatedSize(model) > options.inlineLimit { mode = .external }
        let dataName = AtomicFileWriter.baseName(of: path) + ".data"
        let dataPath = AtomicFileWriter.folder(of: path) + "/" + dataName
        var dataWriter: AtomicFileWriter?
        var externalCount = 0
        let streamed = try AtomicFileWriter.kind(of: path) == .stream
        do {
            try model.updateTensors { tensor, place in
                let wasExternal = tensor.isExternal
                let bytes: TensorData? = wasExternal
                    ? try requireResolver(resolver, path).bytes(of: tensor, place: place)
                    : tensor.rawData
                let goesExternal: Bool
                switch mode {
                case .inline: goesExternal = false
                case .keep: goesExternal = wasExternal
                case .external: goesExternal = wasExternal || (bytes?.count ?? 0) >= options.threshold
                }
                guard let bytes else { return }  // typed-field tensors stay as they are
                if goesExternal {
                    // OUT.data would be created beside a device (/dev/null.data) or a pipe.
                    guard !streamed else {
                        throw PareError(.usage, file: path, "is a device or pipe, and external data needs a regular file beside the model",
                                        hint: "write to a file, or pass --inline")
                    }
                    if dataWriter == nil { dataWriter = try AtomicFileWriter(destination: dataPath) }
                    let w = dataWriter!
                    try w.pad(toMultipleOf: options.alignment)
                    let offset = w.offset
                    try w.write(bytes.bytes)
                    tensor.rawData = nil
                    tensor.dataLocation = 1
                    tensor.externalData = [StringPair(key: "location", value: dataName),
                                           StringPair(key: "offset", value: String(offset)),
                                           StringPair(key: "length", value: String(bytes.count))]
                    externalCount += 1
                } else if wasExternal {
                    tensor.rawData = bytes
                    tensor.dataLocation = nil
                    tensor.externalData = []
                }
            }
            let dataBytes = dataWriter?.offset ?? 0
            try dataWriter?.commit()
            let modelBytes = try pack(model, to: path)
            return WriteSummary(modelBytes: modelBytes, dataFile: dataWriter == nil ? nil : dataPath,
                                dataBytes: dataBytes, externalTensors: externalCount)
        } catch {
            dataWriter?.abandon()
            throw error
        }
    }

    static func requireResolver(_ r: ExternalDataResolver?, _ path: String) throws -> ExternalDataResolver {
        guard let r else {
            throw PareError(.invalid, file: path, "the model references external data but no source folder is known",
                            hint: "read the model from a file")
        }
        return r
    }

    /// Upper bound of the inline serialized size: tensor payloads dominate, so count those.
    static func estimatedSize(_ model: Model) -> Int64 {
        var total: Int64 = 0
        model.forEachTensor { t, _ in
            if let raw = t.rawData { total += Int64(raw.count) }
            if t.isExternal, let n = t.elementCount, let b = t.dtype?.byteCount(elements: n) { total += b }
            total += Int64(t.floatData.count * 4 + t.int32Data.count * 5 + t.int64Data.count * 10
                           + t.doubleData.count * 8 + t.uint64Data.count * 10)
        }
        return total
    }

    /// Packs the model with protobuf-c straight into an atomic file writer.
    static func pack(_ model: Model, to path: String) throws -> Int64 {
        let arena = Arena()
        let proto = ProtoEncoder(arena: arena).model(model)
        let size = onnx__model_proto__get_packed_size(proto)
        guard size < Int(Int32.max) else {
            throw PareError(.invalid, file: path, "the model would be \(size) bytes; protobuf messages must be under 2 GiB",
                            hint: "write with --external-data")
        }
        let writer = try AtomicFileWriter(destination: path)
        // Large payloads that are views into a mapped input file are copied file-to-file.
        var fileBacked: [UInt: TensorData] = [:]
        model.forEachTensor { t, _ in
            if let raw = t.rawData, raw.count >= 1 << 16, raw.fileRegion != nil, let base = raw.bytes.baseAddress {
                fileBacked[UInt(bitPattern: base)] = raw
            }
        }
        let sink = StreamSink(writer: writer, fileBacked: fileBacked)
        let stride = MemoryLayout<ProtobufCBuffer>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: stride + MemoryLayout<UnsafeMutableRawPointer>.stride,
                                                   alignment: 16)
        defer { raw.deallocate() }
        let buffer = raw.bindMemory(to: ProtobufCBuffer.self, capacity: 1)
        buffer.pointee.append = { buf, len, data in
            let ctx = UnsafeMutableRawPointer(buf!).advanced(by: MemoryLayout<ProtobufCBuffer>.stride)
                .load(as: UnsafeMutableRawPointer.self)
            Unmanaged<StreamSink>.fromOpaque(ctx).takeUnretainedValue().append(UnsafeRawBufferPointer(start: data, count: len))
        }
        (raw + stride).storeBytes(of: Unmanaged.passUnretained(sink).toOpaque(), as: UnsafeMutableRawPointer.self)
        let written = withExtendedLifetime(model) {
            protobuf_c_message_pack_to_buffer(UnsafeRawPointer(proto).assumingMemoryBound(to: ProtobufCMessage.self), buffer)
        }
        if let error = sink.error { throw error }
        guard written == size else {
            writer.abandon()
            throw PareError(.io, file: path, "internal error: packed \(written) of \(size) bytes")
        }
        try writer.commit()
        return Int64(size)
    }
}

/// Receives protobuf-c's output; remembers the first write error (C cannot carry a Swift error),
/// after which further bytes are dropped and the file is abandoned.
final class StreamSink {
    let writer: AtomicFileWriter
    /// Tensor payloads backed by a mapped file, by address: protobuf-c appends a `bytes` field
    /// with the field's own pointer, so such a payload is recognised and copied in the kernel.
    let fileBacked: [UInt: TensorData]
    var error: Error?
    init(writer: AtomicFileWriter, fileBacked: [UInt: TensorData]) {
        self.writer = writer
        self.fileBacked = fileBacked
    }
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        do {
            if bytes.count >= 1 << 16, let base = bytes.baseAddress, let data = fileBacked[UInt(bitPattern: base)],
               data.count == bytes.count {
                try writer.write(data)
            } else {
                try writer.write(bytes)
            }
        } catch {
            self.error = error
            writer.abandon()
        }
    }
}
