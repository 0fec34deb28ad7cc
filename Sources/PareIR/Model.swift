/// An operator-set import (`OperatorSetIdProto`).
public struct OpsetImport: Sendable, Equatable {
    public var domain: String?
    public var version: Int64?
    public var unknownFields: [UnknownField] = []
    public init(domain: String?, version: Int64?) {
        self.domain = domain
        self.version = version
    }
    /// `ai.onnx` folded into `""`.
    public var normalizedDomain: String {
        let d = domain ?? ""
        return d == "ai.onnx" ? "" : d
    }
}

/// A model-local function (`FunctionProto`).
public struct Function: Sendable, Equatable {
    public var name: String?
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributeNames: [String] = []
    public var attributeDefaults: [Attribute] = []
    public var nodes: [Node] = []
    public var docString: String?
    public var opsetImports: [OpsetImport] = []
    public var domain: String?
    public var overload: String?
    public var valueInfo: [ValueInfo] = []
    public var metadata: [StringPair] = []
    public var unknownFields: [UnknownField] = []
    public init(name: String?, domain: String?) {
        self.name = name
        self.domain = domain
    }
}

/// `TrainingInfoProto`: kept and re-emitted; Pare checks the bindings but does not execute it.
public struct TrainingInfo: Sendable, Equatable {
    public var initialization: Graph?
    public var algorithm: Graph?
    public var initializationBinding: [StringPair] = []
    public var updateBinding: [StringPair] = []
    public var unknownFields: [UnknownField] = []
    public init() {}
}

/// A whole model (`ModelProto`).
public struct Model: Sendable, Equatable {
    public var irVersion: Int64?
    public var producerName: String?
    public var producerVersion: String?
    public var domain: String?
    public var modelVersion: Int64?
    public var docString: String?
    public var graph: Graph?
    public var opsetImports: [OpsetImport] = []
    public var metadata: [StringPair] = []
    public var trainingInfo: [TrainingInfo] = []
    public var functions: [Function] = []
    public var configuration: [OpaqueMessage] = []
    public var unknownFields: [UnknownField] = []

    public init(irVersion: Int64?, graph: Graph?, opsetImports: [OpsetImport]) {
        self.irVersion = irVersion
        self.graph = graph
        self.opsetImports = opsetImports
    }

    /// The imported version of a domain (`""` and `ai.onnx` are the same), first entry wins.
    public func opsetVersion(domain: String) -> Int64? {
        let d = domain == "ai.onnx" ? "" : domain
        return opsetImports.first { $0.normalizedDomain == d }?.version
    }
}
