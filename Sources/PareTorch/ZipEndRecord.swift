import PareCore

/// The end-of-central-directory record, with Zip64 values substituted where the classic fields
/// are saturated: where the central directory is and how many entries it declares.
struct EndRecord {
    var entryCount: Int
    var cdOffset: Int
    var cdSize: Int
    /// Offset of the first structure after the central directory (the Zip64 record or the EOCD).
    var directoryEnd: Int

    /// Finds the EOCD in the last 65,557 bytes (ZIP-01) and follows Zip64 structures (ZIP-02),
    /// checking the directory's position and declared count against the file (ZIP-03).
    static func find(_ b: LEBytes, path: String, diagnostics: inout [Diagnostic]) throws -> EndRecord {
        let size = b.count
        let lowest = max(0, size - 65_557)
        var eocd = -1
        var at = size - 22
        // The last candidate whose comment fits exactly wins; a signature inside the comment of a
        // real record (or inside data) is skipped because its comment length would not fit.
        while at >= lowest {
            if b.u32(at) == ZipSignature.endOfCentralDirectory, let c = b.u16(at + 20), at + 22 + Int(c) <= size {
                eocd = at
                break
            }
            at -= 1
        }
        guard eocd >= 0 else {
            throw zipError("ZIP-01", path, nil,
                           "file truncated or not a ZIP: no end-of-central-directory record in the last \(size - lowest) of \(size) bytes",
                           hint: "the download may be incomplete")
        }
        let disk = b.u16(eocd + 4)!, cdDisk = b.u16(eocd + 6)!
        let onDisk = b.u16(eocd + 8)!, total = b.u16(eocd + 10)!
        let cdSize32 = b.u32(eocd + 12)!, cdOffset32 = b.u32(eocd + 16)!, commentLen = b.u16(eocd + 20)!
        let trailing = size - (eocd + 22 + Int(commentLen))
        if trailing > 0 {
            diagnostics.append(Diagnostic("ZIP-13", .warning, at: "byte \(size - trailing)", "\(trailing) bytes after the end-of-central-directory record"))
        }
        var record = EndRecord(entryCount: Int(total), cdOffset: Int(cdOffset32), cdSize: Int(cdSize32), directoryEnd: eocd)
        var disks = (UInt64(disk), UInt64(cdDisk), UInt64(onDisk), UInt64(total))
        if disk == 0xFFFF || cdDisk == 0xFFFF || onDisk == 0xFFFF || total == 0xFFFF
            || cdSize32 == 0xFFFF_FFFF || cdOffset32 == 0xFFFF_FFFF {
            let z = try zip64(b, eocd: eocd, path: path)
            record = EndRecord(entryCount: 0, cdOffset: 0, cdSize: 0, directoryEnd: z.at)
            disks = (UInt64(z.disk), UInt64(z.cdDisk), z.onDisk, z.total)
            guard z.total <= UInt64(size), z.cdOffset <= UInt64(size), z.cdSize <= UInt64(size) else {
                throw zipError("ZIP-02", path, "byte \(z.at)", "Zip64 record declares values beyond the file's \(size) bytes")
            }
            record.entryCount = Int(z.total); record.cdOffset = Int(z.cdOffset); record.cdSize = Int(z.cdSize)
        }
        guard disks.0 == 0, disks.1 == 0, disks.2 == disks.3 else {
            throw zipError("ZIP-03", path, "byte \(eocd)", "multi-disk archive (disk \(disks.0), directory on disk \(disks.1))")
        }
        guard record.cdOffset + record.cdSize <= record.directoryEnd else {
            throw zipError("ZIP-03", path, "byte \(eocd)",
                           "central directory (byte \(record.cdOffset), \(record.cdSize) bytes) extends past byte \(record.directoryEnd); file truncated? (\(size) bytes)")
        }
        // Each header takes at least 46 bytes: a count the directory cannot hold is refused
        // before anything is allocated for it.
        guard record.entryCount <= record.cdSize / 46 else {
            throw zipError("ZIP-03", path, "byte \(eocd)", "\(record.entryCount) entries declared in a \(record.cdSize)-byte central directory")
        }
        return record
    }

    struct Zip64Values { var at: Int; var disk: UInt32; var cdDisk: UInt32; var onDisk: UInt64; var total: UInt64; var cdSize: UInt64; var cdOffset: UInt64 }

    /// The Zip64 locator just before the EOCD and the record it points at (ZIP-02).
    static func zip64(_ b: LEBytes, eocd: Int, path: String) throws -> Zip64Values {
        let loc = eocd - 20
        guard loc >= 0, b.u32(loc) == ZipSignature.zip64Locator, let recordAt = b.u64(loc + 8),
              let totalDisks = b.u32(loc + 16) else {
            throw zipError("ZIP-02", path, "byte \(eocd)", "saturated end-of-directory fields but no Zip64 locator before them")
        }
        guard recordAt <= UInt64(loc), UInt64(loc) - recordAt >= 56,
              b.u32(Int(recordAt)) == ZipSignature.zip64EndOfCentralDirectory,
              let recordSize = b.u64(Int(recordAt) + 4), recordSize >= 44, recordSize <= UInt64(loc) - recordAt - 12 else {
            throw zipError("ZIP-02", path, "byte \(loc)", "the Zip64 locator points at byte \(recordAt), where no valid Zip64 record lies")
        }
        let r = Int(recordAt)
        guard totalDisks <= 1 else { throw zipError("ZIP-03", path, "byte \(loc)", "multi-disk archive (\(totalDisks) disks)") }
        return Zip64Values(at: r, disk: b.u32(r + 16)!, cdDisk: b.u32(r + 20)!, onDisk: b.u64(r + 24)!,
                           total: b.u64(r + 32)!, cdSize: b.u64(r + 40)!, cdOffset: b.u64(r + 48)!)
    }
}

/// The Zip64 extended-information extra block (ID 0x0001): 64-bit values for exactly the
/// central-header fields that are saturated, in the order uncompressed, compressed, offset.
struct Zip64Extra {
    var size: UInt64?
    var compressed: UInt64?
    var offset: UInt64?

    static func parse(_ extra: UnsafeRawBufferPointer, size: Bool, compressed: Bool, offset: Bool) -> Zip64Extra? {
        let b = LEBytes(bytes: extra)
        var at = 0
        while at + 4 <= b.count {
            let id = b.u16(at)!, len = Int(b.u16(at + 2)!)
            guard at + 4 + len <= b.count else { return nil }
            if id == 0x0001 {
                var r = Zip64Extra(), p = at + 4
                let end = at + 4 + len
                if size { guard p + 8 <= end else { return nil }; r.size = b.u64(p); p += 8 }
                if compressed { guard p + 8 <= end else { return nil }; r.compressed = b.u64(p); p += 8 }
                if offset { guard p + 8 <= end else { return nil }; r.offset = b.u64(p) }
                return r
            }
            at += 4 + len
        }
        return nil
    }
}
