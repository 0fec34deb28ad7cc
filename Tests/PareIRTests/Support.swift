import PareCore
@testable import PareIR

/// Small graph builders for shape-inference tests.
enum G {
    static let f32 = DType.float.rawValue
    static let i64 = DType.int64.rawValue

    /// A tensor value: ints are dims, strings are symbols, nil is an unknown dim.
    static func input(_ name: String, _ dims: [Dim], elem: Int32 = f32) -> ValueInfo {
        ValueInfo(name: name, type: .tensor(elem, Shape(dims.map(\.dimension))))
    }

    /// An int64 initializer stored in raw_data, as exporters write them.
    static func ints(_ name: String, _ values: [Int64], dims: [Int64]? = nil) -> Tensor {
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        return Tensor(name: name, type: .int64, dims: dims ?? [Int64(values.count)], raw: TensorData(copying: bytes))
    }

    /// A float initializer given only by its dims (values are never read for shapes).
    static func weight(_ name: String, _ dims: [Int64]) -> Tensor {
        Tensor(name: name, dataType: f32, dims: dims)
    }

    static func floats(_ name: String, _ values: [Float]) -> Tensor {
        var t = Tensor(name: name, dataType: f32, dims: [Int64(values.count)])
        t.floatData = values
        return t
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attrs: [Attribute] = [],
                     domain: String? = nil) -> Node {
        Node(op: op, domain: domain, name: outputs.first, inputs: inputs, outputs: outputs, attributes: attrs)
    }

    static func infer(_ nodes: [Node], inputs: [ValueInfo], initializers: [Tensor] = [], outputs: [ValueInfo] = [],
                      opset: Int64 = 18, options: ShapeInference.Options = .init()) -> InferenceResult {
        let g = Graph(name: "test", nodes: nodes, inputs: inputs, outputs: outputs, initializers: initializers)
        return ShapeInference.infer(graph: g, opsets: ["": opset], options: options)
    }
}

/// A dim literal: `1`, `"N"`, or `nil` for unknown.
struct Dim: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    let dimension: Dimension
    init(integerLiteral v: Int64) { dimension = .known(v) }
    init(stringLiteral s: String) { dimension = .symbol(s) }
    init(nilLiteral: ()) { dimension = .unknown }
}

extension InferenceResult {
    /// The shape of `name` as text: "[1, 64, N, ?]", with `?` for unknown dims and for the fresh
    /// `unk__` symbols inference names them with; nil when the shape is not known.
    func dims(_ name: String) -> String? {
        guard let s = shape(name) else { return nil }
        return "[" + s.dims.map { d in
            switch d.value {
            case .known(let v)?: String(v)
            case .symbol(let s)? where !s.hasPrefix("unk__"): s
            default: "?"
            }
        }.joined(separator: ", ") + "]"
    }

    func elem(_ name: String) -> Int32? { types[name]?.tensorInfo?.elemType }

    func rules() -> [String] { findings.map(\.rule) }
}
