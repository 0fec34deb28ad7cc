import PareCore

/// Writes safetensors files that the reference reader accepts and that load unchanged in
/// `safetensors.safe_open` (formats.md §4.5).
public enum SafetensorsWriter {
    /// Header cap; readers refuse anything larger (ST-02), so writing one would be pointless.
    static let maxHeaderBytes = 100_000_000
    /// `8 + N` is padded to this, so the data buffer — and with the ordering below every tensor in
    /// it — starts aligned for SIMD and GPU loads. 64 is a multiple of the reference's 8.
    static let dataAlignment = 64

    /// Writes `set` to `path` atomically: a temporary file in the same folder, renamed over `path`
    /// only when complete. Tensor bytes are streamed from where they are (often a mapped input
    /// file); nothing is copied in memory. Every check happens before the file is created.
    public static func write(_ set: WeightSet, to path: String) throws {
        let plan = try layout(set, path: path)
        let writer = try AtomicFileWriter(destination: path)
        var length = UInt64(plan.header.count).littleEndian
        try withUnsafeBytes(of: &length) { try writer.write($0) }
        try writer.write(plan.header)
        for i in plan.order {
            try writer.write(set.tensors[i].data)
            set.tensors[i].data.releaseResidentPages()  // streaming: keep one tensor resident, not the file
        }
        try writer.commit()
    }

    /// The padded header and the order in which tensor bytes follow it: all of the file but the
    /// tensor bytes themselves. Throws, naming the tensor, for what safetensors cannot hold.
    public static func layout(_ set: WeightSet, path: String) throws -> (header: [UInt8], order: [Int]) {
        var types: [SafetensorsDType] = []
        var names = Set<String>()
        for t in set.tensors {
            let place = "tensor \"\(t.name)\""
            guard let st = SafetensorsDType.of(t.dtype) else {
                throw PareError(.unsupported, file: path, place: place,
                                "safetensors has no \(t.dtype.name) type", hint: "cast the tensor to a type safetensors has")
            }
            guard t.name != "__metadata__" else {
                throw PareError(.invalid, file: path, place: place, "the name __metadata__ is reserved for the metadata map")
            }
            guard names.insert(t.name).inserted else {
                throw PareError(.invalid, file: path, place: place, "two tensors share this name (rule ST-12)")
            }
            guard let count = Checked.elementCount(t.shape),
                  let bits = Checked.multiply(count, Int64(st.bits)), bits % 8 == 0 else {
                throw PareError(.invalid, file: path, place: place,
                                "shape \(t.shape) of \(st.name) does not fill whole bytes or overflows (rules ST-07, ST-08)")
            }
            guard Int64(t.data.count) == bits / 8 else {
                throw PareError(.invalid, file: path, place: place,
                                "holds \(t.data.count) bytes but \(st.name) \(t.shape) needs \(bits / 8) (rule ST-09)")
            }
            types.append(st)
        }
        // The reference writer's order: widest dtype first (its alignment rank), then name by
        // bytes. Within a dense buffer that starts aligned, every tensor then starts aligned.
        let keys = set.tensors.map { Array($0.name.utf8) }
        let order = set.tensors.indices.sorted { a, b in
            types[a].rank != types[b].rank ? types[a].rank > types[b].rank : keys[a].lexicographicallyPrecedes(keys[b])
        }
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() { if !first { json.append(UInt8(ascii: ",")) }; first = false }
        if !set.metadata.isEmpty {
            separator()
            appendString("__metadata__", to: &json)
            json += Array(":{".utf8)
            let sorted = set.metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            for (i, (k, v)) in sorted.enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                appendString(k, to: &json)
                json.append(UInt8(ascii: ":"))
                appendString(v, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var offset: Int64 = 0
        for i in order {
            let t = set.tensors[i]
            let end = offset + Int64(t.data.count)  // sums of in-memory sizes cannot overflow Int64
            separator()
            appendString(t.name, to: &json)
            json += Array(":{\"dtype\":\"\(types[i].name)\",\"shape\":[".utf8)
            json += Array(t.shape.map(String.init).joined(separator: ",").utf8)
            json += Array("],\"data_offsets\":[\(offset),\(end)]}".utf8)
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        let padding = (dataAlignment - (8 + json.count) % dataAlignment) % dataAlignment
        json += [UInt8](repeating: 0x20, count: padding)
        guard json.count <= maxHeaderBytes else {
            throw PareError(.unsupported, file: path,
                            "the header would be \(json.count) bytes, above the \(maxHeaderBytes)-byte cap readers enforce (rule ST-02)",
                            hint: "split the weights into shards")
        }
        return (json, order)
    }

    /// A JSON string as serde_json writes it: quote, backslash and control characters escaped,
    /// everything else (including non-ASCII) as raw UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
