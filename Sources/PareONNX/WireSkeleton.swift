/// Builds a copy of the model's wire bytes in which every lifted `raw_data` field is replaced by a
/// small marker field (see `WireMarker`). Only messages that contain a lifted payload are re-encoded
/// (their length prefixes change); everything else is copied verbatim. The result holds the model's
/// structure only, so protobuf-c decodes a few hundred kilobytes instead of the whole weight file.
struct WireSkeleton {
    let bytes: UnsafeRawBufferPointer
    /// Tag offsets of lifted fields, ascending.
    let liftedTags: [Int]

    init(bytes: UnsafeRawBufferPointer, scan: WireScan) {
        self.bytes = bytes
        liftedTags = scan.liftedRawData.map(\.tagStart)
    }

    func build() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        rebuild(0..<bytes.count, type: .model, into: &out)
        return out
    }

    /// Index of the first lifted field whose tag is at or after `offset`.
    private func firstLifted(atOrAfter offset: Int) -> Int {
        var lo = 0, hi = liftedTags.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if liftedTags[mid] < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func containsLifted(_ r: Range<Int>) -> Bool {
        let i = firstLifted(atOrAfter: r.lowerBound)
        return i < liftedTags.count && liftedTags[i] < r.upperBound
    }

    /// Recursion depth is bounded by WireScan.maxDepth, which the scan has enforced already.
    private func rebuild(_ range: Range<Int>, type: WireMessage, into out: inout [UInt8]) {
        var pos = range.lowerBound
        while pos < range.upperBound {
            let tagStart = pos
            // The scan validated every varint and length, so force-unwraps cannot fail here.
            let tag = WireScan.readVarint(bytes, &pos, limit: range.upperBound)!
            let field = UInt32(truncatingIfNeeded: tag >> 3)
            switch tag & 7 {
            case 0:
                _ = WireScan.readVarint(bytes, &pos, limit: range.upperBound)
                out.append(contentsOf: bytes[tagStart..<pos])
            case 1: pos += 8; out.append(contentsOf: bytes[tagStart..<pos])
            case 5: pos += 4; out.append(contentsOf: bytes[tagStart..<pos])
            default:
                let len = Int(WireScan.readVarint(bytes, &pos, limit: range.upperBound)!)
                let payload = pos..<(pos + len)
                pos = payload.upperBound
                if let child = type.child(field), containsLifted(payload) {
                    var inner: [UInt8] = []
                    rebuild(payload, type: child, into: &inner)
                    appendVarint(tag, &out)
                    appendVarint(UInt64(inner.count), &out)
                    out.append(contentsOf: inner)
                } else if type == .tensor && field == 9, case let i = firstLifted(atOrAfter: tagStart),
                          i < liftedTags.count, liftedTags[i] == tagStart {
                    appendVarint(UInt64(WireMarker.fieldNumber) << 3, &out)
                    appendVarint(UInt64(i), &out)
                } else {
                    out.append(contentsOf: bytes[tagStart..<pos])
                }
            }
        }
    }
}

func appendVarint(_ value: UInt64, _ out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(v & 0x7F) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}
