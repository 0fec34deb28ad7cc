import PareCore

/// What shape inference found out about a graph.
public struct InferenceResult: Sendable {
    /// Element type and shape of every value whose type could be inferred: inputs, initializers,
    /// node outputs, and values inside subgraphs.
    public var types: [String: ValueTypeBox]
    /// Values known by data propagation (small integer tensors: shapes, axes, pads, …).
    public var constants: [String: [Int64]]
    /// SHAPE-01…06 findings, in visiting order.
    public var findings: [Diagnostic]

    /// The inferred tensor shape of `name`, if any.
    public func shape(_ name: String) -> Shape? { types[name]?.tensorInfo?.shape }
}

/// ONNX shape inference (formats.md §3): visits nodes in file order, starting from the graph's
/// inputs and initializers, with data propagation of small integer tensors. `value_info` is not
/// used as a source, only as a fallback for a graph input that declares no shape, since the
/// checker compares it against these results. Operators Pare has no rule for leave their
/// outputs unknown (SHAPE-04, info) and inference goes on.
public enum ShapeInference {
    public struct Options: Sendable {
        /// Report a node's own inference failure (SHAPE-06) as an error instead of a warning.
        public var strict: Bool
        /// Numbers to substitute for symbolic dims of the graph inputs (e.g. a batch size).
        public var symbolBindings: [String: Int64]
        /// Name dims that stay unknown with fresh symbols `unk__<k>`, as onnx does.
        public var freshSymbols: Bool

        public init(strict: Bool = false, symbolBindings: [String: Int64] = [:], freshSymbols: Bool = true) {
            self.strict = strict
            self.symbolBindings = symbolBindings
            self.freshSymbols = freshSymbols
        }
    }

    /// The ONNX opset assumed when a model imports none for the default domain.
    static let fallbackOpset: Int64 = 21

    /// Infers `graph`. `opsets` maps domains (`""` for ai.onnx) to versions; `outerTypes` are
    /// the values visible from an enclosing graph; `functions` are the model-local functions.
    public static func infer(graph: Graph, opsets: [String: Int64], outerTypes: [String: ValueTypeBox] = [:],
                             functions: [Function] = [], options: Options = Options()) -> InferenceResult {
        var normalized: [String: Int64] = [:]
        for (d, v) in opsets { normalized[d == "ai.onnx" ? "" : d] = v }
        var engine = InferenceEngine(opsets: normalized, options: options, functions: functions)
        engine.symbols.reserve(graph)
        for (name, type) in outerTypes { engine.types[name] = type }
        engine.run(graph: graph, path: "graph '\(graph.name ?? "")'", bound: nil)
        return engine.result(excludingOuter: Set(outerTypes.keys))
    }

    /// Infers a model's main graph with its opset imports and functions.
    public static func infer(model: Model, options: Options = Options()) -> InferenceResult {
        var opsets: [String: Int64] = [:]
        for o in model.opsetImports where opsets[o.normalizedDomain] == nil {
            opsets[o.normalizedDomain] = o.version ?? fallbackOpset
        }
        return infer(graph: model.graph ?? Graph(name: nil), opsets: opsets, functions: model.functions, options: options)
    }
}

/// Fresh names for dims that stay unknown, avoiding every symbol the model already uses.
struct SymbolTable {
    private var used: Set<String> = []
    private var next = 0

    mutating func reserve(_ graph: Graph) {
        graph.forEachGraph { g, _ in
            for v in g.inputs + g.outputs + g.valueInfo {
                for d in v.type?.tensorInfo?.shape?.dims ?? [] {
                    if let s = d.symbolName { used.insert(s) }
                }
            }
        }
    }

    mutating func fresh() -> Dimension {
        while used.contains("unk__\(next)") { next += 1 }
        defer { next += 1 }
        return .symbol("unk__\(next)")
    }
}

/// Element type names for messages.
enum DTypeName {
    static func of(_ e: Int32) -> String { DType(rawValue: e)?.name ?? "type \(e)" }
}
