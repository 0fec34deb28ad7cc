internal import CZlib
import PareCore

/// Decompresses a gzip stream (IDX data sets ship as `.gz`) with a cap on the output size, so a
/// crafted file cannot make Pare allocate without bound.
enum Gunzip {
    /// True when the bytes start with the gzip magic (1f 8b).
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    static func decompress(_ input: UnsafeRawBufferPointer, path: String, maxOutput: Int) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (CRC and length are verified by zlib).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw PareError(.io, file: path, "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(maxOutput, max(input.count * 4, 1 << 16)))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(input.count)
        while true {
            let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.avail_out))
            }
            output.append(contentsOf: chunk[0..<produced])
            if output.count > maxOutput {
                throw PareError(.invalid, file: path, "decompresses to more than \(maxOutput) bytes",
                                hint: "this is not a data set file Pare expects, or it is corrupt")
            }
            switch status {
            case Z_STREAM_END:
                return output
            case Z_OK:
                if produced == 0 && stream.avail_in == 0 {
                    throw PareError(.unreadable, file: path, place: "byte \(input.count)",
                                    "the gzip stream is truncated", hint: "download or copy the file again")
                }
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw PareError(.unreadable, file: path, place: "byte \(input.count)",
                                "the gzip stream is truncated", hint: "download or copy the file again")
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw PareError(.unreadable, file: path, place: "byte \(Int(stream.total_in))",
                                "corrupt gzip data (\(detail))", hint: "download or copy the file again")
            }
        }
    }
}
