/// A computation graph (`GraphProto`): the main graph or an If/Loop/Scan body.
public struct Graph: Sendable, Equatable {
    public var nodes: [Node] = []
    public var name: String?
    public var initializers: [Tensor] = []
    public var sparseInitializers: [SparseTensor] = []
    public var docString: String?
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    public var valueInfo: [ValueInfo] = []
    public var quantizationAnnotations: [OpaqueMessage] = []
    public var metadata: [StringPair] = []
    public var unknownFields: [UnknownField] = []

    public init(name: String?, nodes: [Node] = [], inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
                initializers: [Tensor] = []) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
    }

    public func initializer(named name: String) -> Tensor? {
        initializers.first { $0.name == name }
    }

    /// Every graph input that is not also an initializer: the values a caller must feed.
    public var realInputs: [ValueInfo] {
        let inits = Set(initializers.compactMap(\.name))
        return inputs.filter { !inits.contains($0.name ?? "") }
    }

    /// Visits this graph and every nested subgraph, depth first, with a path label for messages.
    /// Iterative, so hostile nesting cannot overflow the stack.
    public func forEachGraph(_ body: (Graph, String) throws -> Void) rethrows {
        var stack: [(Graph, String)] = [(self, "graph '\(name ?? "")'")]
        while let (g, path) = stack.popLast() {
            try body(g, path)
            for (ni, node) in g.nodes.enumerated().reversed() {
                for attr in node.attributes.reversed() {
                    for (k, sub) in attr.subgraphs.enumerated().reversed() {
                        let suffix = attr.graphs.isEmpty ? "" : "[\(k)]"
                        stack.append((sub, "\(path) → \(node.label(index: ni)) → attribute '\(attr.name ?? "")'\(suffix) → graph '\(sub.name ?? "")'"))
                    }
                }
            }
        }
    }
}
