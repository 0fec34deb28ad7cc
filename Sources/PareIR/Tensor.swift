import PareCore

/// A constant tensor (`TensorProto`): an initializer, a `Constant` value or an attribute tensor.
///
/// Every field of the file is kept as it was, including which field held the values (`raw_data` or
/// a typed field) and external-data entries, so that writing the model back is lossless. Use
/// `TensorValues` to read the values whatever field holds them.
public struct Tensor: Sendable, Equatable {
    public var name: String?
    public var dims: [Int64] = []
    /// ONNX data type number; may be 0 or unknown in a broken file (the checker reports it).
    public var dataType: Int32?
    public var segment: Segment?
    public var rawData: TensorData?
    public var floatData: [Float] = []
    public var int32Data: [Int32] = []
    public var stringData: [[UInt8]] = []
    public var int64Data: [Int64] = []
    public var doubleData: [Double] = []
    public var uint64Data: [UInt64] = []
    public var docString: String?
    public var externalData: [StringPair] = []
    /// 0 DEFAULT, 1 EXTERNAL; nil when absent (= DEFAULT).
    public var dataLocation: Int32?
    public var metadata: [StringPair] = []
    public var unknownFields: [UnknownField] = []

    public struct Segment: Sendable, Equatable {
        public var begin: Int64?
        public var end: Int64?
        public init(begin: Int64?, end: Int64?) { self.begin = begin; self.end = end }
    }

    public init(name: String? = nil, dataType: Int32? = nil, dims: [Int64] = []) {
        self.name = name
        self.dataType = dataType
        self.dims = dims
    }

    /// A dense tensor whose values are `raw` little-endian bytes.
    public init(name: String, type: DType, dims: [Int64], raw: TensorData) {
        self.name = name
        self.dataType = type.rawValue
        self.dims = dims
        self.rawData = raw
    }

    public var dtype: DType? { dataType.flatMap(DType.init(rawValue:)) }
    public var isExternal: Bool { dataLocation == 1 }
    public var elementCount: Int64? { Checked.elementCount(dims) }

    /// The external-data entry with this key (the first one; duplicates are a checker finding).
    public func externalValue(_ key: String) -> String? {
        externalData.first { $0.key == key }?.value ?? nil
    }

    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.name == b.name && a.dims == b.dims && a.dataType == b.dataType && a.segment == b.segment
            && a.rawData.map { $0.array } == b.rawData.map { $0.array }
            && a.floatData.elementsEqual(b.floatData) { $0.bitPattern == $1.bitPattern }
            && a.int32Data == b.int32Data && a.stringData == b.stringData && a.int64Data == b.int64Data
            && a.doubleData.elementsEqual(b.doubleData) { $0.bitPattern == $1.bitPattern }
            && a.uint64Data == b.uint64Data && a.docString == b.docString && a.externalData == b.externalData
            && a.dataLocation == b.dataLocation && a.metadata == b.metadata && a.unknownFields == b.unknownFields
    }
}

/// `SparseTensorProto`: non-zero values, their positions, and the dense shape.
public struct SparseTensor: Sendable, Equatable {
    public var values: Tensor?
    public var indices: Tensor?
    public var dims: [Int64] = []
    public var unknownFields: [UnknownField] = []
    public init(values: Tensor?, indices: Tensor?, dims: [Int64]) {
        self.values = values
        self.indices = indices
        self.dims = dims
    }
}
