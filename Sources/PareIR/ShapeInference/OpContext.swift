import PareCore

/// A shape rule: reads the node's input types (and propagated values), writes output types.
/// Throwing `ShapeError` means the node's inputs break the op's rules (SHAPE-06).
typealias OpRule = @Sendable (inout OpContext) throws -> Void

/// What one op's shape rule sees of its node, and what it produces.
struct OpContext {
    let node: Node
    /// The imported version of the node's domain.
    let opset: Int64
    let inputTypes: [ValueTypeBox?]
    /// Propagated values of small integer inputs (dims may be symbolic, e.g. from `Shape`).
    let inputValues: [[Dimension]?]
    /// Values of small float constants (Resize and Upsample scales).
    let inputFloats: [[Double]?]
    var outputTypes: [ValueTypeBox?]
    var outputValues: [[Dimension]?]
    var outputFloats: [[Double]?]

    init(node: Node, opset: Int64, inputTypes: [ValueTypeBox?], inputValues: [[Dimension]?],
         inputFloats: [[Double]?]) {
        self.node = node
        self.opset = opset
        self.inputTypes = inputTypes
        self.inputValues = inputValues
        self.inputFloats = inputFloats
        outputTypes = Array(repeating: nil, count: node.outputs.count)
        outputValues = Array(repeating: nil, count: node.outputs.count)
        outputFloats = Array(repeating: nil, count: node.outputs.count)
    }

    var op: String { node.op }
    var inputCount: Int { node.inputs.count }
    var outputCount: Int { node.outputs.count }

    /// True when input `i` is given (not absent and not the empty name).
    func has(_ i: Int) -> Bool { node.input(i) != nil }

    func elem(_ i: Int) -> Int32? {
        guard i < inputTypes.count else { return nil }
        return inputTypes[i]?.tensorInfo?.elemType
    }

    /// The shape of input `i`, nil when absent or not known (rank unknown).
    func shape(_ i: Int) -> [Dimension]? {
        guard i < inputTypes.count else { return nil }
        return inputTypes[i]?.tensorInfo?.shape?.dims
    }

    /// Propagated values of input `i` (possibly symbolic).
    func values(_ i: Int) -> [Dimension]? { i < inputValues.count ? inputValues[i] : nil }

    /// Values of input `i` when every one is a known number.
    func ints(_ i: Int) -> [Int64]? {
        guard let v = values(i) else { return nil }
        var out: [Int64] = []
        out.reserveCapacity(v.count)
        for d in v {
            guard let x = d.knownValue else { return nil }
            out.append(x)
        }
        return out
    }

    /// Float values of input `i` (integer values are converted).
    func floats(_ i: Int) -> [Double]? {
        if i < inputFloats.count, let f = inputFloats[i] { return f }
        return ints(i).map { $0.map(Double.init) }
    }

    func int(_ name: String, _ fallback: Int64) -> Int64 { node.int(name) ?? fallback }
    func ints(_ name: String) -> [Int64]? { node.attribute(name).map(\.ints) }
    func string(_ name: String, _ fallback: String) -> String { node.string(name) ?? fallback }

    /// An integer list given by attribute `name` before `inputSince` and by input `index` from
    /// then on (Split, Squeeze, Unsqueeze, Reduce*, Pad…). `.absent` when not given at all;
    /// `.unknown` when given as an input whose values could not be propagated.
    func intList(attribute name: String, input index: Int, inputSince: Int64) -> IntList {
        if opset >= inputSince {
            guard has(index) else { return .absent }
            if let v = ints(index) { return .known(v) }
            return .unknown(count: shape(index)?.first?.knownValue.map(Int.init))
        }
        guard let a = node.attribute(name) else { return .absent }
        return .known(a.ints)
    }

    enum IntList {
        case absent
        case known([Int64])
        /// Given but not known; `count` is the length when the input's shape says it.
        case unknown(count: Int?)
    }

    mutating func set(_ i: Int, elem: Int32?, shape: [Dimension]?) {
        guard i < outputTypes.count else { return }
        outputTypes[i] = .tensor(elem, shape.map(Shape.init))
    }

    /// Sets output `i`'s element type and leaves its shape unknown.
    mutating func set(_ i: Int, elem: Int32?) { set(i, elem: elem, shape: nil) }

    mutating func setValues(_ i: Int, _ v: [Dimension]?) {
        guard i < outputValues.count, let v else { return }
        outputValues[i] = v
    }

    mutating func setInts(_ i: Int, _ v: [Int64]) { setValues(i, v.map { .known($0) }) }

    /// Copies input `from`'s whole type (any type case) to output `to`.
    mutating func copyType(from: Int, to: Int) {
        guard to < outputTypes.count, from < inputTypes.count else { return }
        outputTypes[to] = inputTypes[from]
    }
}

/// Element type numbers used by the rules.
enum Elem {
    static let float = DType.float.rawValue
    static let int64 = DType.int64.rawValue
    static let int32 = DType.int32.rawValue
    static let bool = DType.bool.rawValue
    static let uint8 = DType.uint8.rawValue
}

/// The shape rules of every op Pare knows in the default (`ai.onnx`) domain.
enum OpRegistry {
    static let rules: [String: OpRule] = {
        var all: [String: OpRule] = [:]
        for family in [convRules, poolRules, normRules, matMulRules, elementwiseRules, unaryRules,
                       shapeRules, indexingRules, concatSplitPadRules, reduceRules, generatorRules,
                       resizeRules] {
            all.merge(family) { first, _ in first }
        }
        return all
    }()
}
