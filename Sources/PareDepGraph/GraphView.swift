import PareCore
import PareIR

/// A read-only view of the main graph for the analysis: inferred extents, who produces and who
/// consumes each value, and where weights really live (through Identity and Constant nodes).
struct GraphView {
    let graph: Graph
    let inference: InferenceResult
    /// Initializers by name.
    let initializers: [String: Tensor]
    /// Constant-node outputs by value name, with the index of the node that holds the tensor.
    let constants: [String: (node: Int, tensor: Tensor)]
    /// Value name → index of the node that produces it.
    let producer: [String: Int]
    /// Value name → (node index, input position) of every consumer.
    let consumers: [String: [(node: Int, input: Int)]]
    let graphInputs: Set<String>
    let graphOutputs: Set<String>
    /// The default-domain opset, for ops whose attributes changed meaning between versions.
    let opset: Int64

    init(model: Model, inputShapes: [String: [Int64]]) throws {
        guard var graph = model.graph else { throw PareError(.invalid, "the model has no graph") }
        // Bind user-given input shapes by rewriting the inputs' declared shapes for inference only.
        try Self.checkGivenShapes(inputShapes, graph: graph)
        for (i, input) in graph.inputs.enumerated() {
            guard let name = input.name, let dims = inputShapes[name] else { continue }
            graph.inputs[i].type = .tensor(input.type?.tensorInfo?.elemType ?? DType.float.rawValue, Shape(known: dims))
        }
        self.graph = graph
        var opsetModel = model
        opsetModel.graph = graph
        inference = ShapeInference.infer(model: opsetModel, options: .init(symbolBindings: [:]))
        var inits: [String: Tensor] = [:]
        for t in graph.initializers { if let n = t.name { inits[n] = t } }
        initializers = inits
        var consts: [String: (Int, Tensor)] = [:]
        var producer: [String: Int] = [:]
        var consumers: [String: [(Int, Int)]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for out in node.outputs where !out.isEmpty { producer[out] = index }
            for (k, input) in node.inputs.enumerated() where !input.isEmpty { consumers[input, default: []].append((index, k)) }
            if node.op == "Constant", node.normalizedDomain.isEmpty, let t = node.attribute("value")?.t, let out = node.outputs.first {
                consts[out] = (index, t)
            }
        }
        constants = consts
        self.producer = producer
        self.consumers = consumers
        graphInputs = Set(graph.realInputs.compactMap(\.name))
        graphOutputs = Set(graph.outputs.compactMap(\.name))
        opset = model.opsetImports.first { $0.normalizedDomain.isEmpty }?.version ?? 21
    }

    /// A given shape may only fill in what the model leaves open: it names a real input, has the
    /// declared rank and agrees with every fixed dimension. Otherwise the analysis would run on
    /// a graph the model does not describe, and the slimmed model would fail its own check.
    static func checkGivenShapes(_ given: [String: [Int64]], graph: Graph) throws {
        let inputs = graph.realInputs
        for (name, dims) in given.sorted(by: { $0.key < $1.key }) {
            guard let input = inputs.first(where: { $0.name == name }) else {
                throw PareError(.usage, place: "input '\(name)'", "the model has no such input",
                                hint: "its inputs are: \(inputs.compactMap(\.name).joined(separator: ", "))")
            }
            guard let declared = input.type?.tensorInfo?.shape else { continue }
            let text = "[" + declared.dims.map { $0.knownValue.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
            guard declared.rank == dims.count else {
                throw PareError(.usage, place: "input '\(name)'",
                                "a shape of rank \(dims.count) was given; the model declares \(text)", hint: "give one size per axis")
            }
            for (axis, (d, g)) in zip(declared.dims, dims).enumerated() {
                if let fixed = d.knownValue, fixed != g {
                    throw PareError(.usage, place: "input '\(name)'",
                                    "axis \(axis) was given as \(g); the model declares \(text)",
                                    hint: "only the free (?) axes can be set")
                }
            }
        }
    }

    /// The storage behind a value: an initializer, or a Constant node's tensor, possibly reached
    /// through Identity nodes. Nil for computed values.
    func weightSource(_ value: String) -> WeightSource? {
        var name = value
        var hops = 0
        while hops < 64 {
            if let t = initializers[name], !graphInputs.contains(name) { return WeightSource(storage: name, tensor: t) }
            if let c = constants[name] { return WeightSource(storage: name, tensor: c.tensor) }
            guard let p = producer[name], graph.nodes[p].op == "Identity", let src = graph.nodes[p].inputs.first else { return nil }
            name = src
            hops += 1
        }
        return nil
    }

    /// Known extents of a value (nil entries for symbolic or unknown axes); nil when the rank is unknown.
    func dims(_ value: String) -> [Int64?]? {
        if let w = weightSource(value) { return w.tensor.dims.map { $0 } }
        return inference.shape(value)?.dims.map(\.knownValue)
    }

    func rank(_ value: String) -> Int? { dims(value)?.count }

    func extent(_ value: String, _ axis: Int) -> Int? {
        guard let d = dims(value), axis >= 0, axis < d.count, let e = d[axis] else { return nil }
        return Int(e)
    }

    /// Small integer constants (shapes, axes, split sizes) known statically.
    func ints(_ value: String) -> [Int64]? {
        if let w = weightSource(value) { return w.tensor.int64Values() }
        return inference.constants[value]
    }

    func nodeLabel(_ index: Int) -> String {
        let node = graph.nodes[index]
        return "node \(index) '\(node.name ?? "")' (\(node.op))"
    }
}

/// Where a weight operand's values are stored.
struct WeightSource {
    /// The initializer or Constant output that gets sliced.
    var storage: String
    var tensor: Tensor
}
