import PareCore

/// A bounded, iterative walk over the protobuf wire bytes of a `ModelProto`, run before protobuf-c
/// sees them. protobuf-c recurses once per nested message without a depth limit and accepts NUL
/// bytes inside strings; this pass refuses hostile structure first (SEC-07 depth, malformed
/// varints, lengths past the end, wire types 3/4/6/7) and records names that are not clean UTF-8.
/// It also finds the large `raw_data` payloads so the reader can leave them in the mapped file.
struct WireScan {
    static let maxDepth = 100
    /// `raw_data` payloads at least this long stay in the mapped file instead of being copied.
    static let liftThreshold = 1024

    struct Finding { var rule: String; var offset: Int; var message: String }

    /// Offsets (of the field tag) and payload ranges of lifted `raw_data` fields, in file order.
    var liftedRawData: [(tagStart: Int, payload: Range<Int>)] = []
    /// Names or keys that are not valid UTF-8 or contain NUL (ONNX-X18).
    var badNames: [Finding] = []
    /// Non-repeated fields that occur more than once (ONNX-X19).
    var repeatedSingulars: [Finding] = []
    /// True when a TensorProto already uses the field number the reader uses for its marker.
    var markerCollision = false

    static func scan(_ bytes: UnsafeRawBufferPointer, file: String) throws -> WireScan {
        var result = WireScan()
        // Each frame: the message type, where its bytes end, and which singular fields (numbers
        // below 64, which covers every ONNX singular field) it has seen.
        var stack: [(type: WireMessage, end: Int, seen: UInt64)] = [(.model, bytes.count, 0)]
        var pos = 0
        while let top = stack.last {
            if pos == top.end {
                stack.removeLast()
                continue
            }
            let tagStart = pos
            guard let tag = readVarint(bytes, &pos, limit: top.end) else {
                throw malformed(file, tagStart, "malformed field tag in \(top.type.protoName)")
            }
            let field = UInt32(truncatingIfNeeded: tag >> 3)
            let wire = UInt8(tag & 7)
            guard field != 0, tag >> 3 <= 0x1FFF_FFFF else {
                throw malformed(file, tagStart, "invalid field number \(tag >> 3) in \(top.type.protoName)")
            }
            if field < 64 && !top.type.isRepeated(field) {
                let bit = UInt64(1) << field
                if top.seen & bit != 0 && result.repeatedSingulars.count < 100 {
                    result.repeatedSingulars.append(Finding(rule: "ONNX-X19", offset: tagStart,
                        message: "field \(field) of \(top.type.protoName) occurs more than once; protobuf keeps the last value (or merges messages)"))
                }
                stack[stack.count - 1].seen |= bit
            }
            switch wire {
            case 0:
                guard readVarint(bytes, &pos, limit: top.end) != nil else {
                    throw malformed(file, tagStart, "malformed varint in field \(field) of \(top.type.protoName)")
                }
                if top.type == .tensor && field == WireMarker.fieldNumber { result.markerCollision = true }
            case 1, 5:
                let width = wire == 1 ? 8 : 4
                guard top.end - pos >= width else {
                    throw malformed(file, tagStart, "field \(field) of \(top.type.protoName) runs past the end of its message")
                }
                pos += width
            case 2:
                guard let len = readVarint(bytes, &pos, limit: top.end), len <= UInt64(top.end - pos) else {
                    throw malformed(file, tagStart, "length of field \(field) of \(top.type.protoName) runs past the end of its message",
                                    hint: "the file is truncated or corrupt")
                }
                guard len < 0x8000_0000 else {
                    throw malformed(file, tagStart, "field \(field) of \(top.type.protoName) is 2 GiB or longer")
                }
                let payload = pos..<(pos + Int(len))
                if let child = top.type.child(field) {
                    guard stack.count < maxDepth else {
                        throw PareError(.unreadable, file: file, place: "byte \(tagStart)",
                                        "messages nested deeper than \(maxDepth) levels (rule SEC-07)",
                                        hint: "the file is malformed or malicious; ONNX runtimes refuse it too")
                    }
                    stack.append((child, payload.upperBound, 0))
                    continue  // descend: pos already points at the child's first byte
                }
                if top.type.isName(field) && !isCleanName(bytes, payload) {
                    result.badNames.append(Finding(rule: "ONNX-X18", offset: tagStart,
                        message: "a name in field \(field) of \(top.type.protoName) is not valid UTF-8 or contains a NUL byte"))
                }
                if top.type == .tensor && field == 9 && payload.count >= liftThreshold {
                    result.liftedRawData.append((tagStart, payload))
                }
                pos = payload.upperBound
            default:
                throw malformed(file, tagStart, "wire type \(wire) in field \(field) of \(top.type.protoName) (protobuf groups and types 6/7 are not valid ONNX)")
            }
        }
        return result
    }

    static func malformed(_ file: String, _ offset: Int, _ message: String, hint: String = "the file is not a valid ONNX model, or it is truncated or corrupt") -> PareError {
        PareError(.unreadable, file: file, place: "byte \(offset)", message, hint: hint)
    }

    /// Reads a varint of at most 10 bytes whose 10th byte holds only the lowest bit.
    @inline(__always)
    static func readVarint(_ b: UnsafeRawBufferPointer, _ pos: inout Int, limit: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while pos < limit {
            let byte = b[pos]
            pos += 1
            if shift == 63 && byte > 1 { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    static func isCleanName(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        let slice = UnsafeRawBufferPointer(rebasing: b[r])
        if slice.contains(0) { return false }
        var ascii = true
        for byte in slice where byte >= 0x80 { ascii = false; break }
        if ascii { return true }
        return String(validating: slice, as: UTF8.self) != nil
    }
}

/// The field the reader puts in place of a lifted `raw_data` payload: an unknown varint field
/// holding the payload's index in `WireScan.liftedRawData`. protobuf-c keeps it as an unknown
/// field, and the converter swaps it back for a view into the mapped file.
enum WireMarker {
    static let fieldNumber: UInt32 = 0x1FFF_FFFF
}
