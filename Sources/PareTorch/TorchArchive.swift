import PareCore

/// The archive-level rules of a PyTorch zip checkpoint (spec §5.1, §5.8): one top-level folder,
/// `data.pkl`, `byteorder`, `version`, and the `data/<key>` storage records the pickle names.
struct TorchArchive {
    let directory: ZipDirectory
    let records: ZipRecords
    let options: TorchReadOptions
    let prefix: String
    let bigEndian: Bool
    var diagnostics: [Diagnostic] = []
    /// Storages loaded so far, by key (a key named twice is one storage, as in PyTorch).
    private var storages: [String: TorchStorage] = [:]
    /// Storage records whose data is not 64-byte aligned (PT-08), reported once at the end.
    private var unaligned = Set<String>()
    private var reportedLocations = Set<String>()

    var path: String { records.path }

    init(directory: ZipDirectory, records: ZipRecords, options: TorchReadOptions) throws {
        self.directory = directory
        self.records = records
        self.options = options
        let path = records.path
        diagnostics = directory.diagnostics
        guard let first = directory.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw PareError(.unreadable, file: path, "the archive's first entry is not inside a folder (rule PT-01)",
                            hint: "torch.save puts every record under one top-level folder")
        }
        let prefix = String(first.name[..<slash])
        self.prefix = prefix
        if let stray = directory.entries.first(where: { !$0.name.hasPrefix(prefix + "/") }) {
            throw PareError(.unreadable, file: path, place: "entry '\(stray.name)'",
                            "file in archive is not in the '\(prefix)/' folder of the first entry (rule PT-01)")
        }
        let names = Set(directory.entries.map(\.name))
        if names.contains("\(prefix)/constants.pkl") || names.contains(where: { $0.hasPrefix("\(prefix)/code/") }) {
            throw PareError(.unsupported, file: path,
                            "a TorchScript archive (torch.jit.save), which Pare does not read and never runs (rule PT-11)",
                            hint: "load it in Python and save model.state_dict() with torch.save")
        }
        guard directory.entry(named: "\(prefix)/data.pkl") != nil else {
            throw PareError(.unreadable, file: path, "no '\(prefix)/data.pkl' record: not a PyTorch checkpoint (rule PT-02)")
        }
        bigEndian = try Self.byteOrder(directory, records, prefix: prefix, diagnostics: &diagnostics)
        try Self.checkVersion(directory, records, prefix: prefix, diagnostics: &diagnostics)
    }

    /// The pickle program, CRC-checked and within the pickle size limit.
    func pickle() throws -> [UInt8] {
        try records.contents(directory.entry(named: "\(prefix)/data.pkl")!, cap: options.limits.pickleBytes, capRule: "PK-06")
    }

    /// `byteorder`: `little` or `big`; absent means little (PT-03).
    static func byteOrder(_ d: ZipDirectory, _ r: ZipRecords, prefix: String, diagnostics: inout [Diagnostic]) throws -> Bool {
        guard let e = d.entry(named: "\(prefix)/byteorder") else {
            diagnostics.append(Diagnostic("PT-03", .info, at: "\(prefix)/byteorder", "no byteorder record; storages read as little-endian"))
            return false
        }
        let text = String(decoding: try r.contents(e, cap: 64, capRule: "PT-03"), as: UTF8.self)
        switch text.trimmingWhitespace() {
        case "little": return false
        case "big": return true
        default:
            throw PareError(.unreadable, file: r.path, place: e.name, "byteorder is '\(text.prefix(64))', neither 'little' nor 'big' (rule PT-03)")
        }
    }

    /// `version` (or `.data/version`): a decimal number, normally 3 (PT-04).
    static func checkVersion(_ d: ZipDirectory, _ r: ZipRecords, prefix: String, diagnostics: inout [Diagnostic]) throws {
        guard let e = d.entry(named: "\(prefix)/version") ?? d.entry(named: "\(prefix)/.data/version") else {
            diagnostics.append(Diagnostic("PT-04", .warning, at: "\(prefix)/version", "no version record"))
            return
        }
        let text = String(decoding: try r.contents(e, cap: 64, capRule: "PT-04"), as: UTF8.self).trimmingWhitespace()
        guard let v = Int(text), v >= 0 else {
            throw PareError(.unreadable, file: r.path, place: e.name, "version is '\(text.prefix(64))', not a decimal number (rule PT-04)")
        }
        if v != 3 { diagnostics.append(Diagnostic("PT-04", .info, at: e.name, "archive version \(v); torch.save writes 3")) }
    }

    /// The storage a persistent id names: its record must exist (PT-05), be stored (PT-07) and
    /// hold exactly numel × itemsize bytes (PT-06). Throws PickleFailure so the error carries
    /// the pickle offset.
    mutating func storage(_ q: StorageRequest) throws -> PickleValue {
        if let s = storages[q.key], s.storageClass == q.storageClass, s.numel == q.numel { return .storage(s) }
        let name = "\(prefix)/data/\(q.key)"
        guard !q.key.isEmpty, !q.key.contains("/"), !q.key.contains("\\"), q.key != "..", q.key != ".",
              let e = directory.entry(named: name) else {
            throw PickleFailure("PT-05", "storage key '\(q.key.replacingNUL().prefix(200))' has no '\(prefix)/data/<key>' record")
        }
        guard e.isStored else {
            throw PickleFailure("PT-07", "storage record '\(name)' is compressed; PyTorch writes storages stored")
        }
        guard let item = q.storageClass.itemSize, let expected = Checked.multiply(q.numel, Int64(item)),
              expected == Int64(e.uncompressedSize) else {
            throw PickleFailure("PT-06", "storage record '\(name)' holds \(e.uncompressedSize) bytes but the pickle declares \(q.numel) × \(q.storageClass.itemSize ?? 0) bytes (\(q.className))")
        }
        if e.dataOffset % 64 != 0 { unaligned.insert(name) }
        if q.location != "cpu", reportedLocations.insert(q.location).inserted {
            diagnostics.append(Diagnostic("PT-13", .info, at: name, "storage saved from '\(q.location.prefix(64))'; read to CPU memory"))
        }
        let data = records.storedView(e)
        if options.verifyStorageCRC || e.compressedSize <= ZipRecords.alwaysCheckedBytes {
            let crc = CRC32.checksum(data.bytes)
            guard crc == e.crc32 else {
                throw PickleFailure("ZIP-11", "CRC-32 of '\(name)' is \(hex(crc)) but the directory records \(hex(e.crc32)); the data is corrupt")
            }
        }
        let s = TorchStorage(key: q.key, storageClass: q.storageClass, location: q.location, numel: q.numel,
                             record: data, bigEndian: bigEndian)
        storages[q.key] = s
        return .storage(s)
    }

    /// Findings about the storage records as a whole, once the pickle has named the ones it uses:
    /// records no tensor uses (PT-05) and records that are not 64-byte aligned (PT-08).
    func storageSummary() -> [Diagnostic] {
        let dataPrefix = "\(prefix)/data/"
        var out: [Diagnostic] = []
        let unused = directory.entries.filter { $0.name.hasPrefix(dataPrefix) && storages[String($0.name.dropFirst(dataPrefix.count))] == nil }
        if !unused.isEmpty {
            out.append(Diagnostic("PT-05", .info, at: dataPrefix, "\(unused.count) storage records no tensor uses: " + list(unused.map(\.name))))
        }
        if !unaligned.isEmpty {
            out.append(Diagnostic("PT-08", .info, at: dataPrefix, "\(unaligned.count) storage records are not 64-byte aligned and are read by copying where needed: " + list(unaligned.sorted())))
        }
        return out
    }

    private func list(_ names: [String]) -> String {
        names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let ws: Set<Character> = [" ", "\n", "\r", "\t", "\r\n"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s = s.dropFirst() }
        while let l = s.last, ws.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
