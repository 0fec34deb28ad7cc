import PareCore

/// Legacy storage classes and the element type each holds (spec §5.4). `UntypedStorage` holds
/// bytes; its tensors take their dtype from `_rebuild_tensor_v3`.
enum TorchStorageClass: Sendable, Equatable {
    case typed(DType)
    case untyped
    /// Quantized storages (QInt8Storage, …): recognised, unsupported (PT-10).
    case quantized(String)

    init?(className: String) {
        if className == "UntypedStorage" || className == "TypedStorage" { self = .untyped; return }
        if let d = TorchDTypes.storageClasses[className] { self = .typed(d); return }
        if ["QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage"].contains(className) {
            self = .quantized(className)
            return
        }
        return nil
    }

    /// Bytes per element of numel: the element size for typed storages, 1 for untyped.
    var itemSize: Int? {
        switch self {
        case .typed(let d): d.bits.map { $0 / 8 }
        case .untyped: 1
        case .quantized: nil
        }
    }
}

/// PyTorch's names for element types, both ways.
public enum TorchDTypes {
    static let storageClasses: [String: DType] = [
        "DoubleStorage": .double, "FloatStorage": .float, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool, "ComplexFloatStorage": .complex64,
        "ComplexDoubleStorage": .complex128,
    ]

    /// `torch.<name>` dtype tokens Pare reads, aliases included (`torch.half` is `torch.float16`).
    static let byName: [String: DType] = [
        "float32": .float, "float": .float, "float64": .double, "double": .double, "float16": .float16,
        "half": .float16, "bfloat16": .bfloat16, "int64": .int64, "long": .int64, "int32": .int32, "int": .int32,
        "int16": .int16, "short": .int16, "int8": .int8, "uint8": .uint8, "bool": .bool,
        "complex64": .complex64, "cfloat": .complex64, "complex128": .complex128, "cdouble": .complex128,
        "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
        "float8_e5m2": .float8e5m2, "float8_e4m3fn": .float8e4m3fn, "float8_e5m2fnuz": .float8e5m2fnuz,
        "float8_e4m3fnuz": .float8e4m3fnuz, "float8_e8m0fnu": .float8e8m0,
    ]

    /// dtype tokens PyTorch has and Pare v1 does not read (PT-10 when a tensor uses them).
    static let unsupported: Set<String> = {
        var s: Set<String> = ["complex32", "chalf", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
                              "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "float4_e2m1fn_x2"]
        for i in 1...7 { s.insert("uint\(i)"); s.insert("int\(i)") }
        return s
    }()

    /// The legacy storage class `torch.save` uses for `d`, or nil for the "new dtypes" that are
    /// saved with an UntypedStorage and `_rebuild_tensor_v3`.
    public static func storageClassName(_ d: DType) -> String? {
        storageClasses.first { $0.value == d }?.key
    }

    /// The canonical `torch.<name>` of `d`, or nil when PyTorch has no such dtype.
    public static func canonicalName(_ d: DType) -> String? {
        switch d {
        case .float: "float32"
        case .double: "float64"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .int64: "int64"
        case .int32: "int32"
        case .int16: "int16"
        case .int8: "int8"
        case .uint8: "uint8"
        case .bool: "bool"
        case .complex64: "complex64"
        case .complex128: "complex128"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .float8e5m2: "float8_e5m2"
        case .float8e4m3fn: "float8_e4m3fn"
        case .float8e5m2fnuz: "float8_e5m2fnuz"
        case .float8e4m3fnuz: "float8_e4m3fnuz"
        case .float8e8m0: "float8_e8m0fnu"
        case .string, .uint4, .int4, .float4e2m1, .uint2, .int2: nil
        }
    }
}
