import PareCore

/// Reads `.npz` archives (formats.md §6.4): every `name.npy` member becomes the tensor `name`;
/// other members are listed, not read. Stored and deflated members are supported.
///
/// Bomb defences, in order: the container limits of `ZipReader` (declared size cap, ratio cap,
/// total cap, overlap), then per member the `.npy` header is read first and the member's declared
/// size must equal header + data size it implies, and inflation is never allowed past that.
public enum NpzReader {
    public struct Options: Sendable {
        public var npy = NpyReader.Options()
        /// Cap on one member's declared uncompressed size (ZIP-12).
        public var maxMemberBytes: UInt64 = 64 << 30
        /// Cap on declared ÷ compressed size of a member (ZIP-12).
        public var maxCompressionRatio: UInt64 = 1000
        /// Cap on the declared uncompressed sizes of all members together (ZIP-12).
        public var maxTotalBytes: UInt64 = 64 << 30
        public init() {}
    }

    public static func read(path: String, options: Options = Options()) throws -> WeightSet {
        try load(path: path, options: options).weights
    }

    public static func load(path: String, options: Options = Options()) throws -> NumPyFile {
        let file = try MappedFile(path: path)
        // libzip reads the mapping during the whole call; only `bytes` is passed, so keep the
        // mapping alive explicitly (ARC may otherwise release it after its last use).
        return try withExtendedLifetime(file) { try load(file.bytes, path: path, options: options) }
    }

    /// Reads an archive held in `bytes`. Member data is copied out (libzip reads it), so the
    /// result does not depend on `bytes` staying alive.
    public static func load(_ bytes: UnsafeRawBufferPointer, path: String, options: Options = Options()) throws -> NumPyFile {
        let limits = ZipReader.Limits(maxEntryBytes: options.maxMemberBytes, maxRatio: options.maxCompressionRatio,
                                      maxTotalBytes: options.maxTotalBytes)
        let zip = try ZipReader(bytes, path: path, limits: limits)
        var set = WeightSet()
        var notes: [Diagnostic] = []
        for entry in zip.entries {
            guard entry.name.hasSuffix(".npy"), entry.name.count > 4 else {
                set.otherValues.append((name: entry.name, description: "non-array member of \(entry.size) bytes, not read"))
                // formats.md §6.4 has no rule id for this; NP-07 is the one for "extra content, ignored".
                notes.append(Diagnostic("NP-07", .warning, at: "entry \"\(entry.name)\"",
                                        "the member is not a .npy array and is ignored"))
                continue
            }
            let (tensor, memberNotes) = try member(entry, zip: zip, path: path, options: options)
            set.tensors.append(tensor)
            notes += memberNotes
        }
        return NumPyFile(weights: set, diagnostics: notes)
    }

    private static func member(_ entry: ZipReader.Entry, zip: ZipReader, path: String,
                               options: Options) throws -> (WeightTensor, [Diagnostic]) {
        let place = "entry \"\(entry.name)\""
        let fail = NpyReader.failure(path: path, place: place)
        let deflated = entry.method == 8
        let stream = try zip.open(entry)
        // The fixed prefix first (12 bytes covers every version), then exactly the header it
        // announces — never more than the cap — so a hostile member cannot make us inflate much.
        var head = try stream.read(count: 12)
        if head.count >= 10, let prefix = NpyLayout.prefixLength(major: head[6]) {
            var h = Int(head[8]) | Int(head[9]) << 8
            if prefix == 12, head.count >= 12 { h |= Int(head[10]) << 16 | Int(head[11]) << 24 }
            if h <= options.npy.maxHeaderBytes { head += try stream.read(count: max(0, prefix + h - head.count)) }
        }
        let layout = try head.withUnsafeBytes { try NpyLayout.parse($0, maxHeader: options.npy.maxHeaderBytes, fail: fail) }
        let (implied, overflow) = UInt64(layout.dataOffset).addingReportingOverflow(UInt64(layout.dataBytes))
        var notes = layout.diagnostics.map { d -> Diagnostic in var d = d; d.location = "\(place) → \(d.location)"; return d }
        if overflow || implied != entry.size {
            // A deflated member must inflate to exactly what its header implies (formats.md §6.4);
            // for a stored one the member size plays the part of the file size.
            if deflated || overflow {
                throw fail("ZIP-12", "the member declares \(entry.size) uncompressed bytes but its .npy header implies \(implied)", nil)
            }
            if implied > entry.size {
                throw fail("NP-06", "the header declares \(layout.dataBytes) data bytes but the member holds \(entry.size - UInt64(layout.dataOffset))", "the archive member is truncated")
            }
            notes.append(Diagnostic("NP-07", .warning, at: place, "\(entry.size - implied) byte(s) follow the array data and are ignored"))
        }
        let count = Int(layout.dataBytes)  // ≤ entry.size, which the limits bound
        // A header shorter than 2 bytes leaves part of the data in `head` already.
        let early = Array(head.dropFirst(layout.dataOffset).prefix(count))
        let raw = try TensorData(count: count) { buffer in
            early.withUnsafeBytes { buffer.copyMemory(from: $0) }
            let got = early.count + (try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[early.count...])))
            guard got == count else {
                throw fail("ZIP-12", "the member inflates to \(UInt64(layout.dataOffset) + UInt64(got)) bytes, fewer than the \(entry.size) it declares", nil)
            }
        }
        // Reading past the end makes libzip verify the CRC (ZIP-11); a byte more than declared
        // means the member inflates beyond its declared size (ZIP-12). Trailing bytes of a stored
        // member (at most its size, already bounded) are drained for the same CRC check.
        let extra = UInt64(max(0, head.count - layout.dataOffset - early.count))
        guard entry.size - implied >= extra else {
            throw fail("ZIP-12", "the member inflates beyond the \(entry.size) bytes it declares", nil)
        }
        var rest = entry.size - implied - extra
        while true {
            let chunk = try stream.read(count: Int(min(rest, 1 << 20)) + (rest <= 1 << 20 ? 1 : 0))
            if chunk.isEmpty { break }
            guard UInt64(chunk.count) <= rest else {
                throw fail("ZIP-12", "the member inflates beyond the \(entry.size) bytes it declares", nil)
            }
            rest -= UInt64(chunk.count)
        }
        let data = layout.isDirect ? raw : NpyConvert.tensorData(raw.bytes, layout, owner: nil)
        let tensor = WeightTensor(name: String(entry.name.dropLast(4)), dtype: layout.element.dtype,
                                  shape: layout.header.shape, data: data)
        return (tensor, notes)
    }
}
