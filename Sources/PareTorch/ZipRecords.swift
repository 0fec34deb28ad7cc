internal import CZip
import PareCore

/// The bytes of archive members. Stored members are read in place (a view of the mapped file, no
/// copy); deflated ones — which `torch.save` never writes but re-zipped archives may hold — are
/// inflated by libzip under the ZIP-12 caps.
struct ZipRecords {
    let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` alive for every view handed out.
    let owner: AnyObject
    let path: String

    /// Records at most this large are always CRC-checked (ZIP-11); bigger ones only on request,
    /// since checksumming a multi-gigabyte storage would defeat memory mapping.
    static let alwaysCheckedBytes = 1 << 20

    /// Largest declared-to-compressed ratio accepted when inflating (ZIP-12).
    static let maxInflationRatio = 1_000
    /// Absolute ceiling on an inflated size (ZIP-12), whatever the ratio.
    static let maxInflatedBytes = 64 << 30

    /// A zero-copy view of a stored member's data.
    func storedView(_ e: ZipEntry) -> TensorData {
        TensorData(view: UnsafeRawBufferPointer(rebasing: bytes[e.dataRange]), owner: owner)
    }

    /// Checks a member's CRC-32 against the central directory (ZIP-11).
    func verifyCRC(_ e: ZipEntry, _ data: UnsafeRawBufferPointer) throws {
        let crc = CRC32.checksum(data)
        guard crc == e.crc32 else {
            throw zipError("ZIP-11", path, "entry '\(e.name)'",
                           "CRC-32 is \(hex(crc)) but the directory records \(hex(e.crc32)); the data is corrupt")
        }
    }

    /// The whole content of a small member (data.pkl, byteorder, version), CRC-checked. `cap`
    /// bounds the size; exceeding it is an error under `capRule` before anything is allocated.
    func contents(_ e: ZipEntry, cap: Int, capRule: String) throws -> [UInt8] {
        // A decompression bomb is named as such (ZIP-12) before the record's own size limit applies.
        if !e.isStored { try checkInflationCaps(e) }
        guard e.uncompressedSize <= cap else {
            throw PareError(.unreadable, file: path, place: "entry '\(e.name)'",
                            "declares \(e.uncompressedSize) bytes, above the \(cap)-byte limit for this record (rule \(capRule))")
        }
        if e.isStored {
            let data = UnsafeRawBufferPointer(rebasing: bytes[e.dataRange])
            try verifyCRC(e, data)
            return Array(data)
        }
        return try inflate(e)
    }

    /// Inflates a deflated member through libzip, opened on the in-memory file. Refuses sizes
    /// above the caps up front and stops as soon as the output would exceed the declared size.
    func checkInflationCaps(_ e: ZipEntry) throws {
        let ratioCap = Self.maxInflationRatio.multipliedReportingOverflow(by: max(e.compressedSize, 1))
        guard e.uncompressedSize <= Self.maxInflatedBytes, ratioCap.overflow || e.uncompressedSize <= ratioCap.partialValue else {
            throw zipError("ZIP-12", path, "entry '\(e.name)'",
                           "declares \(e.uncompressedSize) bytes inflated from \(e.compressedSize): a decompression bomb",
                           hint: "at most \(Self.maxInflationRatio) times the compressed size is accepted")
        }
    }

    func inflate(_ e: ZipEntry) throws -> [UInt8] {
        let place = "entry '\(e.name)'"
        try checkInflationCaps(e)
        var err = zip_error_t()
        zip_error_init(&err)
        defer { zip_error_fini(&err) }
        guard let source = zip_source_buffer_create(bytes.baseAddress, zip_uint64_t(bytes.count), 0, &err) else {
            throw PareError(.unreadable, file: path, place: place, "libzip: \(String(cString: zip_error_strerror(&err)))")
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY, &err) else {
            zip_source_free(source)
            throw PareError(.unreadable, file: path, place: place, "libzip cannot open the archive: \(String(cString: zip_error_strerror(&err)))")
        }
        defer { zip_discard(archive) }
        // libzip must mean the same member as Pare's own directory reader (no parser differential).
        guard let raw = zip_get_name(archive, zip_uint64_t(e.index), zip_flags_t(ZIP_FL_ENC_RAW)),
              String(cString: raw) == e.name, let file = zip_fopen_index(archive, zip_uint64_t(e.index), 0) else {
            throw zipError("ZIP-05", path, place, "libzip does not see this entry at index \(e.index)")
        }
        defer { zip_fclose(file) }
        var out: [UInt8] = []
        out.reserveCapacity(e.uncompressedSize)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { zip_fread(file, $0.baseAddress!, zip_uint64_t($0.count)) }
            if n < 0 {
                let fe = zip_file_get_error(file)
                let rule = zip_error_code_zip(fe) == ZIP_ER_CRC ? "ZIP-11" : "ZIP-12"
                throw zipError(rule, path, place, "inflating failed: \(String(cString: zip_error_strerror(fe)))")
            }
            if n == 0 { break }
            guard out.count + Int(n) <= e.uncompressedSize else {
                throw zipError("ZIP-12", path, place, "inflates to more than the \(e.uncompressedSize) bytes it declares")
            }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        guard out.count == e.uncompressedSize else {
            throw zipError("ZIP-12", path, place, "inflates to \(out.count) bytes but declares \(e.uncompressedSize)")
        }
        try out.withUnsafeBytes { try verifyCRC(e, $0) }
        return out
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
