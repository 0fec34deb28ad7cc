internal import COnnxProto
internal import CProtobufC
import PareCore
import PareIR

/// Converts the IR into protobuf-c structs allocated in an `Arena`, ready to be packed. Mirrors
/// `ProtoDecoder` field for field, so read → write is lossless.
struct ProtoEncoder {
    let arena: Arena

    func model(_ m: Model) -> UnsafeMutablePointer<Onnx__ModelProto> {
        arena.message(Onnx__ModelProto.self, onnx__model_proto__init).apply { p in
            if let v = m.irVersion { p.pointee.has_ir_version = 1; p.pointee.ir_version = v }
            p.pointee.producer_name = arena.string(m.producerName)
            p.pointee.producer_version = arena.string(m.producerVersion)
            p.pointee.domain = arena.string(m.domain)
            if let v = m.modelVersion { p.pointee.has_model_version = 1; p.pointee.model_version = v }
            p.pointee.doc_string = arena.string(m.docString)
            p.pointee.graph = m.graph.map(graph)
            (p.pointee.n_opset_import, p.pointee.opset_import) = list(m.opsetImports, opset)
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(m.metadata, pair)
            (p.pointee.n_training_info, p.pointee.training_info) = list(m.trainingInfo, trainingInfo)
            (p.pointee.n_functions, p.pointee.functions) = list(m.functions, function)
            (p.pointee.n_configuration, p.pointee.configuration) =
                list(m.configuration) { opaque($0, onnx__device_configuration_proto__unpack) }
            setUnknown(p, m.unknownFields)
        }
    }

    func graph(_ g: Graph) -> UnsafeMutablePointer<Onnx__GraphProto> {
        arena.message(Onnx__GraphProto.self, onnx__graph_proto__init).apply { p in
            (p.pointee.n_node, p.pointee.node) = list(g.nodes, node)
            p.pointee.name = arena.string(g.name)
            (p.pointee.n_initializer, p.pointee.initializer) = list(g.initializers, tensor)
            (p.pointee.n_sparse_initializer, p.pointee.sparse_initializer) = list(g.sparseInitializers, sparse)
            p.pointee.doc_string = arena.string(g.docString)
            (p.pointee.n_input, p.pointee.input) = list(g.inputs, valueInfo)
            (p.pointee.n_output, p.pointee.output) = list(g.outputs, valueInfo)
            (p.pointee.n_value_info, p.pointee.value_info) = list(g.valueInfo, valueInfo)
            (p.pointee.n_quantization_annotation, p.pointee.quantization_annotation) =
                list(g.quantizationAnnotations) { opaque($0, onnx__tensor_annotation__unpack) }
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(g.metadata, pair)
            setUnknown(p, g.unknownFields)
        }
    }

    func node(_ n: Node) -> UnsafeMutablePointer<Onnx__NodeProto> {
        arena.message(Onnx__NodeProto.self, onnx__node_proto__init).apply { p in
            p.pointee.n_input = n.inputs.count
            p.pointee.input = arena.strings(n.inputs)
            p.pointee.n_output = n.outputs.count
            p.pointee.output = arena.strings(n.outputs)
            p.pointee.name = arena.string(n.name)
            p.pointee.op_type = arena.string(n.opType)
            p.pointee.domain = arena.string(n.domain)
            p.pointee.overload = arena.string(n.overload)
            (p.pointee.n_attribute, p.pointee.attribute) = list(n.attributes, attribute)
            p.pointee.doc_string = arena.string(n.docString)
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(n.metadata, pair)
            (p.pointee.n_device_configurations, p.pointee.device_configurations) =
                list(n.deviceConfigurations) { opaque($0, onnx__node_device_configuration_proto__unpack) }
            setUnknown(p, n.unknownFields)
        }
    }

    func attribute(_ a: Attribute) -> UnsafeMutablePointer<Onnx__AttributeProto> {
        arena.message(Onnx__AttributeProto.self, onnx__attribute_proto__init).apply { p in
            p.pointee.name = arena.string(a.name)
            p.pointee.ref_attr_name = arena.string(a.refAttrName)
            p.pointee.doc_string = arena.string(a.docString)
            if let t = a.type { p.pointee.has_type = 1; p.pointee.type = t }
            if let f = a.f { p.pointee.has_f = 1; p.pointee.f = f }
            if let i = a.i { p.pointee.has_i = 1; p.pointee.i = i }
            if let s = a.s { p.pointee.has_s = 1; p.pointee.s = binary(s) }
            p.pointee.t = a.t.map(tensor)
            p.pointee.g = a.g.map(graph)
            p.pointee.sparse_tensor = a.sparseTensor.map(sparse)
            p.pointee.tp = a.tp.map(typeProto)
            p.pointee.n_floats = a.floats.count
            p.pointee.floats = arena.copy(a.floats)
            p.pointee.n_ints = a.ints.count
            p.pointee.ints = arena.copy(a.ints)
            p.pointee.n_strings = a.strings.count
            p.pointee.strings = arena.copy(a.strings.map(binary))
            (p.pointee.n_tensors, p.pointee.tensors) = list(a.tensors, tensor)
            (p.pointee.n_graphs, p.pointee.graphs) = list(a.graphs, graph)
            (p.pointee.n_sparse_tensors, p.pointee.sparse_tensors) = list(a.sparseTensors, sparse)
            (p.pointee.n_type_protos, p.pointee.type_protos) = list(a.typeProtos, typeProto)
            setUnknown(p, a.unknownFields)
        }
    }

    func tensor(_ t: Tensor) -> UnsafeMutablePointer<Onnx__TensorProto> {
        arena.message(Onnx__TensorProto.self, onnx__tensor_proto__init).apply { p in
            p.pointee.n_dims = t.dims.count
            p.pointee.dims = arena.copy(t.dims)
            if let d = t.dataType { p.pointee.has_data_type = 1; p.pointee.data_type = d }
            if let s = t.segment {
                p.pointee.segment = arena.message(Onnx__TensorProto__Segment.self, onnx__tensor_proto__segment__init).apply { sp in
                    if let b = s.begin { sp.pointee.has_begin = 1; sp.pointee.begin = b }
                    if let e = s.end { sp.pointee.has_end = 1; sp.pointee.end = e }
                }
            }
            p.pointee.n_float_data = t.floatData.count
            p.pointee.float_data = arena.copy(t.floatData)
            p.pointee.n_int32_data = t.int32Data.count
            p.pointee.int32_data = arena.copy(t.int32Data)
            p.pointee.n_string_data = t.stringData.count
            p.pointee.string_data = arena.copy(t.stringData.map(binary))
            p.pointee.n_int64_data = t.int64Data.count
            p.pointee.int64_data = arena.copy(t.int64Data)
            p.pointee.name = arena.string(t.name)
            p.pointee.doc_string = arena.string(t.docString)
            if let raw = t.rawData {
                // No copy: protobuf-c only reads this memory while packing, and the model being
                // written keeps `raw` alive until packing is done.
                p.pointee.has_raw_data = 1
                p.pointee.raw_data = ProtobufCBinaryData(
                    len: raw.count, data: UnsafeMutablePointer(mutating: raw.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)))
            }
            (p.pointee.n_external_data, p.pointee.external_data) = list(t.externalData, pair)
            if let l = t.dataLocation { p.pointee.has_data_location = 1; p.pointee.data_location = l }
            p.pointee.n_double_data = t.doubleData.count
            p.pointee.double_data = arena.copy(t.doubleData)
            p.pointee.n_uint64_data = t.uint64Data.count
            p.pointee.uint64_data = arena.copy(t.uint64Data)
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(t.metadata, pair)
            setUnknown(p, t.unknownFields)
        }
    }

    func sparse(_ s: SparseTensor) -> UnsafeMutablePointer<Onnx__SparseTensorProto> {
        arena.message(Onnx__SparseTensorProto.self, onnx__sparse_tensor_proto__init).apply { p in
            p.pointee.values = s.values.map(tensor)
            p.pointee.indices = s.indices.map(tensor)
            p.pointee.n_dims = s.dims.count
            p.pointee.dims = arena.copy(s.dims)
            setUnknown(p, s.unknownFields)
        }
    }

    func valueInfo(_ v: ValueInfo) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        arena.message(Onnx__ValueInfoProto.self, onnx__value_info_proto__init).apply { p in
            p.pointee.name = arena.string(v.name)
            p.pointee.type = v.type.map(typeProto)
            p.pointee.doc_string = arena.string(v.docString)
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(v.metadata, pair)
            setUnknown(p, v.unknownFields)
        }
    }

    func typeProto(_ t: ValueTypeBox) -> UnsafeMutablePointer<Onnx__TypeProto> {
        arena.message(Onnx__TypeProto.self, onnx__type_proto__init).apply { p in
            p.pointee.denotation = arena.string(t.denotation)
            switch t.kind {
            case .tensor(let elem, let shape):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
                p.pointee.tensor_type = arena.message(Onnx__TypeProto__Tensor.self, onnx__type_proto__tensor__init).apply { c in
                    if let e = elem { c.pointee.has_elem_type = 1; c.pointee.elem_type = e }
                    c.pointee.shape = shape.map(self.shape)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .sparseTensor(let elem, let shape):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE
                p.pointee.sparse_tensor_type = arena.message(Onnx__TypeProto__SparseTensor.self, onnx__type_proto__sparse_tensor__init).apply { c in
                    if let e = elem { c.pointee.has_elem_type = 1; c.pointee.elem_type = e }
                    c.pointee.shape = shape.map(self.shape)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .sequence(let elem):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE
                p.pointee.sequence_type = arena.message(Onnx__TypeProto__Sequence.self, onnx__type_proto__sequence__init).apply { c in
                    c.pointee.elem_type = elem.map(typeProto)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .map(let key, let value):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE
                p.pointee.map_type = arena.message(Onnx__TypeProto__Map.self, onnx__type_proto__map__init).apply { c in
                    if let k = key { c.pointee.has_key_type = 1; c.pointee.key_type = k }
                    c.pointee.value_type = value.map(typeProto)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .optional(let elem):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE
                p.pointee.optional_type = arena.message(Onnx__TypeProto__Optional.self, onnx__type_proto__optional__init).apply { c in
                    c.pointee.elem_type = elem.map(typeProto)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .opaque(let domain, let name):
                p.pointee.value_case = ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE
                p.pointee.opaque_type = arena.message(Onnx__TypeProto__Opaque.self, onnx__type_proto__opaque__init).apply { c in
                    c.pointee.domain = arena.string(domain)
                    c.pointee.name = arena.string(name)
                    setUnknown(c, t.caseUnknownFields)
                }
            case .none:
                break
            }
            setUnknown(p, t.unknownFields)
        }
    }

    func shape(_ s: Shape) -> UnsafeMutablePointer<Onnx__TensorShapeProto> {
        arena.message(Onnx__TensorShapeProto.self, onnx__tensor_shape_proto__init).apply { p in
            (p.pointee.n_dim, p.pointee.dim) = list(s.dims, dimension)
            setUnknown(p, s.unknownFields)
        }
    }

    func dimension(_ d: Dimension) -> UnsafeMutablePointer<Onnx__TensorShapeProto__Dimension> {
        arena.message(Onnx__TensorShapeProto__Dimension.self, onnx__tensor_shape_proto__dimension__init).apply { p in
            p.pointee.denotation = arena.string(d.denotation)
            switch d.value {
            case .known(let v):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                p.pointee.dim_value = v
            case .symbol(let s):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                p.pointee.dim_param = arena.string(s)
            case nil:
                break
            }
            setUnknown(p, d.unknownFields)
        }
    }

    func opset(_ o: OpsetImport) -> UnsafeMutablePointer<Onnx__OperatorSetIdProto> {
        arena.message(Onnx__OperatorSetIdProto.self, onnx__operator_set_id_proto__init).apply { p in
            p.pointee.domain = arena.string(o.domain)
            if let v = o.version { p.pointee.has_version = 1; p.pointee.version = v }
            setUnknown(p, o.unknownFields)
        }
    }

    func pair(_ e: StringPair) -> UnsafeMutablePointer<Onnx__StringStringEntryProto> {
        arena.message(Onnx__StringStringEntryProto.self, onnx__string_string_entry_proto__init).apply { p in
            p.pointee.key = arena.string(e.key)
            p.pointee.value = arena.string(e.value)
            setUnknown(p, e.unknownFields)
        }
    }

    func function(_ f: Function) -> UnsafeMutablePointer<Onnx__FunctionProto> {
        arena.message(Onnx__FunctionProto.self, onnx__function_proto__init).apply { p in
            p.pointee.name = arena.string(f.name)
            p.pointee.n_input = f.inputs.count
            p.pointee.input = arena.strings(f.inputs)
            p.pointee.n_output = f.outputs.count
            p.pointee.output = arena.strings(f.outputs)
            p.pointee.n_attribute = f.attributeNames.count
            p.pointee.attribute = arena.strings(f.attributeNames)
            (p.pointee.n_attribute_proto, p.pointee.attribute_proto) = list(f.attributeDefaults, attribute)
            (p.pointee.n_node, p.pointee.node) = list(f.nodes, node)
            p.pointee.doc_string = arena.string(f.docString)
            (p.pointee.n_opset_import, p.pointee.opset_import) = list(f.opsetImports, opset)
            p.pointee.domain = arena.string(f.domain)
            p.pointee.overload = arena.string(f.overload)
            (p.pointee.n_value_info, p.pointee.value_info) = list(f.valueInfo, valueInfo)
            (p.pointee.n_metadata_props, p.pointee.metadata_props) = list(f.metadata, pair)
            setUnknown(p, f.unknownFields)
        }
    }

    func trainingInfo(_ t: TrainingInfo) -> UnsafeMutablePointer<Onnx__TrainingInfoProto> {
        arena.message(Onnx__TrainingInfoProto.self, onnx__training_info_proto__init).apply { p in
            p.pointee.initialization = t.initialization.map(graph)
            p.pointee.algorithm = t.algorithm.map(graph)
            (p.pointee.n_initialization_binding, p.pointee.initialization_binding) = list(t.initializationBinding, pair)
            (p.pointee.n_update_binding, p.pointee.update_binding) = list(t.updateBinding, pair)
            setUnknown(p, t.unknownFields)
        }
    }

    // MARK: - Helpers

    func list<T, C>(_ items: [T], _ f: (T) -> UnsafeMutablePointer<C>) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        (items.count, arena.copy(items.map { Optional(f($0)) }))
    }

    func binary(_ b: [UInt8]) -> ProtobufCBinaryData {
        let (len, data) = arena.bytes(b)
        return ProtobufCBinaryData(len: len, data: data)
    }

    /// Re-creates a carried-but-uninterpreted message from its bytes. Those bytes were produced by
    /// protobuf-c itself when reading, so unpacking them cannot fail short of memory exhaustion.
    func opaque<T>(_ m: OpaqueMessage,
                   _ unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<T>?)
        -> UnsafeMutablePointer<T> {
        let unpacked = m.bytes.withUnsafeBufferPointer { unpack(nil, $0.count, $0.baseAddress) }!
        arena.adopt(UnsafeMutableRawPointer(unpacked))
        return unpacked
    }

    func setUnknown<T>(_ p: UnsafeMutablePointer<T>, _ fields: [UnknownField]) {
        guard !fields.isEmpty else { return }
        let base = UnsafeMutableRawPointer(p).assumingMemoryBound(to: ProtobufCMessage.self)
        base.pointee.n_unknown_fields = UInt32(fields.count)
        base.pointee.unknown_fields = arena.copy(fields.map { f in
            ProtobufCMessageUnknownField(tag: f.fieldNumber, wire_type: ProtobufCWireType(rawValue: UInt32(f.wireType)),
                                         len: f.payload.count, data: arena.copy(f.payload))
        })
    }
}

extension UnsafeMutablePointer {
    /// Runs `body` on the pointer and returns it, for building C structs in one expression.
    @discardableResult
    func apply(_ body: (UnsafeMutablePointer<Pointee>) -> Void) -> UnsafeMutablePointer<Pointee> {
        body(self)
        return self
    }
}
