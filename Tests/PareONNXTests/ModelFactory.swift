import PareCore
import PareIR

/// Builds IR models for tests, touching every message and field kind ONNX has.
enum ModelFactory {
    static func floats(_ values: [Float]) -> TensorData {
        values.withUnsafeBytes { TensorData(copying: $0) }
    }

    /// A small valid Conv → Relu model; `weightCount` ≥ 256 makes the weight large enough to be
    /// lifted out of the protobuf decode (≥ 1 KiB).
    static func convRelu(channels: Int64 = 8) -> Model {
        let wCount = Int(channels * 3 * 3 * 3)
        let w = Tensor(name: "conv.weight", type: .float, dims: [channels, 3, 3, 3],
                       raw: floats((0..<wCount).map { Float($0 % 17) * 0.25 - 2 }))
        let b = Tensor(name: "conv.bias", type: .float, dims: [channels], raw: floats((0..<Int(channels)).map(Float.init)))
        let conv = Node(op: "Conv", name: "conv", inputs: ["x", "conv.weight", "conv.bias"], outputs: ["c"],
                        attributes: [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1])])
        let relu = Node(op: "Relu", name: "relu", inputs: ["c"], outputs: ["y"])
        let graph = Graph(name: "main", nodes: [conv, relu],
                          inputs: [ValueInfo(name: "x", type: .tensor(1, Shape([.symbol("N"), .known(3), .known(8), .known(8)])))],
                          outputs: [ValueInfo(name: "y", type: .tensor(1, Shape([.symbol("N"), .known(channels), .known(8), .known(8)])))],
                          initializers: [w, b])
        var m = Model(irVersion: 8, graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
        m.producerName = "pare-tests"
        return m
    }

    /// A model exercising every field Pare must carry losslessly.
    static func everything() -> Model {
        var m = convRelu(channels: 16)
        m.producerVersion = "1.0"
        m.domain = "org.pare.tests"
        m.modelVersion = 7
        m.docString = "doc with ünïcode"
        m.metadata = [StringPair(key: "author", value: "pare"), StringPair(key: "empty", value: "")]
        m.unknownFields = [UnknownField(fieldNumber: 999, wireType: 0, payload: [0x2A])]
        m.opsetImports.append(OpsetImport(domain: "com.example", version: 3))

        var g = m.graph!
        g.docString = "graph doc"
        g.metadata = [StringPair(key: "k", value: "v")]
        g.valueInfo = [ValueInfo(name: "c", type: .tensor(1, nil))]
        var typed = Tensor(name: "typed", dataType: DType.int64.rawValue, dims: [3])
        typed.int64Data = [1, -2, 3]
        typed.docString = "typed field tensor"
        var f32 = Tensor(name: "f32typed", dataType: DType.float.rawValue, dims: [2])
        f32.floatData = [1.5, -0.0]
        var strings = Tensor(name: "names", dataType: DType.string.rawValue, dims: [2])
        strings.stringData = [Array("a".utf8), [0xFF, 0x00, 0x41]]
        var doubles = Tensor(name: "d", dataType: DType.double.rawValue, dims: [1])
        doubles.doubleData = [.pi]
        var u64 = Tensor(name: "u", dataType: DType.uint64.rawValue, dims: [1])
        u64.uint64Data = [UInt64.max]
        var seg = Tensor(name: "seg", dataType: DType.int32.rawValue, dims: [1])
        seg.int32Data = [5]
        seg.segment = .init(begin: 0, end: 1)
        seg.metadata = [StringPair(key: "m", value: "1")]
        seg.unknownFields = [UnknownField(fieldNumber: 77, wireType: 2, payload: [3, 1, 2, 3])]  // length prefix + payload
        g.initializers += [typed, f32, strings, doubles, u64, seg]
        var values = Tensor(name: "sp", dataType: DType.float.rawValue, dims: [2])
        values.floatData = [1, 2]
        var idx = Tensor(name: "sp_idx", dataType: DType.int64.rawValue, dims: [2])
        idx.int64Data = [0, 3]
        g.sparseInitializers = [SparseTensor(values: values, indices: idx, dims: [2, 2])]

        // An If node with two subgraphs and an attribute of every type.
        var thenG = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["y"], outputs: ["t_out"])],
                          outputs: [ValueInfo(name: "t_out", type: nil)])
        thenG.unknownFields = [UnknownField(fieldNumber: 500, wireType: 5, payload: [1, 0, 0, 0])]
        let elseG = Graph(name: "else", nodes: [Node(op: "Identity", inputs: ["y"], outputs: ["e_out"])],
                          outputs: [ValueInfo(name: "e_out", type: nil)])
        var ifNode = Node(op: "If", name: "branch", inputs: ["cond"], outputs: ["z"],
                          attributes: [.graph("then_branch", thenG), .graph("else_branch", elseG)])
        ifNode.docString = "if doc"
        ifNode.metadata = [StringPair(key: "x", value: "y")]
        g.inputs.append(ValueInfo(name: "cond", type: .tensor(DType.bool.rawValue, Shape([]))))
        g.nodes.append(ifNode)

        var custom = Node(op: "Fancy", domain: "com.example", name: "fancy", inputs: ["y", ""], outputs: ["w", ""])
        var fl = Attribute(name: "fl", type: .float); fl.f = 0
        var i0 = Attribute(name: "i0", type: .int); i0.i = 0
        var st = Attribute(name: "s", type: .string); st.s = []
        var fls = Attribute(name: "fls", type: .floats); fls.floats = [1, 2.5]
        var strs = Attribute(name: "strs", type: .strings); strs.strings = [[], Array("x".utf8)]
        var tens = Attribute(name: "tens", type: .tensors); tens.tensors = [f32, typed]
        var gs = Attribute(name: "gs", type: .graphs); gs.graphs = [elseG]
        var spA = Attribute(name: "spa", type: .sparseTensor); spA.sparseTensor = g.sparseInitializers[0]
        var tp = Attribute(name: "tp", type: .typeProto)
        tp.tp = ValueTypeBox(.sequence(ValueTypeBox(.map(keyType: 7, value: .tensor(1, Shape([.unknown]))))), denotation: "d")
        var tps = Attribute(name: "tps", type: .typeProtos)
        tps.typeProtos = [ValueTypeBox(.optional(.tensor(1, nil))), ValueTypeBox(.opaque(domain: "d", name: "n")),
                          ValueTypeBox(.sparseTensor(elemType: 1, shape: Shape(known: [4]))), ValueTypeBox(.none)]
        var unknownType = Attribute(name: "weird", type: nil)
        unknownType.type = 99
        unknownType.ints = [Int64.min, 0, Int64.max]
        var refd = Attribute(name: "r", type: .int)
        refd.refAttrName = "outer"
        refd.docString = "attr doc"
        custom.attributes = [fl, i0, st, fls, strs, tens, gs, spA, tp, tps, unknownType, refd]
        custom.overload = "v2"
        custom.deviceConfigurations = []
        g.nodes.append(custom)
        g.outputs.append(ValueInfo(name: "w", type: .tensor(1, nil)))
        m.graph = g

        var fn = Function(name: "Fancy", domain: "com.example")
        fn.inputs = ["a", "b"]
        fn.outputs = ["c", "d"]
        fn.attributeNames = ["alpha"]
        var beta = Attribute(name: "beta", type: .float); beta.f = 0.5
        fn.attributeDefaults = [beta]
        fn.nodes = [Node(op: "Add", inputs: ["a", "b"], outputs: ["c"]), Node(op: "Identity", inputs: ["c"], outputs: ["d"])]
        fn.opsetImports = [OpsetImport(domain: "", version: 17)]
        fn.overload = "v2"
        fn.valueInfo = [ValueInfo(name: "c", type: .tensor(1, nil))]
        fn.docString = "function doc"
        m.functions = [fn]

        var training = TrainingInfo()
        training.initialization = Graph(name: "init")
        training.algorithm = Graph(name: "algo")
        training.initializationBinding = [StringPair(key: "conv.bias", value: "b0")]
        training.updateBinding = [StringPair(key: "conv.weight", value: "w1")]
        m.trainingInfo = [training]
        return m
    }
}
