import PareCore

extension Tensor {
    /// The tensor's values as dense little-endian bytes (the `raw_data` layout), whichever field
    /// holds them. Nil for STRING, for external tensors (resolve those through the reader's
    /// external-data resolver), for unknown types, and when the field holds too few values.
    public func denseBytes() -> TensorData? {
        guard !isExternal, let dtype, dtype != .string, let n = elementCount,
              let size = dtype.byteCount(elements: n), size <= Int64(Int.max) else { return nil }
        let count = Int(size)
        if let raw = rawData {
            guard raw.count >= count else { return nil }
            return raw.count == count ? raw : TensorData(copying: UnsafeRawBufferPointer(rebasing: raw.bytes[0..<count]))
        }
        func pack<T>(_ values: [T], _ perElement: Int) -> TensorData? {
            guard values.count * MemoryLayout<T>.size >= count, MemoryLayout<T>.size == perElement else { return nil }
            return values.withUnsafeBytes { TensorData(copying: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        switch dtype {
        case .float, .complex64: return pack(floatData, 4)
        case .double, .complex128: return pack(doubleData, 8)
        case .int64: return pack(int64Data, 8)
        case .uint64: return pack(uint64Data, 8)
        case .int32: return pack(int32Data, 4)
        case .uint32:
            guard uint64Data.count >= Int(n) else { return nil }
            return pack(uint64Data.prefix(Int(n)).map { UInt32(truncatingIfNeeded: $0) }, 4)
        case .uint16, .int16, .float16, .bfloat16:
            guard int32Data.count >= Int(n) else { return nil }
            return pack(int32Data.prefix(Int(n)).map { UInt16(truncatingIfNeeded: $0) }, 2)
        case .uint4, .int4, .float4e2m1, .uint2, .int2:
            // The schema packs 2 (4-bit) or 4 (2-bit) elements into the low byte of each entry.
            guard int32Data.count >= count else { return nil }
            return pack(int32Data.prefix(count).map { UInt8(truncatingIfNeeded: $0) }, 1)
        default:  // 8-bit types and BOOL: one element per entry
            guard int32Data.count >= count else { return nil }
            return pack(int32Data.prefix(count).map { UInt8(truncatingIfNeeded: $0) }, 1)
        }
    }
}
