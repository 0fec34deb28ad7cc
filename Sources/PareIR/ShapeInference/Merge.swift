/// Combining two types of one value: the merge rules of formats.md §3.2 (an existing type
/// against a freshly inferred one) and the union of alternatives (If branches, loop iterations).
enum TypeMerge {
    /// A merge conflict: the finding's rule id and message.
    struct Conflict: Equatable {
        let rule: String
        let message: String
    }

    /// Merges `inferred` into `existing`. On a conflict the inferred side is kept (fresh inference
    /// is trusted over annotations) and the conflict is returned for reporting.
    static func merge(existing: ValueTypeBox, inferred: ValueTypeBox) -> (ValueTypeBox, [Conflict]) {
        var conflicts: [Conflict] = []
        var out = existing
        out.kind = merge(existing.kind, inferred.kind, &conflicts)
        return (out, conflicts)
    }

    private static func merge(_ a: ValueType, _ b: ValueType, _ conflicts: inout [Conflict]) -> ValueType {
        switch (a, b) {
        case (.none, _): return b
        case (_, .none): return a
        case let (.tensor(ea, sa), .tensor(eb, sb)):
            return .tensor(elemType: elem(ea, eb, &conflicts), shape: shape(sa, sb, &conflicts))
        case let (.sparseTensor(ea, sa), .sparseTensor(eb, sb)):
            return .sparseTensor(elemType: elem(ea, eb, &conflicts), shape: shape(sa, sb, &conflicts))
        case let (.sequence(x), .sequence(y)):
            return .sequence(box(x, y, &conflicts))
        case let (.optional(x), .optional(y)):
            return .optional(box(x, y, &conflicts))
        case let (.map(ka, va), .map(kb, vb)):
            if let ka, let kb, ka != kb {
                conflicts.append(Conflict(rule: "SHAPE-01", message: "map key types differ: existing \(ka), inferred \(kb)"))
            }
            return .map(keyType: ka ?? kb, value: box(va, vb, &conflicts))
        case (.opaque, .opaque):
            return a
        default:
            conflicts.append(Conflict(rule: "SHAPE-01", message: "type case differs: existing \(caseName(a)), inferred \(caseName(b))"))
            return b
        }
    }

    private static func box(_ x: ValueTypeBox?, _ y: ValueTypeBox?, _ conflicts: inout [Conflict]) -> ValueTypeBox? {
        guard let x else { return y }
        guard let y else { return x }
        var out = x
        out.kind = merge(x.kind, y.kind, &conflicts)
        return out
    }

    /// 0 (UNDEFINED) counts as absent.
    private static func elem(_ a: Int32?, _ b: Int32?, _ conflicts: inout [Conflict]) -> Int32? {
        let x = a == 0 ? nil : a, y = b == 0 ? nil : b
        if let x, let y, x != y {
            conflicts.append(Conflict(rule: "SHAPE-01", message: "element type differs: existing \(typeName(x)), inferred \(typeName(y))"))
            return y
        }
        return x ?? y
    }

    private static func shape(_ a: Shape?, _ b: Shape?, _ conflicts: inout [Conflict]) -> Shape? {
        guard let a else { return b }
        guard let b else { return a }
        guard a.rank == b.rank else {
            conflicts.append(Conflict(rule: "SHAPE-02", message: "rank mismatch: existing \(a.rank), inferred \(b.rank)"))
            return b
        }
        var out = a
        for i in 0..<a.rank {
            let x = a.dims[i], y = b.dims[i]
            switch (x.value, y.value) {
            case let (.known(v)?, .known(w)?) where v != w:
                conflicts.append(Conflict(rule: "SHAPE-03",
                                          message: "Inferred shape and existing shape differ in dimension \(i): (\(w)) vs (\(v))"))
                out.dims[i] = y
            case (.known?, _):
                break
            case (_, .known?):
                out.dims[i].value = y.value
            case (.symbol?, _):
                // An existing symbol stays, even against an inferred symbol (onnx/onnx#3896).
                break
            default:
                out.dims[i].value = y.value
            }
        }
        return out
    }

    /// What two alternatives (If branches, first and later loop iterations) have in common: the
    /// element type when equal, the shape when ranks are equal, dims that agree.
    static func union(_ a: ValueTypeBox?, _ b: ValueTypeBox?) -> ValueTypeBox? {
        guard let a, let b else { return nil }
        if a == b { return a }
        guard let (ea, sa) = a.tensorInfo, let (eb, sb) = b.tensorInfo else {
            return a.kind == b.kind ? a : nil
        }
        let elem = ea == eb ? ea : nil
        guard let sa, let sb, sa.rank == sb.rank else { return .tensor(elem, nil) }
        return .tensor(elem, Shape(zip(sa.dims, sb.dims).map { $0.sameValue(as: $1) ? $0 : .unknown }))
    }

    static func caseName(_ t: ValueType) -> String {
        switch t {
        case .tensor: "tensor"
        case .sparseTensor: "sparse tensor"
        case .sequence: "sequence"
        case .map: "map"
        case .optional: "optional"
        case .opaque: "opaque"
        case .none: "none"
        }
    }

    static func typeName(_ e: Int32) -> String {
        DTypeName.of(e)
    }
}

extension ShapeInference {
    /// Where an annotation (`value_info`, a graph output's type) contradicts an inferred type:
    /// element type or type case (SHAPE-01 class), rank (SHAPE-02), or a known dim (SHAPE-03).
    /// Unknown or symbolic dims never conflict.
    public static func contradictions(annotation: ValueTypeBox, inferred: ValueTypeBox) -> [(rule: String, message: String)] {
        TypeMerge.merge(existing: annotation, inferred: inferred).1.map { ($0.rule, $0.message) }
    }
}
