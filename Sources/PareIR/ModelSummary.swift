import PareCore

/// What `pare inspect` reports about a model. Computed from the IR alone: the only tensor bytes
/// read are those of small integer constants (for shape inference), so it is fast on models of
/// any size.
public struct ModelSummary: Encodable, Sendable {
    public struct Value: Encodable, Sendable {
        public var name: String
        public var type: String
        public var shape: [String]?
    }
    public struct DTypeTotal: Encodable, Sendable {
        public var dtype: String
        public var parameters: Int64
        public var bytes: Int64
    }
    public struct TensorEntry: Encodable, Sendable {
        public var name: String
        public var dtype: String
        public var dims: [Int64]
        public var bytes: Int64
        public var external: Bool
    }
    public struct NodeCost: Encodable, Sendable {
        public var index: Int
        public var node: String
        public var op: String
        /// Nil (absent in JSON) when the node could not be counted.
        public var macs: Int64?
        /// The first output's inferred shape.
        public var outputShape: [String]?
    }

    public var file: String
    public var fileBytes: Int
    public var irVersion: Int64?
    public var producer: String
    public var opsets: [String: Int64]
    public var inputs: [Value]
    public var outputs: [Value]
    public var nodeCount: Int
    public var ops: [String: Int]
    public var parameters: Int64
    public var parameterBytes: Int64
    public var byDType: [DTypeTotal]
    public var largest: [TensorEntry]
    /// MACs per node for ops whose cost is known and whose shapes could be inferred.
    public var macs: Int64?
    public var macsByNode: [NodeCost]?
    /// Nodes whose MACs could not be counted (unknown op or shapes).
    public var uncountedNodes: Int?
    /// Symbolic input dims set to 1 for counting MACs (per sample, as Torch-Pruning counts).
    public var macsBindings: [String: Int64]?

    public init(model: Model, file: String, fileBytes: Int, largest count: Int) {
        self.file = file
        self.fileBytes = fileBytes
        irVersion = model.irVersion
        producer = [model.producerName, model.producerVersion].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        var opsets: [String: Int64] = [:]
        for o in model.opsetImports where opsets[o.domain ?? ""] == nil {
            opsets[(o.domain ?? "").isEmpty ? "ai.onnx" : o.domain!] = o.version ?? 0
        }
        self.opsets = opsets
        let graph = model.graph ?? Graph(name: nil)
        // Shape inference reads no tensor bytes except small integer constants, so this stays
        // fast on large models. Inputs and outputs show the inferred type merged with the declared
        // one (an input without a declared shape may get one from value_info).
        let inferred = ShapeInference.infer(model: model)
        func shown(_ v: ValueInfo) -> Value {
            guard let name = v.name, let t = inferred.types[name] else { return Self.describe(v) }
            return Self.describe(ValueInfo(name: name, type: t))
        }
        inputs = graph.realInputs.map(shown)
        outputs = graph.outputs.map(shown)
        (macs, macsByNode, uncountedNodes, macsBindings) = Self.countMacs(model: model, graph: graph, inferred: inferred)
        var ops: [String: Int] = [:]
        var nodes = 0
        graph.forEachGraph { g, _ in
            nodes += g.nodes.count
            for n in g.nodes { ops[n.op, default: 0] += 1 }
        }
        nodeCount = nodes
        self.ops = ops
        var byType: [String: (Int64, Int64)] = [:]
        var entries: [TensorEntry] = []
        var total: Int64 = 0, totalBytes: Int64 = 0
        for t in graph.initializers {
            let n = t.elementCount ?? 0
            let dtype = t.dtype?.name ?? "type \(t.dataType ?? 0)"
            let bytes = t.dtype?.byteCount(elements: n) ?? Int64(t.stringData.reduce(0) { $0 + $1.count })
            total += n
            totalBytes += bytes
            byType[dtype, default: (0, 0)].0 += n
            byType[dtype, default: (0, 0)].1 += bytes
            entries.append(TensorEntry(name: t.name ?? "", dtype: dtype, dims: t.dims, bytes: bytes, external: t.isExternal))
        }
        parameters = total
        parameterBytes = totalBytes
        byDType = byType.map { DTypeTotal(dtype: $0.key, parameters: $0.value.0, bytes: $0.value.1) }
            .sorted { $0.bytes > $1.bytes }
        largest = Array(entries.sorted { $0.bytes > $1.bytes }.prefix(count))
    }

    /// MACs per sample: a symbolic leading dim of an input (the batch) is bound to 1 and shapes
    /// re-inferred; other symbols stay, and nodes that need them are left uncounted.
    static func countMacs(model: Model, graph: Graph, inferred: InferenceResult)
        -> (Int64, [NodeCost], Int, [String: Int64]?) {
        var bindings: [String: Int64] = [:]
        for v in graph.realInputs {
            if let first = v.type?.tensorInfo?.shape?.dims.first, let s = first.symbolName { bindings[s] = 1 }
        }
        let result = bindings.isEmpty ? inferred
            : ShapeInference.infer(model: model, options: .init(symbolBindings: bindings))
        let report = Macs.count(graph: graph, types: result.types)
        let costs = zip(report.nodes, graph.nodes).map { e, n in
            NodeCost(index: e.index, node: e.name, op: e.op, macs: e.macs,
                     outputShape: n.outputs.first.flatMap { result.shape($0) }.map { $0.dims.map(Self.dimText) })
        }
        return (report.total, costs, report.uncounted, bindings.isEmpty ? nil : bindings)
    }

    static func describe(_ v: ValueInfo) -> Value {
        guard let type = v.type else { return Value(name: v.name ?? "", type: "untyped", shape: nil) }
        switch type.kind {
        case .tensor(let elem, let shape):
            let t = elem.flatMap(DType.init(rawValue:))?.name ?? "type \(elem ?? 0)"
            return Value(name: v.name ?? "", type: t, shape: shape.map { $0.dims.map(Self.dimText) })
        case .sequence: return Value(name: v.name ?? "", type: "sequence", shape: nil)
        case .map: return Value(name: v.name ?? "", type: "map", shape: nil)
        case .optional: return Value(name: v.name ?? "", type: "optional", shape: nil)
        case .sparseTensor(let elem, let shape):
            let t = elem.flatMap(DType.init(rawValue:))?.name ?? "?"
            return Value(name: v.name ?? "", type: "sparse \(t)", shape: shape.map { $0.dims.map(Self.dimText) })
        case .opaque: return Value(name: v.name ?? "", type: "opaque", shape: nil)
        case .none: return Value(name: v.name ?? "", type: "untyped", shape: nil)
        }
    }

    static func dimText(_ d: Dimension) -> String {
        switch d.value {
        case .known(let v): String(v)
        case .symbol(let s): s
        case nil: "?"
        }
    }

    /// The human-readable report.
    public var text: String {
        var lines: [String] = []
        lines.append("\(file): ONNX, \(Self.bytesText(Int64(fileBytes)))")
        lines.append("  IR version \(irVersion.map(String.init) ?? "unset"), opsets " +
                     opsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if !producer.isEmpty { lines.append("  producer \(producer)") }
        lines.append("inputs:")
        for v in inputs { lines.append("  \(v.name)  \(v.type)\(v.shape.map { " [" + $0.joined(separator: ", ") + "]" } ?? "")") }
        lines.append("outputs:")
        for v in outputs { lines.append("  \(v.name)  \(v.type)\(v.shape.map { " [" + $0.joined(separator: ", ") + "]" } ?? "")") }
        lines.append("nodes: \(nodeCount)  (" + ops.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        lines.append("parameters: \(Self.grouped(parameters)) in \(Self.bytesText(parameterBytes))")
        for d in byDType { lines.append("  \(d.dtype): \(Self.grouped(d.parameters)) (\(Self.bytesText(d.bytes)))") }
        if let macs {
            var line = "MACs: \(Self.grouped(macs))"
            if let b = macsBindings { line += "  (per sample: " + b.keys.sorted().map { "\($0) = 1" }.joined(separator: ", ") + ")" }
            if let u = uncountedNodes, u > 0 { line += "  (\(u) nodes not counted: unknown op or shape)" }
            lines.append(line)
        }
        if !largest.isEmpty {
            lines.append("largest tensors:")
            for t in largest {
                lines.append("  \(t.name)  \(t.dtype) \(t.dims)  \(Self.bytesText(t.bytes))\(t.external ? "  (external)" : "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per node of the main graph: index, name, op, output shape, MACs ("-" when not counted).
    public var nodesText: String {
        guard let macsByNode else { return "" }
        var lines = ["node  name  op  output  MACs"]
        for c in macsByNode {
            let shape = c.outputShape.map { "[" + $0.joined(separator: ", ") + "]" } ?? "?"
            lines.append("\(c.index)  \(c.node.isEmpty ? "-" : c.node)  \(c.op)  \(shape)  \(c.macs.map(Self.grouped) ?? "-")")
        }
        return lines.joined(separator: "\n")
    }

    static func grouped(_ n: Int64) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func bytesText(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        let tenths = Int((v * 10).rounded())
        return u == 0 ? "\(n) B" : "\(tenths / 10).\(tenths % 10) \(units[u])"
    }
}
