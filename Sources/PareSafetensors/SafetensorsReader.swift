import PareCore

/// A safetensors file as read: its weights (zero-copy views into the mapping where alignment
/// allows) and what the reader noticed on the way.
public struct SafetensorsFile: Sendable {
    public var weights: WeightSet
    /// Warnings and infos (ST-13 … ST-16); errors are thrown.
    public var diagnostics: [Diagnostic]
    /// `N`, the header length; the data buffer starts at `8 + N`.
    public var headerLength: Int
}

/// Reads safetensors files (formats.md §4). Every check of the reference reader is made, in its
/// order, plus Pare's additions (duplicate keys and the others of §4.3). Sizes are checked before
/// anything is allocated from them, and all arithmetic on values from the file is overflow-checked.
public enum SafetensorsReader {
    public struct Options: Sendable {
        /// Cap on `N` (ST-02). The reference hard-codes 100,000,000; rare real files exceed it.
        public var maxHeaderBytes: UInt64 = 100_000_000
        /// Unknown members in tensor entries (ST-15) become errors.
        public var strict = false
        public init() {}
    }

    public static func read(path: String, options: Options = Options()) throws -> WeightSet {
        try load(path: path, options: options).weights
    }

    public static func load(path: String, options: Options = Options()) throws -> SafetensorsFile {
        let file = try MappedFile(path: path)
        return try load(file.bytes, path: path, owner: file, options: options)
    }

    /// Reads a whole file held in `bytes`; tensors view those bytes and keep `owner` alive.
    public static func load(_ bytes: UnsafeRawBufferPointer, path: String, owner: AnyObject,
                            options: Options = Options()) throws -> SafetensorsFile {
        func fail(_ rule: String, _ place: String, _ message: String, hint: String? = nil) -> PareError {
            PareError(.unreadable, file: path, place: place, "\(message) (rule \(rule))", hint: hint)
        }
        let size = bytes.count
        guard size >= 8 else {
            throw fail("ST-01", "byte 0", "the file has \(size) byte(s); a safetensors file starts with an 8-byte header length",
                       hint: impostorHint(bytes) ?? "the file is empty or truncated")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        // ST-02 and ST-03 come before the header is touched: a hostile N must not cause an allocation.
        guard n <= options.maxHeaderBytes else {
            if let what = impostorHint(bytes) { throw fail("ST-02", "bytes 0-7", "this is not a safetensors file: \(what)") }
            throw fail("ST-02", "bytes 0-7", "the header length \(n) exceeds the cap of \(options.maxHeaderBytes) bytes",
                       hint: "the file is probably not safetensors; legitimate headers this large need a higher cap")
        }
        guard n <= UInt64(size - 8) else {
            throw fail("ST-03", "bytes 0-7", "the header length \(n) runs past the end of the \(size)-byte file",
                       hint: impostorHint(bytes) ?? "the file is truncated")
        }
        let headerLength = Int(n)
        let dataStart = 8 + headerLength
        let header = try SafetensorsHeader.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]),
                                                 path: path, strict: options.strict)
        let entries = header.entries
        // The reference sorts entries by data_offsets before checking; JSON order breaks ties, so
        // zero-size tensors sharing an offset keep the order they were written in.
        let order = entries.indices.sorted {
            (entries[$0].begin, entries[$0].end, $0) < (entries[$1].begin, entries[$1].end, $1)
        }
        var covered: UInt64 = 0
        for i in order {
            let e = entries[i]
            let place = "tensor \"\(e.name)\""
            if e.end < e.begin {
                throw fail("ST-06", place, "data_offsets [\(e.begin), \(e.end)] end before they begin")
            }
            if e.begin != covered {
                let detail = e.begin > covered
                    ? "leaves a gap of \(e.begin - covered) byte(s) after offset \(covered)"
                    : "overlaps the previous tensor, which ends at offset \(covered)"
                throw fail("ST-06", place, "data_offsets [\(e.begin), \(e.end)] \(detail); tensors must be back to back from 0")
            }
            covered = e.end
            let bytesNeeded = try byteSize(e, fail: { fail($0, place, $1) })
            if e.end - e.begin != bytesNeeded {
                throw fail("ST-09", place, "data_offsets span \(e.end - e.begin) bytes but \(e.dtypeName) \(e.shape) needs \(bytesNeeded)")
            }
        }
        let available = UInt64(size - dataStart)
        guard covered == available else {
            let detail = covered < available
                ? "\(available - covered) byte(s) follow the last tensor (a polyglot file?)"
                : "the tensors need \(covered) bytes but only \(available) follow the header (the file is truncated)"
            throw fail("ST-10", "data buffer (byte \(dataStart))", detail)
        }
        var tensors: [WeightTensor] = []
        tensors.reserveCapacity(order.count)
        for i in order {
            let e = entries[i]
            guard let dtype = e.type.dtype else {
                throw PareError(.unsupported, file: path, place: "tensor \"\(e.name)\"",
                                "dtype \(e.dtypeName) is valid safetensors but Pare has no 6-bit float type")
            }
            let start = dataStart + Int(e.begin)
            let view = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(e.end - e.begin))])
            tensors.append(WeightTensor(name: e.name, dtype: dtype, shape: e.shape.map { Int64($0) },
                                        data: tensorData(view, elementBytes: e.type.bits / 8, owner: owner)))
        }
        return SafetensorsFile(weights: WeightSet(tensors: tensors, metadata: header.metadata),
                               diagnostics: header.diagnostics, headerLength: headerLength)
    }

    /// `count × bits / 8` for an entry (ST-07, ST-08). Dims must also fit Int64, Pare's shape type —
    /// stricter than the reference only for zero-size tensors with a dim of 2^63 or more.
    static func byteSize(_ e: SafetensorsEntry, fail: (String, String) -> PareError) throws -> UInt64 {
        var count: UInt64 = 1
        for d in e.shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o, d <= UInt64(Int64.max) else {
                throw fail("ST-07", "shape \(e.shape) overflows: the element count does not fit 64 bits")
            }
            count = c
        }
        let (bits, o) = count.multipliedReportingOverflow(by: UInt64(e.type.bits))
        guard !o, bits / 8 <= UInt64(Int64.max) else {
            throw fail("ST-07", "shape \(e.shape) of \(e.dtypeName) overflows: its size in bits does not fit 64 bits")
        }
        guard bits % 8 == 0 else {
            throw fail("ST-08", "\(count) element(s) of \(e.dtypeName) do not fill whole bytes (\(bits) bits)")
        }
        return bits / 8
    }

    /// A view of the tensor's bytes, or an aligned copy when the bytes sit at an address that is
    /// not a multiple of the element size (files whose writer did not pad the header): consumers
    /// read tensors as typed arrays, which needs natural alignment (formats.md §4.4).
    static func tensorData(_ view: UnsafeRawBufferPointer, elementBytes: Int, owner: AnyObject) -> TensorData {
        if elementBytes > 1, let base = view.baseAddress, Int(bitPattern: base) % elementBytes != 0 {
            return TensorData(copying: view)
        }
        return TensorData(view: view, owner: owner)
    }

    /// What the bytes are when they are recognisably something else (formats.md §0.3), so that the
    /// error says "Git LFS pointer" rather than "header too large".
    static func impostorHint(_ b: UnsafeRawBufferPointer) -> String? {
        func starts(_ s: String) -> Bool { b.starts(with: Array(s.utf8)) }
        if starts("version https://git-lfs.github.com/spec/") {
            return "it is a Git LFS pointer, not the file itself; fetch it with `git lfs pull`"
        }
        if b.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "it is a ZIP archive (a PyTorch checkpoint or .npz?)" }
        if b.starts(with: [0x93] + Array("NUMPY".utf8)) { return "it is a NumPy .npy file" }
        if starts("GGUF") { return "it is a GGUF file" }
        if b.starts(with: [0x80]) { return "it looks like a pickle (a legacy PyTorch checkpoint?)" }
        let text = b.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if text.starts(with: Array("<!DOCTYPE".utf8)) || text.starts(with: Array("<html".utf8)) {
            return "it is an HTML page (a failed download?)"
        }
        return nil
    }
}
