internal import COnnxProto
internal import CProtobufC
import PareCore
import PareIR

/// Converts protobuf-c's decoded structs into the IR. Every field is carried over with its
/// presence; unknown fields are kept verbatim. Recursion depth is bounded by the wire pre-scan.
struct ProtoDecoder {
    /// Views of the lifted `raw_data` payloads, indexed by the marker value.
    let lifted: [TensorData]

    typealias CStringArray = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    func model(_ m: UnsafePointer<Onnx__ModelProto>) -> Model {
        let p = m.pointee
        var out = Model(irVersion: p.has_ir_version != 0 ? p.ir_version : nil,
                        graph: p.graph.map { graph($0) }, opsetImports: list(p.n_opset_import, p.opset_import, opset))
        out.producerName = str(p.producer_name)
        out.producerVersion = str(p.producer_version)
        out.domain = str(p.domain)
        out.modelVersion = p.has_model_version != 0 ? p.model_version : nil
        out.docString = str(p.doc_string)
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        out.trainingInfo = list(p.n_training_info, p.training_info, trainingInfo)
        out.functions = list(p.n_functions, p.functions, function)
        out.configuration = list(p.n_configuration, p.configuration) { opaque(UnsafeRawPointer($0)) }
        out.unknownFields = unknown(UnsafeRawPointer(m))
        return out
    }

    func graph(_ g: UnsafePointer<Onnx__GraphProto>) -> Graph {
        let p = g.pointee
        var out = Graph(name: str(p.name))
        out.nodes = list(p.n_node, p.node, node)
        out.initializers = list(p.n_initializer, p.initializer, tensor)
        out.sparseInitializers = list(p.n_sparse_initializer, p.sparse_initializer, sparse)
        out.docString = str(p.doc_string)
        out.inputs = list(p.n_input, p.input, valueInfo)
        out.outputs = list(p.n_output, p.output, valueInfo)
        out.valueInfo = list(p.n_value_info, p.value_info, valueInfo)
        out.quantizationAnnotations = list(p.n_quantization_annotation, p.quantization_annotation) { opaque(UnsafeRawPointer($0)) }
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        out.unknownFields = unknown(UnsafeRawPointer(g))
        return out
    }

    func node(_ n: UnsafePointer<Onnx__NodeProto>) -> Node {
        let p = n.pointee
        var out = Node(op: "", inputs: strings(p.n_input, p.input), outputs: strings(p.n_output, p.output))
        out.opType = str(p.op_type)
        out.name = str(p.name)
        out.domain = str(p.domain)
        out.overload = str(p.overload)
        out.attributes = list(p.n_attribute, p.attribute, attribute)
        out.docString = str(p.doc_string)
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        out.deviceConfigurations = list(p.n_device_configurations, p.device_configurations) { opaque(UnsafeRawPointer($0)) }
        out.unknownFields = unknown(UnsafeRawPointer(n))
        return out
    }

    func attribute(_ a: UnsafePointer<Onnx__AttributeProto>) -> Attribute {
        let p = a.pointee
        var out = Attribute(name: str(p.name))
        out.type = p.has_type != 0 ? p.type : nil
        out.refAttrName = str(p.ref_attr_name)
        out.docString = str(p.doc_string)
        if p.has_f != 0 { out.f = p.f }
        if p.has_i != 0 { out.i = p.i }
        if p.has_s != 0 { out.s = bytes(p.s) }
        out.t = p.t.map { tensor($0) }
        out.g = p.g.map { graph($0) }
        out.sparseTensor = p.sparse_tensor.map { sparse($0) }
        out.tp = p.tp.map { typeProto($0) }
        out.floats = scalars(p.n_floats, p.floats)
        out.ints = scalars(p.n_ints, p.ints)
        out.strings = (0..<p.n_strings).map { bytes(p.strings[$0]) }
        out.tensors = list(p.n_tensors, p.tensors, tensor)
        out.graphs = list(p.n_graphs, p.graphs, graph)
        out.sparseTensors = list(p.n_sparse_tensors, p.sparse_tensors, sparse)
        out.typeProtos = list(p.n_type_protos, p.type_protos, typeProto)
        out.unknownFields = unknown(UnsafeRawPointer(a))
        return out
    }

    func tensor(_ t: UnsafePointer<Onnx__TensorProto>) -> Tensor {
        let p = t.pointee
        var out = Tensor(name: str(p.name), dataType: p.has_data_type != 0 ? p.data_type : nil,
                         dims: scalars(p.n_dims, p.dims))
        if let s = p.segment {
            out.segment = .init(begin: s.pointee.has_begin != 0 ? s.pointee.begin : nil,
                                end: s.pointee.has_end != 0 ? s.pointee.end : nil)
        }
        out.floatData = scalars(p.n_float_data, p.float_data)
        out.int32Data = scalars(p.n_int32_data, p.int32_data)
        out.stringData = (0..<p.n_string_data).map { bytes(p.string_data[$0]) }
        out.int64Data = scalars(p.n_int64_data, p.int64_data)
        out.doubleData = scalars(p.n_double_data, p.double_data)
        out.uint64Data = scalars(p.n_uint64_data, p.uint64_data)
        out.docString = str(p.doc_string)
        if p.has_raw_data != 0 {
            out.rawData = TensorData(copying: UnsafeRawBufferPointer(start: p.raw_data.data, count: p.raw_data.len))
        }
        out.externalData = list(p.n_external_data, p.external_data, pair)
        out.dataLocation = p.has_data_location != 0 ? p.data_location : nil
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        var fields = unknown(UnsafeRawPointer(t))
        // Swap lifted-payload markers back for views into the mapped file; the last occurrence
        // wins, as protobuf does for a repeated singular field.
        fields.removeAll { f in
            guard f.fieldNumber == WireMarker.fieldNumber, f.wireType == 0 else { return false }
            out.rawData = lifted[Int(decodeVarint(f.payload))]
            return true
        }
        out.unknownFields = fields
        return out
    }

    func sparse(_ s: UnsafePointer<Onnx__SparseTensorProto>) -> SparseTensor {
        let p = s.pointee
        var out = SparseTensor(values: p.values.map { tensor($0) }, indices: p.indices.map { tensor($0) },
                               dims: scalars(p.n_dims, p.dims))
        out.unknownFields = unknown(UnsafeRawPointer(s))
        return out
    }

    func valueInfo(_ v: UnsafePointer<Onnx__ValueInfoProto>) -> ValueInfo {
        let p = v.pointee
        var out = ValueInfo(name: str(p.name), type: p.type.map { typeProto($0) })
        out.docString = str(p.doc_string)
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        out.unknownFields = unknown(UnsafeRawPointer(v))
        return out
    }

    func typeProto(_ t: UnsafePointer<Onnx__TypeProto>) -> ValueTypeBox {
        let p = t.pointee
        var caseUnknown: [UnknownField] = []
        let kind: ValueType
        switch p.value_case {
        case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
            let c = p.tensor_type.pointee
            caseUnknown = unknown(UnsafeRawPointer(p.tensor_type))
            kind = .tensor(elemType: c.has_elem_type != 0 ? c.elem_type : nil, shape: c.shape.map { shape($0) })
        case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
            let c = p.sparse_tensor_type.pointee
            caseUnknown = unknown(UnsafeRawPointer(p.sparse_tensor_type))
            kind = .sparseTensor(elemType: c.has_elem_type != 0 ? c.elem_type : nil, shape: c.shape.map { shape($0) })
        case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
            caseUnknown = unknown(UnsafeRawPointer(p.sequence_type))
            kind = .sequence(p.sequence_type.pointee.elem_type.map { typeProto($0) })
        case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
            let c = p.map_type.pointee
            caseUnknown = unknown(UnsafeRawPointer(p.map_type))
            kind = .map(keyType: c.has_key_type != 0 ? c.key_type : nil, value: c.value_type.map { typeProto($0) })
        case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
            caseUnknown = unknown(UnsafeRawPointer(p.optional_type))
            kind = .optional(p.optional_type.pointee.elem_type.map { typeProto($0) })
        case ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE:
            caseUnknown = unknown(UnsafeRawPointer(p.opaque_type))
            kind = .opaque(domain: str(p.opaque_type.pointee.domain), name: str(p.opaque_type.pointee.name))
        default:
            kind = .none
        }
        var out = ValueTypeBox(kind, denotation: str(p.denotation))
        out.caseUnknownFields = caseUnknown
        out.unknownFields = unknown(UnsafeRawPointer(t))
        return out
    }

    func shape(_ s: UnsafePointer<Onnx__TensorShapeProto>) -> Shape {
        let p = s.pointee
        var out = Shape((0..<p.n_dim).map { dimension(UnsafePointer(p.dim[$0]!)) })
        out.unknownFields = unknown(UnsafeRawPointer(s))
        return out
    }

    func dimension(_ d: UnsafePointer<Onnx__TensorShapeProto__Dimension>) -> Dimension {
        let p = d.pointee
        let value: Dimension.Value?
        switch p.value_case {
        case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: value = .known(p.dim_value)
        case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM: value = .symbol(str(p.dim_param) ?? "")
        default: value = nil
        }
        var out = Dimension(value, denotation: str(p.denotation))
        out.unknownFields = unknown(UnsafeRawPointer(d))
        return out
    }

    func opset(_ o: UnsafePointer<Onnx__OperatorSetIdProto>) -> OpsetImport {
        var out = OpsetImport(domain: str(o.pointee.domain), version: o.pointee.has_version != 0 ? o.pointee.version : nil)
        out.unknownFields = unknown(UnsafeRawPointer(o))
        return out
    }

    func pair(_ e: UnsafePointer<Onnx__StringStringEntryProto>) -> StringPair {
        var out = StringPair(key: str(e.pointee.key), value: str(e.pointee.value))
        out.unknownFields = unknown(UnsafeRawPointer(e))
        return out
    }

    func function(_ f: UnsafePointer<Onnx__FunctionProto>) -> Function {
        let p = f.pointee
        var out = Function(name: str(p.name), domain: str(p.domain))
        out.inputs = strings(p.n_input, p.input)
        out.outputs = strings(p.n_output, p.output)
        out.attributeNames = strings(p.n_attribute, p.attribute)
        out.attributeDefaults = list(p.n_attribute_proto, p.attribute_proto, attribute)
        out.nodes = list(p.n_node, p.node, node)
        out.docString = str(p.doc_string)
        out.opsetImports = list(p.n_opset_import, p.opset_import, opset)
        out.overload = str(p.overload)
        out.valueInfo = list(p.n_value_info, p.value_info, valueInfo)
        out.metadata = list(p.n_metadata_props, p.metadata_props, pair)
        out.unknownFields = unknown(UnsafeRawPointer(f))
        return out
    }

    func trainingInfo(_ t: UnsafePointer<Onnx__TrainingInfoProto>) -> TrainingInfo {
        let p = t.pointee
        var out = TrainingInfo()
        out.initialization = p.initialization.map { graph($0) }
        out.algorithm = p.algorithm.map { graph($0) }
        out.initializationBinding = list(p.n_initialization_binding, p.initialization_binding, pair)
        out.updateBinding = list(p.n_update_binding, p.update_binding, pair)
        out.unknownFields = unknown(UnsafeRawPointer(t))
        return out
    }

    // MARK: - Helpers

    func str(_ p: UnsafeMutablePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

    func strings(_ n: Int, _ p: CStringArray) -> [String] {
        (0..<n).map { String(cString: p![$0]!) }
    }

    func scalars<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?) -> [T] {
        guard n > 0, let p else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let d = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: d, count: b.len))
    }

    func list<C, T>(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<C>?>?, _ f: (UnsafePointer<C>) -> T) -> [T] {
        guard n > 0, let p else { return [] }
        return (0..<n).map { f(UnsafePointer(p[$0]!)) }
    }

    func opaque(_ message: UnsafeRawPointer) -> OpaqueMessage {
        let m = message.assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(m)
        var out = [UInt8](repeating: 0, count: size)
        _ = out.withUnsafeMutableBufferPointer { protobuf_c_message_pack(m, $0.baseAddress) }
        return OpaqueMessage(bytes: out)
    }

    func unknown(_ message: UnsafeRawPointer) -> [UnknownField] {
        let base = message.assumingMemoryBound(to: ProtobufCMessage.self).pointee
        guard base.n_unknown_fields > 0 else { return [] }
        return (0..<Int(base.n_unknown_fields)).map { i in
            let u = base.unknown_fields[i]
            return UnknownField(fieldNumber: u.tag, wireType: UInt8(u.wire_type.rawValue),
                                payload: Array(UnsafeBufferPointer(start: u.data, count: u.len)))
        }
    }

    func decodeVarint(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for (k, b) in bytes.enumerated() { v |= UInt64(b & 0x7F) << (7 * UInt64(k)) }
        return v
    }
}
