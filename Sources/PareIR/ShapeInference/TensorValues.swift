import PareCore

extension Tensor {
    /// The values of a small integer (or BOOL) tensor as Int64, whichever field holds them: typed
    /// fields or little-endian `raw_data`. Nil for other types, external data, tensors with more
    /// than `limit` elements or data that does not match the dims. Shape inference reads only
    /// these small constants, so a large model's weights are never touched.
    public func int64Values(limit: Int = 1024) -> [Int64]? {
        guard let dtype, !isExternal, let count = elementCount, count <= Int64(limit) else { return nil }
        let n = Int(count)
        switch dtype {
        case .int64:
            if let raw = rawData { return Self.decode(raw, n, Int64.self) { $0 } }
            return int64Data.count == n ? int64Data : nil
        case .int32:
            if let raw = rawData { return Self.decode(raw, n, Int32.self) { Int64($0) } }
            return int32Data.count == n ? int32Data.map(Int64.init) : nil
        case .int16:
            if let raw = rawData { return Self.decode(raw, n, Int16.self) { Int64($0) } }
            return int32Data.count == n ? int32Data.map(Int64.init) : nil
        case .int8:
            if let raw = rawData { return Self.decode(raw, n, Int8.self) { Int64($0) } }
            return int32Data.count == n ? int32Data.map(Int64.init) : nil
        case .uint8, .uint16, .bool:
            // The typed field of these narrow types is int32_data; raw_data holds them packed.
            if let raw = rawData {
                return dtype == .uint16 ? Self.decode(raw, n, UInt16.self) { Int64($0) }
                    : Self.decode(raw, n, UInt8.self) { Int64($0) }
            }
            return int32Data.count == n ? int32Data.map(Int64.init) : nil
        case .uint32:
            if let raw = rawData { return Self.decode(raw, n, UInt32.self) { Int64($0) } }
            return uint64Data.count == n ? uint64Data.map { Int64(truncatingIfNeeded: $0) } : nil
        default:
            return nil
        }
    }

    /// The values of a small FLOAT or DOUBLE tensor (e.g. Resize scales), as Double.
    public func doubleValues(limit: Int = 64) -> [Double]? {
        guard let dtype, !isExternal, let count = elementCount, count <= Int64(limit) else { return nil }
        let n = Int(count)
        switch dtype {
        case .float:
            if let raw = rawData { return Self.decode(raw, n, UInt32.self) { Double(Float(bitPattern: $0)) } }
            return floatData.count == n ? floatData.map(Double.init) : nil
        case .double:
            if let raw = rawData { return Self.decode(raw, n, UInt64.self) { Double(bitPattern: $0) } }
            return doubleData.count == n ? doubleData : nil
        default:
            return int64Values(limit: limit).map { $0.map(Double.init) }
        }
    }

    /// Reads `n` little-endian values of `T` from `raw`; nil when the byte count is not n × size.
    private static func decode<T: FixedWidthInteger, R>(_ raw: TensorData, _ n: Int, _: T.Type,
                                                        _ convert: (T) -> R) -> [R]? {
        let size = MemoryLayout<T>.size
        guard raw.count == n * size else { return nil }
        var out: [R] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            out.append(convert(T(littleEndian: raw.bytes.loadUnaligned(fromByteOffset: i * size, as: T.self))))
        }
        return out
    }
}
