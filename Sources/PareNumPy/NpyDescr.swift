import PareCore

/// The element type of a `.npy` file as its `descr` string declares it (formats.md §6.2).
struct NpyElement: Sendable, Equatable {
    var dtype: DType
    /// Bytes per element.
    var itemSize: Int
    /// The file stores big-endian values (`>`), which Pare swaps to little-endian on read (NP-09).
    var bigEndian: Bool
    /// The byte order was `=` (native), which should not appear in files; read as `<`.
    var nativeOrder: Bool
    /// Size of the units a byte swap reverses: the item itself, or each half of a complex number.
    var swapUnit: Int { dtype == .complex64 || dtype == .complex128 ? itemSize / 2 : itemSize }
}

enum NpyDescr {
    /// Kind letter + size → Pare type, for the types NumPy and Pare share.
    private static let types: [String: DType] = [
        "b1": .bool, "i1": .int8, "u1": .uint8, "i2": .int16, "u2": .uint16, "i4": .int32, "u4": .uint32,
        "i8": .int64, "u8": .uint64, "f2": .float16, "f4": .float, "f8": .double, "c8": .complex64, "c16": .complex128,
    ]

    /// Interprets a `descr` string; the error text names what the type is and why it is refused (NP-04).
    static func parse(_ descr: String) -> Result<NpyElement, DescrError> {
        guard let order = descr.first, "<>|=".contains(order) else {
            return .failure(DescrError(message: "descr '\(descr)' has no byte-order character (<, >, | or =)"))
        }
        let body = String(descr.dropFirst())
        if body.hasPrefix("O") {
            return .failure(DescrError(message: "descr '\(descr)' is an object array, whose elements are pickled Python objects; Pare never runs pickle",
                                       hint: "save the array with a numeric dtype"))
        }
        guard let dtype = types[body], let bits = dtype.bits else {
            return .failure(DescrError(message: "descr '\(descr)' is \(unsupportedKind(body)), which Pare does not read",
                                       hint: "numeric, complex and bool arrays are supported"))
        }
        let size = bits / 8
        if order == "|" && size > 1 {
            return .failure(DescrError(message: "descr '\(descr)' gives no byte order for a \(size)-byte type"))
        }
        return .success(NpyElement(dtype: dtype, itemSize: size, bigEndian: order == ">" && size > 1,
                                   nativeOrder: order == "="))
    }

    /// The `descr` NumPy writes for a Pare type (`|` for one-byte types, `<` otherwise); nil when
    /// NumPy has no such type (bfloat16, float8, sub-byte types, strings — formats.md §8).
    static func descr(for dtype: DType) -> String? {
        guard let entry = types.first(where: { $0.value == dtype }) else { return nil }
        return (entry.key.hasSuffix("1") && entry.key.count == 2 ? "|" : "<") + entry.key
    }

    private static func unsupportedKind(_ body: String) -> String {
        switch body.first {
        case "V": "raw void data (or an extension type such as bfloat16)"
        case "S", "a": "a fixed-width byte string"
        case "U": "a fixed-width Unicode string"
        case "M", "m": "a datetime or timedelta"
        case "f", "c": "a floating-point size NumPy keeps for long double"
        default: "an unknown type"
        }
    }
}

struct DescrError: Error {
    var message: String
    var hint: String?
}
