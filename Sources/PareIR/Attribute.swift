/// ONNX attribute types (`AttributeProto.AttributeType`).
public enum AttributeType: Int32, Sendable, CaseIterable {
    case undefined = 0, float = 1, int = 2, string = 3, tensor = 4, graph = 5, floats = 6, ints = 7
    case strings = 8, tensors = 9, graphs = 10, sparseTensor = 11, sparseTensors = 12
    case typeProto = 13, typeProtos = 14

    public var name: String {
        ["UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS", "TENSORS",
         "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"][Int(rawValue)]
    }
}

/// A node attribute (`AttributeProto`). Every value field is kept with its presence, exactly as
/// in the file (a broken file may set several; the checker reports that), so writing is lossless.
public struct Attribute: Sendable, Equatable {
    public var name: String?
    public var refAttrName: String?
    public var docString: String?
    /// The declared type number; nil when absent (IR 1 files).
    public var type: Int32?
    public var f: Float?
    public var i: Int64?
    public var s: [UInt8]?
    public var t: Tensor?
    public var g: Graph?
    public var sparseTensor: SparseTensor?
    public var tp: ValueTypeBox?
    public var floats: [Float] = []
    public var ints: [Int64] = []
    public var strings: [[UInt8]] = []
    public var tensors: [Tensor] = []
    public var graphs: [Graph] = []
    public var sparseTensors: [SparseTensor] = []
    public var typeProtos: [ValueTypeBox] = []
    public var unknownFields: [UnknownField] = []

    public init(name: String?, type: AttributeType? = nil) {
        self.name = name
        self.type = type?.rawValue
    }

    public static func int(_ name: String, _ v: Int64) -> Attribute {
        var a = Attribute(name: name, type: .int); a.i = v; return a
    }
    public static func ints(_ name: String, _ v: [Int64]) -> Attribute {
        var a = Attribute(name: name, type: .ints); a.ints = v; return a
    }
    public static func float(_ name: String, _ v: Float) -> Attribute {
        var a = Attribute(name: name, type: .float); a.f = v; return a
    }
    public static func string(_ name: String, _ v: String) -> Attribute {
        var a = Attribute(name: name, type: .string); a.s = Array(v.utf8); return a
    }
    public static func tensor(_ name: String, _ v: Tensor) -> Attribute {
        var a = Attribute(name: name, type: .tensor); a.t = v; return a
    }
    public static func graph(_ name: String, _ v: Graph) -> Attribute {
        var a = Attribute(name: name, type: .graph); a.g = v; return a
    }

    public var attributeType: AttributeType? { type.flatMap(AttributeType.init(rawValue:)) }

    /// The string value decoded as UTF-8 (lossy), for display and for ops whose strings are text.
    public var stringValue: String? { s.map { String(decoding: $0, as: UTF8.self) } }

    /// The names of the value fields that are set, in field order — the checker compares them with
    /// the declared type.
    public var populatedFields: [AttributeType] {
        var out: [AttributeType] = []
        if f != nil { out.append(.float) }
        if i != nil { out.append(.int) }
        if s != nil { out.append(.string) }
        if t != nil { out.append(.tensor) }
        if g != nil { out.append(.graph) }
        if sparseTensor != nil { out.append(.sparseTensor) }
        if tp != nil { out.append(.typeProto) }
        if !floats.isEmpty { out.append(.floats) }
        if !ints.isEmpty { out.append(.ints) }
        if !strings.isEmpty { out.append(.strings) }
        if !tensors.isEmpty { out.append(.tensors) }
        if !graphs.isEmpty { out.append(.graphs) }
        if !sparseTensors.isEmpty { out.append(.sparseTensors) }
        if !typeProtos.isEmpty { out.append(.typeProtos) }
        return out
    }

    /// Every subgraph this attribute holds.
    public var subgraphs: [Graph] { (g.map { [$0] } ?? []) + graphs }
}
