import PareCore

/// Floating-point casts for `pare convert --dtype`: every floating tensor of FLOAT, FLOAT16 or
/// BFLOAT16 is converted to the target with round-to-nearest-even; other tensors (integers, bool,
/// doubles, 8-bit floats) are kept as they are, so indices and counters are never damaged.
public enum WeightsCast {
    public static let castable: Set<DType> = [.float, .float16, .bfloat16]

    public static func cast(_ set: WeightSet, to target: DType) -> WeightSet {
        precondition(castable.contains(target), "only float, float16 and bfloat16 are cast targets")
        var out = set
        out.tensors = set.tensors.map { t in
            guard castable.contains(t.dtype), t.dtype != target else { return t }
            let n = Int(t.elementCount)
            let floats = toFloat(t.data, t.dtype, n)
            return WeightTensor(name: t.name, dtype: target, shape: t.shape, data: fromFloat(floats, target))
        }
        return out
    }

    static func toFloat(_ d: TensorData, _ type: DType, _ n: Int) -> [Float] {
        switch type {
        case .float:
            return Array(d.bytes.bindMemory(to: Float.self).prefix(n))
        case .float16:
            return (0..<n).map { Float(Float16(bitPattern: d.bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        default:  // bfloat16: the top half of a float32
            return (0..<n).map { Float(bitPattern: UInt32(d.bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
        }
    }

    static func fromFloat(_ v: [Float], _ type: DType) -> TensorData {
        switch type {
        case .float:
            return v.withUnsafeBytes { TensorData(copying: $0) }
        case .float16:
            return v.map { Float16($0).bitPattern }.withUnsafeBytes { TensorData(copying: $0) }
        default:
            return v.map(bfloat16Bits).withUnsafeBytes { TensorData(copying: $0) }
        }
    }

    /// float32 → bfloat16 with round-to-nearest-even; NaN stays a (quiet) NaN.
    static func bfloat16Bits(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(truncatingIfNeeded: (f.bitPattern >> 16) | 0x40) }
        let bits = f.bitPattern
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}
