import PareCore
import PareIR

/// Builds small ONNX graphs in code for dependency-graph and surgery tests: float weights with
/// distinct, predictable values (value = base + index), NCHW activations with static shapes.
public struct NetBuilder {
    public private(set) var nodes: [Node] = []
    public private(set) var initializers: [Tensor] = []
    private var counter = 0
    private let input: (name: String, dims: [Int64])

    public init(input: String = "x", dims: [Int64]) { self.input = (input, dims) }

    /// A float initializer whose element i holds `base + i` (so slices are easy to check).
    @discardableResult
    public mutating func weight(_ name: String, _ dims: [Int64], base: Float = 0) -> String {
        let count = Int(dims.reduce(1, *))
        let values = (0..<count).map { base + Float($0) }
        initializers.append(Tensor(name: name, type: .float, dims: dims, raw: values.withUnsafeBytes { TensorData(copying: $0) }))
        return name
    }

    /// A float initializer holding exactly `values`.
    @discardableResult
    public mutating func weight(_ name: String, _ dims: [Int64], values: [Float]) -> String {
        precondition(values.count == Int(dims.reduce(1, *)), "\(name): \(values.count) values for \(dims)")
        initializers.append(Tensor(name: name, type: .float, dims: dims, raw: values.withUnsafeBytes { TensorData(copying: $0) }))
        return name
    }

    @discardableResult
    public mutating func ints(_ name: String, _ values: [Int64]) -> String {
        initializers.append(Tensor(name: name, type: .int64, dims: [Int64(values.count)], raw: values.withUnsafeBytes { TensorData(copying: $0) }))
        return name
    }

    /// Adds a node and returns its (first) output name.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], outputs: Int = 1, _ attributes: [Attribute] = [],
                              domain: String? = nil) -> String {
        counter += 1
        let outs = (0..<outputs).map { "\(op.lowercased())\(counter)" + ($0 == 0 ? "" : "_\($0)") }
        nodes.append(Node(op: op, domain: domain, name: "\(op)_\(counter)", inputs: inputs, outputs: outs, attributes: attributes))
        return outs[0]
    }

    /// Conv with a weight of [out, in/group, k, k] and an optional bias; pads keep the size.
    @discardableResult
    public mutating func conv(_ x: String, _ name: String, out: Int64, in inChannels: Int64, k: Int64 = 3,
                              group: Int64 = 1, bias: Bool = false) -> String {
        let w = weight(name + ".weight", [out, inChannels / group, k, k], base: Float(counter) * 100)
        var inputs = [x, w]
        if bias { inputs.append(weight(name + ".bias", [out], base: 0.5)) }
        return node("Conv", inputs, [.ints("kernel_shape", [k, k]), .ints("pads", [k / 2, k / 2, k / 2, k / 2]), .int("group", group)])
    }

    @discardableResult
    public mutating func batchNorm(_ x: String, _ name: String, channels: Int64) -> String {
        let params = ["weight", "bias", "running_mean", "running_var"].enumerated().map { i, p in
            weight("\(name).\(p)", [channels], base: Float(i) + 1)
        }
        return node("BatchNormalization", [x] + params)
    }

    /// The model with `output` as the only graph output, declared with `outputRank` unknown dims.
    public func model(output: String, outputRank: Int = 4, opset: Int64 = 17) -> Model {
        let declared = Shape([Dimension](repeating: .unknown, count: outputRank))
        let graph = Graph(name: "net", nodes: nodes,
                          inputs: [ValueInfo(name: input.name, type: .tensor(DType.float.rawValue, Shape(known: input.dims)))],
                          outputs: [ValueInfo(name: output, type: .tensor(DType.float.rawValue, declared))],
                          initializers: initializers)
        return Model(irVersion: 8, graph: graph, opsetImports: [OpsetImport(domain: "", version: opset)])
    }
}

extension Tensor {
    /// Float values of a raw float tensor (test helper).
    public var floatValues: [Float] {
        guard let raw = rawData else { return floatData }
        return (0..<(raw.count / 4)).map { raw.bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }
}
