import PareCore

/// The fixed start of a `.npy` file and its parsed header: everything needed to find, size and
/// interpret the data that follows (formats.md §6.1, rules NP-01 … NP-05).
struct NpyLayout: Sendable {
    var version: UInt8
    var header: NpyHeader
    var element: NpyElement
    /// Where the data starts: magic + version + length field + header.
    var dataOffset: Int
    /// Element count and data bytes the header implies, overflow-checked.
    var count: Int64
    var dataBytes: Int64
    var diagnostics: [Diagnostic]

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Bytes of the fixed prefix (magic, version, length) for a version; nil for unknown ones.
    static func prefixLength(major: UInt8) -> Int? {
        switch major {
        case 1: 10
        case 2, 3: 12
        default: nil
        }
    }

    /// Reads the prefix and header at the start of `bytes`; `bytes` needs to hold at least the
    /// header (not the data). `maxHeader` caps the header length before it is read (NP-02).
    static func parse(_ bytes: UnsafeRawBufferPointer, maxHeader: Int, fail: (String, String, String?) -> PareError) throws -> NpyLayout {
        guard bytes.count >= 8, bytes.starts(with: magic) else {
            throw fail("NP-01", "the file does not start with the .npy magic \\x93NUMPY", nil)
        }
        let major = bytes[6], minor = bytes[7]
        guard let prefix = prefixLength(major: major), minor == 0 else {
            throw fail("NP-01", "unknown .npy version \(major).\(minor); versions 1.0, 2.0 and 3.0 exist", nil)
        }
        guard bytes.count >= prefix else { throw fail("NP-02", "the file ends inside the header length field", nil) }
        var h = 0
        for i in 8..<prefix { h |= Int(bytes[i]) << (8 * (i - 8)) }
        guard h <= maxHeader else {
            throw fail("NP-02", "the header is \(h) bytes, above the cap of \(maxHeader)", "NumPy refuses these too (max_header_size)")
        }
        guard h <= bytes.count - prefix else {
            throw fail("NP-02", "the \(h)-byte header runs past the end of the file (\(bytes.count) bytes)", "the file is truncated")
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[prefix..<(prefix + h)])
        let header: NpyHeader
        do {
            header = try NpyHeader.parse(text, utf8: major == 3)
        } catch {
            throw fail(error.rule, "\(error.message) (header byte \(prefix + error.offset))", nil)
        }
        let element: NpyElement
        switch NpyDescr.parse(header.descr) {
        case .success(let e): element = e
        case .failure(let e): throw fail("NP-04", e.message, e.hint)
        }
        guard let count = Checked.elementCount(header.shape),
              let dataBytes = Checked.multiply(count, Int64(element.itemSize)) else {
            throw fail("NP-05", "shape \(header.shape) of \(header.descr) overflows 64 bits", nil)
        }
        var layout = NpyLayout(version: major, header: header, element: element, dataOffset: prefix + h,
                               count: count, dataBytes: dataBytes, diagnostics: [])
        if layout.dataOffset % 64 != 0 {
            layout.note("NP-08", .info, "the data starts at byte \(layout.dataOffset), not on a 64-byte boundary")
        }
        if element.nativeOrder {
            layout.note("NP-04", .warning, "descr '\(header.descr)' uses native byte order '='; read as little-endian")
        }
        if element.bigEndian { layout.note("NP-09", .info, "big-endian data, converted to little-endian") }
        if layout.needsTranspose { layout.note("NP-10", .info, "Fortran-ordered data, transposed to row-major") }
        return layout
    }

    /// Column-major data differs from row-major only when two or more dims exceed 1.
    var needsTranspose: Bool { header.fortranOrder && header.shape.filter { $0 > 1 }.count > 1 }

    /// The data can be used as it is: little-endian and already row-major.
    var isDirect: Bool { !element.bigEndian && !needsTranspose }

    mutating func note(_ rule: String, _ severity: Diagnostic.Severity, _ message: String) {
        diagnostics.append(Diagnostic(rule, severity, at: "header", message))
    }
}
