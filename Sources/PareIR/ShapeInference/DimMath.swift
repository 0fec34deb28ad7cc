/// Arithmetic on dimensions. Known values compute exactly (overflow gives an unknown dim);
/// a symbol survives only where the result is that symbol itself (`x*1`, `x+0`, `x/1`), because
/// ONNX has no symbolic arithmetic: anything else becomes unknown.
enum DimMath {
    static func mul(_ a: Dimension, _ b: Dimension) -> Dimension {
        if let x = a.knownValue, let y = b.knownValue {
            let (r, o) = x.multipliedReportingOverflow(by: y)
            return o ? .unknown : .known(r)
        }
        if a.knownValue == 1 { return b }
        if b.knownValue == 1 { return a }
        // 0 times anything is 0, even a symbol.
        if a.knownValue == 0 || b.knownValue == 0 { return .known(0) }
        return .unknown
    }

    static func add(_ a: Dimension, _ b: Dimension) -> Dimension {
        if let x = a.knownValue, let y = b.knownValue {
            let (r, o) = x.addingReportingOverflow(y)
            return o ? .unknown : .known(r)
        }
        if a.knownValue == 0 { return b }
        if b.knownValue == 0 { return a }
        return .unknown
    }

    static func sub(_ a: Dimension, _ b: Dimension) -> Dimension {
        if let x = a.knownValue, let y = b.knownValue {
            let (r, o) = x.subtractingReportingOverflow(y)
            return o ? .unknown : .known(r)
        }
        if b.knownValue == 0 { return a }
        if let s = a.symbolName, s == b.symbolName { return .known(0) }
        return .unknown
    }

    /// Integer division truncating toward zero, as ONNX runtimes do for integer `Div`.
    static func div(_ a: Dimension, _ b: Dimension) -> Dimension {
        if let x = a.knownValue, let y = b.knownValue {
            return y == 0 || (x == .min && y == -1) ? .unknown : .known(x / y)
        }
        if b.knownValue == 1 { return a }
        if let s = a.symbolName, s == b.symbolName { return .known(1) }
        return .unknown
    }

    /// The product of dims: exact when all are known; a lone symbol among 1s stays that symbol.
    static func product<C: Collection>(_ dims: C) -> Dimension where C.Element == Dimension {
        dims.reduce(Dimension.known(1)) { mul($0, $1) }
    }

    /// The product as a number, or nil when any dim is not known.
    static func knownProduct<C: Collection>(_ dims: C) -> Int64? where C.Element == Dimension {
        product(dims).knownValue.flatMap { v in dims.allSatisfy { $0.knownValue != nil } ? v : nil }
    }

    /// `ceil(a / b)`; the one overflowing case (Int64.min / −1) saturates.
    static func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
        if a == .min && b == -1 { return .max }
        let q = a / b
        return (a % b != 0 && (a > 0) == (b > 0)) ? q + 1 : q
    }

    /// `floor(a / b)`; the one overflowing case (Int64.min / −1) saturates.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        if a == .min && b == -1 { return .max }
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Sizes come from files: arithmetic on them that overflows is a rule failure, never a trap.
    static func checkedAdd(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if o { throw ShapeError("a size computation overflows") }
        return r
    }

    static func checkedSub(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, o) = a.subtractingReportingOverflow(b)
        if o { throw ShapeError("a size computation overflows") }
        return r
    }

    static func checkedMul(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        if o { throw ShapeError("a size computation overflows") }
        return r
    }

    /// The largest rank (and propagated vector length) a rule will allocate for: a shape input
    /// claiming more is treated as unknown rather than trusted with memory.
    static let maxRank: Int64 = 1024

    /// `count` unknown dims, or nil when the count is not a sane rank.
    static func unknownDims(_ count: Int64?) -> [Dimension]? {
        guard let count, count >= 0, count <= maxRank else { return nil }
        return Array(repeating: .unknown, count: Int(count))
    }

    /// Multidirectional (numpy) broadcasting, following onnx's rules: a value other than 1 wins;
    /// all 1s give 1; one distinct symbol among 1s stays; anything else is unknown. Two different
    /// values other than 1 are an error.
    static func broadcast(_ shapes: [[Dimension]]) throws -> [Dimension] {
        let rank = shapes.map(\.count).max() ?? 0
        var out: [Dimension] = []
        out.reserveCapacity(rank)
        for i in 0..<rank {
            var value: Int64?
            var symbolic: [Dimension] = []
            var ones = 0
            var present = 0
            for s in shapes {
                let offset = rank - s.count
                guard i >= offset else { continue }
                present += 1
                let d = s[i - offset]
                if let v = d.knownValue {
                    if v == 1 { ones += 1; continue }
                    if let prev = value, prev != v {
                        throw ShapeError("incompatible dimensions \(prev) and \(v) at broadcast axis \(i)")
                    }
                    value = v
                } else if !symbolic.contains(where: { $0.value == d.value && d.value != nil }) {
                    symbolic.append(d)
                }
            }
            if let value {
                out.append(.known(value))
            } else if ones == present {
                out.append(.known(1))
            } else if symbolic.count == 1 {
                out.append(symbolic[0])
            } else {
                out.append(.unknown)
            }
        }
        return out
    }

    /// Unidirectional broadcasting of `from` onto `target` (Expand's shape rule is multidirectional;
    /// this is for ops like PRelu whose output keeps the first input's shape).
    static func canBroadcast(_ from: [Dimension], to target: [Dimension]) -> Bool {
        guard from.count <= target.count else { return false }
        for (d, t) in zip(from.reversed(), target.reversed()) {
            if let v = d.knownValue, let w = t.knownValue, v != 1, v != w { return false }
        }
        return true
    }

    /// Normalises a possibly negative axis against `rank`; throws when it is out of range.
    static func axis(_ a: Int64, rank: Int, op: String = "axis") throws -> Int {
        let r = Int64(rank)
        guard a >= -r, a < r else { throw ShapeError("\(op) \(a) is out of range for rank \(rank)") }
        return Int(a < 0 ? a + r : a)
    }

    /// Normalises a list of axes and rejects duplicates.
    static func axes(_ list: [Int64], rank: Int) throws -> [Int] {
        let out = try list.map { try axis($0, rank: rank) }
        guard Set(out).count == out.count else { throw ShapeError("axes \(list) repeat an axis") }
        return out
    }
}

extension Dimension {
    var symbolName: String? {
        if case .symbol(let s) = value { return s }
        return nil
    }

    /// Same value, ignoring denotation: symbols compare by name, unknowns are never the same.
    func sameValue(as other: Dimension) -> Bool {
        value != nil && value == other.value
    }
}

/// A node's own shape rule rejected its inputs; reported as SHAPE-06.
struct ShapeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
