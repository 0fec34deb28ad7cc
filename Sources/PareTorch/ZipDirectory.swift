import PareCore

/// Pare's own reader of a ZIP central directory. libzip (1.7) does not expose where an entry's
/// data starts, and the checks that matter against hostile archives — local and central names
/// agreeing, data ranges not overlapping, sizes inside the file — need the raw structures anyway.
/// This reader only locates entries; inflating deflated members is left to libzip (ZipRecords).
public struct ZipDirectory: Sendable {
    public var entries: [ZipEntry]
    /// Where the central directory starts: every entry's data must end before it (ZIP-06).
    public var centralDirectoryOffset: Int
    /// Findings that do not stop reading (ZIP-09 non-UTF-8 flag, ZIP-13 extra bytes).
    public var diagnostics: [Diagnostic]

    /// Entry positions by name (unique: ZIP-10), so looking up one storage per tensor stays
    /// linear in the number of tensors.
    private var positions: [String: Int] = [:]

    public func entry(named name: String) -> ZipEntry? { positions[name].map { entries[$0] } }

    init(entries: [ZipEntry], centralDirectoryOffset: Int, diagnostics: [Diagnostic]) {
        self.entries = entries
        self.centralDirectoryOffset = centralDirectoryOffset
        self.diagnostics = diagnostics
        for (i, e) in entries.enumerated() { positions[e.name] = i }
    }

    /// Parses and validates the directory of `bytes` (the whole file).
    public static func read(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ZipDirectory {
        let b = LEBytes(bytes: bytes)
        var diagnostics: [Diagnostic] = []
        let end = try EndRecord.find(b, path: path, diagnostics: &diagnostics)
        let entries = try readCentralHeaders(b, end, path: path, diagnostics: &diagnostics)
        try checkLayout(entries, end, fileSize: b.count, path: path, diagnostics: &diagnostics)
        return ZipDirectory(entries: entries, centralDirectoryOffset: end.cdOffset, diagnostics: diagnostics)
    }

    /// Reads every central header and the local header it points at (ZIP-03…ZIP-05, ZIP-07…ZIP-10).
    static func readCentralHeaders(_ b: LEBytes, _ end: EndRecord, path: String,
                                   diagnostics: inout [Diagnostic]) throws -> [ZipEntry] {
        var entries: [ZipEntry] = []
        entries.reserveCapacity(end.entryCount)
        var seen = Set<String>()
        var at = end.cdOffset
        let cdEnd = end.cdOffset + end.cdSize
        for index in 0..<end.entryCount {
            let place = "central directory entry \(index) at byte \(at)"
            guard at + 46 <= cdEnd, b.u32(at) == ZipSignature.central,
                  let flags = b.u16(at + 8), let method = b.u16(at + 10), let crc = b.u32(at + 16),
                  let comp32 = b.u32(at + 20), let size32 = b.u32(at + 24), let nameLen = b.u16(at + 28),
                  let extraLen = b.u16(at + 30), let commentLen = b.u16(at + 32), let disk = b.u16(at + 34),
                  let offset32 = b.u32(at + 42) else {
                throw zipError("ZIP-03", path, place, "central directory header missing or cut short; \(index) of \(end.entryCount) declared entries read")
            }
            let next = at + 46 + Int(nameLen) + Int(extraLen) + Int(commentLen)
            guard next <= cdEnd, let nameBytes = b.slice(at + 46, Int(nameLen)),
                  let extra = b.slice(at + 46 + Int(nameLen), Int(extraLen)) else {
                throw zipError("ZIP-03", path, place, "central directory header runs past the directory's end")
            }
            var comp = UInt64(comp32), size = UInt64(size32), offset = UInt64(offset32)
            if comp32 == 0xFFFF_FFFF || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF || disk == 0xFFFF {
                guard let z = Zip64Extra.parse(extra, size: size32 == 0xFFFF_FFFF, compressed: comp32 == 0xFFFF_FFFF,
                                               offset: offset32 == 0xFFFF_FFFF) else {
                    throw zipError("ZIP-02", path, place, "saturated sizes without a valid Zip64 extra block")
                }
                size = z.size ?? size; comp = z.compressed ?? comp; offset = z.offset ?? offset
            }
            if disk != 0 && disk != 0xFFFF { throw zipError("ZIP-03", path, place, "entry on disk \(disk): multi-disk archives are not supported") }
            let name = try checkedName(nameBytes, flags: flags, path: path, place: place, diagnostics: &diagnostics)
            let entryPlace = "entry '\(name)'"
            if flags & 1 != 0 { throw zipError("ZIP-08", path, entryPlace, "entry is encrypted") }
            if method != 0 && method != 8 {
                throw zipError("ZIP-07", path, entryPlace, "compression method \(method) is not supported (only stored and deflate)")
            }
            if method == 0 && comp != size {
                throw zipError("ZIP-07", path, entryPlace, "stored entry declares \(comp) compressed but \(size) uncompressed bytes")
            }
            guard seen.insert(name).inserted else { throw zipError("ZIP-10", path, entryPlace, "two entries have this name") }
            guard comp <= UInt64(b.count), size <= UInt64(Int64.max), offset <= UInt64(b.count) else {
                throw zipError("ZIP-06", path, entryPlace, "declared sizes or offset exceed the file's \(b.count) bytes")
            }
            let dataOffset = try localDataOffset(b, Int(offset), name: nameBytes, path: path, place: entryPlace)
            entries.append(ZipEntry(index: index, name: name, flags: flags, method: method, crc32: crc,
                                    compressedSize: Int(comp), uncompressedSize: Int(size),
                                    localHeaderOffset: Int(offset), dataOffset: dataOffset))
            at = next
        }
        guard at == cdEnd else {
            throw zipError("ZIP-03", path, "byte \(at)", "the central directory holds \(cdEnd - at) bytes after its \(end.entryCount) declared entries")
        }
        return entries
    }

    /// Validates the local header at `offset` and answers where its data begins (ZIP-04, ZIP-05).
    static func localDataOffset(_ b: LEBytes, _ offset: Int, name: UnsafeRawBufferPointer, path: String,
                                place: String) throws -> Int {
        guard offset <= b.count - 30, b.u32(offset) == ZipSignature.local, let flags = b.u16(offset + 6),
              let nameLen = b.u16(offset + 26), let extraLen = b.u16(offset + 28) else {
            throw zipError("ZIP-04", path, place, "no local file header at byte \(offset)")
        }
        if flags & 1 != 0 { throw zipError("ZIP-08", path, place, "entry is encrypted") }
        guard let localName = b.slice(offset + 30, Int(nameLen)), localName.elementsEqual(name) else {
            throw zipError("ZIP-05", path, place, "the local header at byte \(offset) names a different entry than the central directory",
                           hint: "two ZIP readers would see different files; the archive was tampered with")
        }
        return offset + 30 + Int(nameLen) + Int(extraLen)
    }

    /// Decodes and checks an entry name (ZIP-09): UTF-8, no NUL, no leading `/`, no backslash, no
    /// `..` component. Pare never extracts to disk, but ambiguous names are how archives lie.
    static func checkedName(_ raw: UnsafeRawBufferPointer, flags: UInt16, path: String, place: String,
                            diagnostics: inout [Diagnostic]) throws -> String {
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw zipError("ZIP-09", path, place, "entry name is not valid UTF-8")
        }
        let shown = "'\(name.replacingNUL())'"
        if raw.contains(0) { throw zipError("ZIP-09", path, place, "entry name \(shown) contains a NUL byte") }
        if name.hasPrefix("/") { throw zipError("ZIP-09", path, place, "entry name \(shown) is an absolute path") }
        if name.contains("\\") { throw zipError("ZIP-09", path, place, "entry name \(shown) contains a backslash") }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw zipError("ZIP-09", path, place, "entry name \(shown) contains a '..' component")
        }
        if raw.contains(where: { $0 >= 0x80 }) && flags & 0x0800 == 0 {
            diagnostics.append(Diagnostic("ZIP-09", .warning, at: place, "non-ASCII entry name \(shown) without the UTF-8 flag"))
        }
        return name
    }

    /// Data ranges inside the file, before the central directory and pairwise disjoint (ZIP-06),
    /// and no unexplained bytes before the first entry (ZIP-13).
    static func checkLayout(_ entries: [ZipEntry], _ end: EndRecord, fileSize: Int, path: String,
                            diagnostics: inout [Diagnostic]) throws {
        var spans: [(start: Int, end: Int, name: String)] = []
        for e in entries {
            let (dataEnd, overflow) = e.dataOffset.addingReportingOverflow(e.compressedSize)
            guard !overflow, dataEnd <= end.cdOffset else {
                throw zipError("ZIP-06", path, "entry '\(e.name)'", "data (byte \(e.dataOffset), \(e.compressedSize) bytes) runs past the start of the central directory at byte \(end.cdOffset)")
            }
            spans.append((e.localHeaderOffset, dataEnd, e.name))
        }
        spans.sort { $0.start < $1.start }
        for (a, b) in zip(spans, spans.dropFirst()) where b.start < a.end {
            throw zipError("ZIP-06", path, "entry '\(b.name)'", "overlaps entry '\(a.name)' (the trick behind non-recursive zip bombs)")
        }
        if let first = spans.first?.start, first > 0 {
            diagnostics.append(Diagnostic("ZIP-13", .warning, at: "byte 0", "\(first) bytes before the first local header"))
        } else if spans.isEmpty && end.cdOffset > 0 {
            diagnostics.append(Diagnostic("ZIP-13", .warning, at: "byte 0", "\(end.cdOffset) bytes before the central directory"))
        }
    }
}

extension String {
    /// The string with NUL characters made visible, for error messages.
    func replacingNUL() -> String { String(self.map { $0 == "\0" ? "␀" : $0 }) }
}
