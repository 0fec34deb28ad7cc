import PareCore

/// One safetensors dtype string (formats.md §4.2).
struct SafetensorsDType: Sendable {
    /// The exact, case-sensitive spelling in the header.
    let name: String
    /// Position in the reference's alignment order; its writer sorts tensors by this, widest first.
    let rank: Int
    /// Storage bits of one element (4 and 6 for the packed float types).
    let bits: Int
    /// Pare's type, or nil for the 6-bit floats, which no other format (and no Pare `DType`) has.
    let dtype: DType?

    /// Every dtype the reference reader accepts, in its alignment order (index = rank). The JSON
    /// schema of the format lists fewer; the reader's list is authoritative (§4.2).
    static let all: [SafetensorsDType] = {
        let rows: [(String, Int, DType?)] = [
            ("BOOL", 8, .bool), ("F4", 4, .float4e2m1), ("F6_E2M3", 6, nil), ("F6_E3M2", 6, nil),
            ("U8", 8, .uint8), ("I8", 8, .int8), ("F8_E5M2", 8, .float8e5m2), ("F8_E4M3", 8, .float8e4m3fn),
            ("F8_E8M0", 8, .float8e8m0), ("F8_E4M3FNUZ", 8, .float8e4m3fnuz), ("F8_E5M2FNUZ", 8, .float8e5m2fnuz),
            ("I16", 16, .int16), ("U16", 16, .uint16), ("F16", 16, .float16), ("BF16", 16, .bfloat16),
            ("I32", 32, .int32), ("U32", 32, .uint32), ("F32", 32, .float), ("C64", 64, .complex64),
            ("F64", 64, .double), ("I64", 64, .int64), ("U64", 64, .uint64),
        ]
        return rows.enumerated().map { SafetensorsDType(name: $1.0, rank: $0, bits: $1.1, dtype: $1.2) }
    }()

    private static let byName: [String: SafetensorsDType] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    private static let byDType: [DType: SafetensorsDType] =
        Dictionary(uniqueKeysWithValues: all.compactMap { t in t.dtype.map { ($0, t) } })

    /// Exact lookup: `f32` or `F128` are unknown (rule ST-05).
    static func named(_ name: String) -> SafetensorsDType? { byName[name] }

    /// The safetensors spelling of a Pare type; nil when the format has none (COMPLEX128, the
    /// 2- and 4-bit integers, STRING — §8: such tensors need an explicit cast).
    static func of(_ dtype: DType) -> SafetensorsDType? { byDType[dtype] }
}
