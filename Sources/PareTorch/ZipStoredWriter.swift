import PareCore

/// Writes a ZIP archive of stored (uncompressed) members the way PyTorch does: each member's data
/// starts on a 64-byte boundary, reached with an `FB` extra block in the local header (spec §5.1),
/// so readers — `torch.load(mmap=True)` and Pare itself — can map storages in place. Zip64
/// structures appear exactly when a size or offset reaches 4 GiB.
///
/// Written by hand rather than through libzip: libzip decides header placement itself when the
/// archive is closed, so the alignment padding could not be computed, and it would build the whole
/// archive in its own temporary file. Here the bytes stream through AtomicFileWriter (temporary
/// file in the destination folder, fsync, rename), and only the CRC-32 needs computing.
final class ZipStoredWriter {
    struct Written {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt64
        var offset: UInt64
    }

    private let out: AtomicFileWriter
    private var written: [Written] = []
    /// Forces Zip64 fields on every entry: lets tests exercise the 4 GiB code paths with tiny files.
    let forceZip64: Bool
    static let alignment: UInt64 = 64

    init(destination: String, forceZip64: Bool = false) throws {
        out = try AtomicFileWriter(destination: destination)
        self.forceZip64 = forceZip64
    }

    /// Drops the temporary file; the destination is untouched.
    func abandon() { out.abandon() }

    /// A tensor's storage: written file-to-file when it is a view into a mapped input (see
    /// `AtomicFileWriter.write(_: TensorData)`), then released from resident memory.
    func add(_ name: String, _ data: TensorData) throws {
        try add(name, data.bytes, payload: data)
        data.releaseResidentPages()
    }

    func add(_ name: String, _ data: UnsafeRawBufferPointer, payload: TensorData? = nil) throws {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        let offset = UInt64(out.offset)
        let size = UInt64(data.count)
        let zip64Sizes = forceZip64 || size >= 0xFFFF_FFFF
        var extra: [UInt8] = []
        if zip64Sizes {
            // In the local header the Zip64 block carries both sizes whenever either is saturated,
            // and it comes before the FB padding block, which is computed after it.
            extra += le16(0x0001) + le16(16) + le64(size) + le64(size)
        }
        let beforePad = offset + 30 + UInt64(nameBytes.count) + UInt64(extra.count) + 4
        let pad = (Self.alignment - beforePad % Self.alignment) % Self.alignment
        extra += [0x46, 0x42] + le16(UInt16(pad)) + [UInt8](repeating: 0x5A, count: Int(pad))
        var header: [UInt8] = le32(0x0403_4B50)
        header += le16(zip64Sizes ? 45 : 20)                  // version needed
        header += le16(0x0800)                                // flags: UTF-8 names
        header += le16(0) + le16(0) + le16(0x0021)            // stored; 1980-01-01 00:00, reproducible
        header += le32(crc)
        header += le32(zip64Sizes ? 0xFFFF_FFFF : UInt32(size)) + le32(zip64Sizes ? 0xFFFF_FFFF : UInt32(size))
        header += le16(UInt16(nameBytes.count)) + le16(UInt16(extra.count))
        try out.write(header + nameBytes + extra)
        if let payload { try out.write(payload) } else { try out.write(data) }
        written.append(Written(name: nameBytes, crc: crc, size: size, offset: offset))
    }

    /// Writes the central directory and end records, then moves the file into place.
    func finish() throws {
        let cdOffset = UInt64(out.offset)
        for w in written {
            let bigSize = forceZip64 || w.size >= 0xFFFF_FFFF
            let bigOffset = forceZip64 || w.offset >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if bigSize || bigOffset {
                var payload: [UInt8] = []
                if bigSize { payload += le64(w.size) + le64(w.size) }
                if bigOffset { payload += le64(w.offset) }
                extra = le16(0x0001) + le16(UInt16(payload.count)) + payload
            }
            var h: [UInt8] = le32(0x0201_4B50)
            h += le16(45) + le16(bigSize || bigOffset ? 45 : 20)  // made by, version needed
            h += le16(0x0800) + le16(0) + le16(0) + le16(0x0021)
            h += le32(w.crc)
            h += le32(bigSize ? 0xFFFF_FFFF : UInt32(w.size)) + le32(bigSize ? 0xFFFF_FFFF : UInt32(w.size))
            h += le16(UInt16(w.name.count)) + le16(UInt16(extra.count)) + le16(0)  // comment length
            h += le16(0) + le16(0) + le32(0)                                      // disk, attributes
            h += le32(bigOffset ? 0xFFFF_FFFF : UInt32(w.offset))
            try out.write(h + w.name + extra)
        }
        let cdEnd = UInt64(out.offset)
        let cdSize = cdEnd - cdOffset
        let count = UInt64(written.count)
        let needsZip64 = forceZip64 || count >= 0xFFFF || cdOffset >= 0xFFFF_FFFF || cdSize >= 0xFFFF_FFFF
        if needsZip64 {
            var r: [UInt8] = le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            r += le64(count) + le64(count) + le64(cdSize) + le64(cdOffset)
            r += le32(0x0706_4B50) + le32(0) + le64(cdEnd) + le32(1)  // locator → the record at cdEnd
            try out.write(r)
        }
        var e: [UInt8] = le32(0x0605_4B50) + le16(0) + le16(0)
        let n16 = needsZip64 ? 0xFFFF : UInt16(count)
        e += le16(n16) + le16(n16)
        e += le32(needsZip64 ? 0xFFFF_FFFF : UInt32(cdSize)) + le32(needsZip64 ? 0xFFFF_FFFF : UInt32(cdOffset))
        e += le16(0)
        try out.write(e)
        try out.commit()
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * $0)) & 0xFF) } }
