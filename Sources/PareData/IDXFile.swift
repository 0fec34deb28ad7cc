import PareCore

/// The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08 = unsigned byte,
/// the only type those data sets use), a rank byte, big-endian 32-bit extents, then the values.
/// Files may be gzip-compressed, as the Debian package ships them.
struct IDXFile {
    var dims: [Int]
    var values: [UInt8]

    /// The largest decompressed file accepted: the whole of (E)MNIST is well below this.
    static let maxBytes = 1 << 30

    static func read(path: String) throws -> IDXFile {
        let file = try MappedFile(path: path)
        let raw = file.bytes
        let bytes: [UInt8] = Gunzip.isGzip(raw)
            ? try Gunzip.decompress(raw, path: path, maxOutput: maxBytes)
            : Array(raw)
        return try parse(bytes, path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> IDXFile {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw PareError(.unreadable, file: path, place: "byte 0", "not an IDX file (the magic number must start with two zero bytes)",
                            hint: "give the MNIST-style *-idx3-ubyte / *-idx1-ubyte files, gzip-compressed or not")
        }
        guard bytes[2] == 0x08 else {
            throw PareError(.unsupported, file: path, place: "byte 2",
                            "IDX value type 0x\(String(bytes[2], radix: 16)) is not supported (only 0x08, unsigned bytes)")
        }
        let rank = Int(bytes[3])
        let header = 4 + 4 * rank
        guard rank >= 1, bytes.count >= header else {
            throw PareError(.unreadable, file: path, place: "byte 3", "IDX header is truncated or declares rank \(rank)")
        }
        var dims: [Int] = []
        var expected = 1
        for axis in 0..<rank {
            let o = 4 + 4 * axis
            let extent = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            dims.append(extent)
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= maxBytes else {
                throw PareError(.invalid, file: path, place: "byte \(o)", "IDX extents \(dims) describe more than \(maxBytes) values")
            }
            expected = product
        }
        guard bytes.count - header == expected else {
            throw PareError(.unreadable, file: path, place: "byte \(header)",
                            "IDX extents \(dims) need \(expected) bytes of values but the file has \(bytes.count - header)",
                            hint: "the file is truncated or corrupt; copy it again")
        }
        return IDXFile(dims: dims, values: Array(bytes[header...]))
    }
}
