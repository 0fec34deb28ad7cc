/// One named weight: a dense, row-major, little-endian tensor. The common currency of the weights
/// formats (safetensors, PyTorch checkpoints, NumPy archives, ONNX initializers): every reader
/// produces these and every writer consumes them, so converting is read → (cast) → write.
public struct WeightTensor: Sendable, Equatable {
    /// The dotted parameter path (`layer1.0.conv1.weight`), the same string in every format.
    public var name: String
    public var dtype: DType
    public var shape: [Int64]
    /// Exactly `dtype.byteCount(elements: shape product)` bytes, little-endian, C order.
    public var data: TensorData

    public init(name: String, dtype: DType, shape: [Int64], data: TensorData) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    public var elementCount: Int64 { Checked.elementCount(shape) ?? 0 }

    public static func == (a: WeightTensor, b: WeightTensor) -> Bool {
        a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.data == b.data
    }
}

/// A set of named weights with the file's free-form metadata, in file order.
public struct WeightSet: Sendable, Equatable {
    public var tensors: [WeightTensor]
    /// String metadata (safetensors `__metadata__`, ONNX metadata_props, …).
    public var metadata: [String: String]
    /// Values that are not tensors (an epoch counter, hyper-parameters, …): dotted name → a short
    /// description. Listed to the user, never silently dropped, and not written to weights formats.
    public var otherValues: [(name: String, description: String)]

    public init(tensors: [WeightTensor] = [], metadata: [String: String] = [:],
                otherValues: [(name: String, description: String)] = []) {
        self.tensors = tensors
        self.metadata = metadata
        self.otherValues = otherValues
    }

    public subscript(name: String) -> WeightTensor? { tensors.first { $0.name == name } }

    public static func == (a: WeightSet, b: WeightSet) -> Bool {
        a.tensors == b.tensors && a.metadata == b.metadata
            && a.otherValues.map(\.name) == b.otherValues.map(\.name)
            && a.otherValues.map(\.description) == b.otherValues.map(\.description)
    }
}
