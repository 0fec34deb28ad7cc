/// One dimension of a tensor shape (`TensorShapeProto.Dimension`).
public struct Dimension: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case known(Int64)
        case symbol(String)
    }
    /// Nil: an anonymous unknown size.
    public var value: Value?
    public var denotation: String?
    public var unknownFields: [UnknownField] = []

    public init(_ value: Value?, denotation: String? = nil) {
        self.value = value
        self.denotation = denotation
    }

    public static func known(_ v: Int64) -> Dimension { Dimension(.known(v)) }
    public static func symbol(_ s: String) -> Dimension { Dimension(.symbol(s)) }
    public static var unknown: Dimension { Dimension(nil) }

    public var knownValue: Int64? {
        if case .known(let v) = value { return v }
        return nil
    }
}

/// A shape: nil dims would mean "rank unknown"; that is modelled as `Optional<Shape>` by users.
public struct Shape: Sendable, Equatable {
    public var dims: [Dimension]
    public var unknownFields: [UnknownField] = []
    public init(_ dims: [Dimension]) { self.dims = dims }
    public init(known: [Int64]) { self.dims = known.map { .known($0) } }
    public var rank: Int { dims.count }
    /// All dims as numbers, or nil if any is symbolic or unknown.
    public var knownDims: [Int64]? {
        var out: [Int64] = []
        for d in dims {
            guard let v = d.knownValue else { return nil }
            out.append(v)
        }
        return out
    }
}

/// The type of a value (`TypeProto`).
public indirect enum ValueType: Sendable, Equatable {
    case tensor(elemType: Int32?, shape: Shape?)
    case sparseTensor(elemType: Int32?, shape: Shape?)
    case sequence(ValueTypeBox?)
    case map(keyType: Int32?, value: ValueTypeBox?)
    case optional(ValueTypeBox?)
    case opaque(domain: String?, name: String?)
    /// No type case set at all.
    case none
}

/// A `TypeProto` with its message-level fields (denotation, unknown fields) around the case.
public struct ValueTypeBox: Sendable, Equatable {
    public var kind: ValueType
    public var denotation: String?
    public var unknownFields: [UnknownField] = []
    /// Unknown fields of the nested case message (e.g. of `TypeProto.Tensor`).
    public var caseUnknownFields: [UnknownField] = []
    public init(_ kind: ValueType, denotation: String? = nil) {
        self.kind = kind
        self.denotation = denotation
    }

    public static func tensor(_ type: Int32?, _ shape: Shape?) -> ValueTypeBox {
        ValueTypeBox(.tensor(elemType: type, shape: shape))
    }

    /// Element type and shape when this is a tensor type.
    public var tensorInfo: (elemType: Int32?, shape: Shape?)? {
        if case .tensor(let t, let s) = kind { return (t, s) }
        return nil
    }
}

/// A named, typed value (`ValueInfoProto`): graph inputs, outputs and annotations.
public struct ValueInfo: Sendable, Equatable {
    public var name: String?
    public var type: ValueTypeBox?
    public var docString: String?
    public var metadata: [StringPair] = []
    public var unknownFields: [UnknownField] = []
    public init(name: String?, type: ValueTypeBox?) {
        self.name = name
        self.type = type
    }
}
