/// Every element type of ONNX's `TensorProto.DataType` (which safetensors' and NumPy's types map
/// onto). Raw values are the ONNX enum values, so they round-trip through files unchanged.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8
    case bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13, complex64 = 14, complex128 = 15
    case bfloat16 = 16, float8e4m3fn = 17, float8e4m3fnuz = 18, float8e5m2 = 19, float8e5m2fnuz = 20
    case uint4 = 21, int4 = 22, float4e2m1 = 23, float8e8m0 = 24, uint2 = 25, int2 = 26

    /// ONNX's spelling, as printed by onnx's own tools.
    public var name: String {
        switch self {
        case .float: "FLOAT"
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .int32: "INT32"
        case .int64: "INT64"
        case .string: "STRING"
        case .bool: "BOOL"
        case .float16: "FLOAT16"
        case .double: "DOUBLE"
        case .uint32: "UINT32"
        case .uint64: "UINT64"
        case .complex64: "COMPLEX64"
        case .complex128: "COMPLEX128"
        case .bfloat16: "BFLOAT16"
        case .float8e4m3fn: "FLOAT8E4M3FN"
        case .float8e4m3fnuz: "FLOAT8E4M3FNUZ"
        case .float8e5m2: "FLOAT8E5M2"
        case .float8e5m2fnuz: "FLOAT8E5M2FNUZ"
        case .uint4: "UINT4"
        case .int4: "INT4"
        case .float4e2m1: "FLOAT4E2M1"
        case .float8e8m0: "FLOAT8E8M0"
        case .uint2: "UINT2"
        case .int2: "INT2"
        }
    }

    public var description: String { name }

    /// Storage bits of one element; nil for STRING, which has no fixed-width layout.
    public var bits: Int? {
        switch self {
        case .string: nil
        case .uint2, .int2: 2
        case .uint4, .int4, .float4e2m1: 4
        case .uint8, .int8, .bool, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float8e8m0: 8
        case .uint16, .int16, .float16, .bfloat16: 16
        case .float, .int32, .uint32: 32
        case .int64, .double, .uint64, .complex64: 64
        case .complex128: 128
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float, .double, .float16, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2,
             .float8e5m2fnuz, .float4e2m1, .float8e8m0: true
        default: false
        }
    }

    /// Bytes that `n` elements take in the dense little-endian layout (sub-byte types packed,
    /// rounded up to whole bytes). Nil for STRING or on overflow.
    public func byteCount(elements n: Int64) -> Int64? {
        guard let bits, n >= 0 else { return nil }
        if bits >= 8 { return Checked.multiply(n, Int64(bits / 8)) }
        let perByte = Int64(8 / bits)
        return n / perByte + (n % perByte == 0 ? 0 : 1)
    }
}
