import PareCore

/// One member of a ZIP archive as Pare's own central-directory reader sees it, with the data
/// range already located through the **local** header (torch's alignment padding lives only
/// there, so the central directory alone cannot say where the data starts).
public struct ZipEntry: Sendable, Equatable {
    /// Position in the central directory (libzip numbers entries the same way).
    public var index: Int
    public var name: String
    public var flags: UInt16
    /// 0 = stored, 8 = deflate (ZIP-07 refuses anything else).
    public var method: UInt16
    public var crc32: UInt32
    public var compressedSize: Int
    public var uncompressedSize: Int
    public var localHeaderOffset: Int
    /// File offset of the first data byte.
    public var dataOffset: Int

    public var isStored: Bool { method == 0 }
    public var dataRange: Range<Int> { dataOffset..<(dataOffset + compressedSize) }
}

/// Little-endian integer reads at absolute offsets of a byte buffer. Every read is bounds-checked
/// and answers nil past the end, so a hostile offset can never reach memory outside the file.
struct LEBytes {
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }

    func u16(_ at: Int) -> UInt16? {
        guard at >= 0, at <= bytes.count - 2 else { return nil }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32? {
        guard at >= 0, at <= bytes.count - 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
        return v
    }

    func u64(_ at: Int) -> UInt64? {
        guard at >= 0, at <= bytes.count - 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }

    /// `n` bytes starting at `at`, or nil if they are not all inside the buffer.
    func slice(_ at: Int, _ n: Int) -> UnsafeRawBufferPointer? {
        guard at >= 0, n >= 0, at <= bytes.count, n <= bytes.count - at else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
    }
}

/// ZIP signatures (PKWARE APPNOTE), as little-endian u32 values.
enum ZipSignature {
    static let local: UInt32 = 0x0403_4B50
    static let central: UInt32 = 0x0201_4B50
    static let endOfCentralDirectory: UInt32 = 0x0605_4B50
    static let zip64Locator: UInt32 = 0x0706_4B50
    static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
}

/// The error every ZIP rule raises: one line naming the file, the place and the rule id.
func zipError(_ rule: String, _ path: String, _ place: String?, _ message: String, hint: String? = nil) -> PareError {
    PareError(.unreadable, file: path, place: place, "\(message) (rule \(rule))", hint: hint)
}
