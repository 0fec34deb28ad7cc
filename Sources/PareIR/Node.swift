/// One operator application (`NodeProto`). Unknown operators are kept as they are: a node is
/// just an op name, inputs, outputs and attributes until something needs its meaning.
public struct Node: Sendable, Equatable {
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var name: String?
    public var opType: String?
    public var domain: String?
    public var overload: String?
    public var attributes: [Attribute] = []
    public var docString: String?
    public var metadata: [StringPair] = []
    public var deviceConfigurations: [OpaqueMessage] = []
    public var unknownFields: [UnknownField] = []

    public init(op: String, domain: String? = nil, name: String? = nil, inputs: [String], outputs: [String],
                attributes: [Attribute] = []) {
        self.opType = op
        self.domain = domain
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public var op: String { opType ?? "" }

    /// The operator-set domain with `ai.onnx` folded into `""`, as ONNX treats them.
    public var normalizedDomain: String {
        let d = domain ?? ""
        return d == "ai.onnx" ? "" : d
    }

    public func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name } }

    public func int(_ name: String) -> Int64? { attribute(name)?.i }
    public func ints(_ name: String) -> [Int64]? {
        guard let a = attribute(name) else { return nil }
        return a.ints
    }
    public func float(_ name: String) -> Float? { attribute(name)?.f }
    public func string(_ name: String) -> String? { attribute(name)?.stringValue }

    /// The input at `index`, or nil when it is absent or omitted (`""`).
    public func input(_ index: Int) -> String? {
        guard index < inputs.count, !inputs[index].isEmpty else { return nil }
        return inputs[index]
    }

    /// Label for messages: `node 3 'conv1' (Conv)`.
    public func label(index: Int) -> String {
        let n = (name?.isEmpty == false) ? " '\(name!)'" : ""
        return "node \(index)\(n) (\(op))"
    }
}
