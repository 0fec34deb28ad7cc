/// Just enough of the ONNX schema for the wire pre-scan: which fields hold sub-messages (and of
/// which type) and which hold names that must be valid UTF-8 without NUL bytes. Field numbers
/// follow schemas/onnx.proto.
enum WireMessage: UInt8, CaseIterable {
    case model, graph, node, attribute, tensor, segment, sparseTensor, valueInfo
    case typeProto, typeTensor, typeSequence, typeMap, typeOptional, typeSparseTensor, typeOpaque
    case shape, dimension, opset, stringEntry, function, trainingInfo, tensorAnnotation
    case deviceConfig, nodeDeviceConfig, shardingSpec, shardedDim, simpleShardedDim, intIntList

    /// The message type of a length-delimited field, or nil if the field is a scalar, string or bytes.
    func child(_ field: UInt32) -> WireMessage? {
        switch (self, field) {
        case (.model, 7): .graph
        case (.model, 8): .opset
        case (.model, 14): .stringEntry
        case (.model, 20): .trainingInfo
        case (.model, 25): .function
        case (.model, 26): .deviceConfig
        case (.graph, 1): .node
        case (.graph, 5): .tensor
        case (.graph, 15): .sparseTensor
        case (.graph, 11), (.graph, 12), (.graph, 13): .valueInfo
        case (.graph, 14): .tensorAnnotation
        case (.graph, 16): .stringEntry
        case (.node, 5): .attribute
        case (.node, 9): .stringEntry
        case (.node, 10): .nodeDeviceConfig
        case (.attribute, 5), (.attribute, 10): .tensor
        case (.attribute, 6), (.attribute, 11): .graph
        case (.attribute, 22), (.attribute, 23): .sparseTensor
        case (.attribute, 14), (.attribute, 15): .typeProto
        case (.tensor, 3): .segment
        case (.tensor, 13), (.tensor, 16): .stringEntry
        case (.sparseTensor, 1), (.sparseTensor, 2): .tensor
        case (.valueInfo, 2): .typeProto
        case (.valueInfo, 4): .stringEntry
        case (.typeProto, 1): .typeTensor
        case (.typeProto, 4): .typeSequence
        case (.typeProto, 5): .typeMap
        case (.typeProto, 9): .typeOptional
        case (.typeProto, 8): .typeSparseTensor
        case (.typeProto, 7): .typeOpaque
        case (.typeTensor, 2), (.typeSparseTensor, 2): .shape
        case (.typeSequence, 1), (.typeMap, 2), (.typeOptional, 1): .typeProto
        case (.shape, 1): .dimension
        case (.function, 7): .node
        case (.function, 9): .opset
        case (.function, 11): .attribute
        case (.function, 12): .valueInfo
        case (.function, 14): .stringEntry
        case (.trainingInfo, 1), (.trainingInfo, 2): .graph
        case (.trainingInfo, 3), (.trainingInfo, 4): .stringEntry
        case (.tensorAnnotation, 2): .stringEntry
        case (.nodeDeviceConfig, 2): .shardingSpec
        case (.shardingSpec, 3): .intIntList
        case (.shardingSpec, 4): .shardedDim
        case (.shardedDim, 2): .simpleShardedDim
        default: nil
        }
    }

    /// Fields holding names or keys, which Pare requires to be UTF-8 without NUL (rule ONNX-X18):
    /// protobuf-c reads strings as C strings, so "a\0b" would silently become "a".
    func isName(_ field: UInt32) -> Bool {
        switch (self, field) {
        case (.node, 1), (.node, 2), (.node, 3), (.node, 4), (.node, 7), (.node, 8): true
        case (.graph, 2), (.tensor, 8), (.valueInfo, 1), (.attribute, 1), (.attribute, 21): true
        case (.function, 1), (.function, 4), (.function, 5), (.function, 6), (.function, 10), (.function, 13): true
        case (.opset, 1), (.stringEntry, 1), (.dimension, 2): true
        default: false
        }
    }

    /// Repeated fields; every other field may appear once (a repeat is ONNX-X19: protobuf keeps
    /// the last value or merges messages, so two parsers can disagree about what the file says).
    func isRepeated(_ field: UInt32) -> Bool {
        switch self {
        case .model: [8, 14, 20, 25, 26].contains(field)
        case .graph: [1, 5, 11, 12, 13, 14, 15, 16].contains(field)
        case .node: [1, 2, 5, 9, 10].contains(field)
        case .attribute: [7, 8, 9, 10, 11, 15, 23].contains(field)
        case .tensor: [1, 4, 5, 6, 7, 10, 11, 13, 16].contains(field)
        case .sparseTensor: field == 3
        case .valueInfo: field == 4
        case .shape: field == 1
        case .function: [4, 5, 6, 7, 9, 11, 12, 14].contains(field)
        case .trainingInfo: field == 3 || field == 4
        case .tensorAnnotation: field == 2
        case .deviceConfig: field == 3
        case .nodeDeviceConfig: field == 2
        case .shardingSpec: [2, 3, 4].contains(field)
        case .shardedDim: field == 2
        case .intIntList: field == 2
        default: false
        }
    }

    var protoName: String {
        switch self {
        case .model: "ModelProto"
        case .graph: "GraphProto"
        case .node: "NodeProto"
        case .attribute: "AttributeProto"
        case .tensor: "TensorProto"
        case .segment: "TensorProto.Segment"
        case .sparseTensor: "SparseTensorProto"
        case .valueInfo: "ValueInfoProto"
        case .typeProto: "TypeProto"
        case .typeTensor: "TypeProto.Tensor"
        case .typeSequence: "TypeProto.Sequence"
        case .typeMap: "TypeProto.Map"
        case .typeOptional: "TypeProto.Optional"
        case .typeSparseTensor: "TypeProto.SparseTensor"
        case .typeOpaque: "TypeProto.Opaque"
        case .shape: "TensorShapeProto"
        case .dimension: "TensorShapeProto.Dimension"
        case .opset: "OperatorSetIdProto"
        case .stringEntry: "StringStringEntryProto"
        case .function: "FunctionProto"
        case .trainingInfo: "TrainingInfoProto"
        case .tensorAnnotation: "TensorAnnotation"
        case .deviceConfig: "DeviceConfigurationProto"
        case .nodeDeviceConfig: "NodeDeviceConfigurationProto"
        case .shardingSpec: "ShardingSpecProto"
        case .shardedDim: "ShardedDimProto"
        case .simpleShardedDim: "SimpleShardedDimProto"
        case .intIntList: "IntIntListEntryProto"
        }
    }
}
