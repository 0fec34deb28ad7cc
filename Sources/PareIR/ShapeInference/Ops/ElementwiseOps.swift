/// Broadcasting elementwise ops (binary and variadic) and Where, with data propagation of small
/// integer values so that shape arithmetic (`Shape → Gather → Mul → Concat`) stays known.
extension OpRegistry {
    static let elementwiseRules: [String: OpRule] = {
        var r: [String: OpRule] = [:]
        let arithmetic: [String: @Sendable (Dimension, Dimension) -> Dimension] = [
            "Add": DimMath.add, "Sub": DimMath.sub, "Mul": DimMath.mul, "Div": DimMath.div,
            "Max": { a, b in compare(a, b) { max($0, $1) } },
            "Min": { a, b in compare(a, b) { min($0, $1) } },
            "Sum": DimMath.add,
            // Integer Mod (fmod = 0) takes the divisor's sign, like Python's %.
            "Mod": { a, b in compare(a, b) { x, y in
                guard y != 0 else { return nil }
                let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                return r != 0 && (r < 0) != (y < 0) ? r + y : r
            } },
        ]
        for (op, f) in arithmetic { r[op] = { try broadcastOp(&$0, elem: $0.elem(0), fold: f) } }
        for op in ["Pow", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Mean"] {
            r[op] = { try broadcastOp(&$0, elem: $0.elem(0), fold: nil) }
        }
        let comparisons: [String: @Sendable (Int64, Int64) -> Bool] = [
            "Equal": { $0 == $1 }, "Less": { $0 < $1 }, "Greater": { $0 > $1 },
            "LessOrEqual": { $0 <= $1 }, "GreaterOrEqual": { $0 >= $1 },
            "And": { $0 != 0 && $1 != 0 }, "Or": { $0 != 0 || $1 != 0 }, "Xor": { ($0 != 0) != ($1 != 0) },
        ]
        for (op, f) in comparisons {
            // A dim compared with itself (same symbol) is equal whatever its value.
            let reflexive = ["Equal", "LessOrEqual", "GreaterOrEqual", "Less", "Greater"].contains(op)
            r[op] = {
                try broadcastOp(&$0, elem: Elem.bool, fold: { a, b in
                    reflexive && a.sameValue(as: b) ? .known(f(0, 0) ? 1 : 0) : compare(a, b) { f($0, $1) ? 1 : 0 }
                })
            }
        }
        r["Where"] = { try whereOp(&$0) }
        r["PRelu"] = { try prelu(&$0) }
        return r
    }()

    /// Folds two known values; anything symbolic gives an unknown value.
    static func compare(_ a: Dimension, _ b: Dimension, _ f: (Int64, Int64) -> Int64?) -> Dimension {
        guard let x = a.knownValue, let y = b.knownValue, let v = f(x, y) else { return .unknown }
        return .known(v)
    }

    /// Output shape: numpy broadcasting of all inputs (before opset 7 the arithmetic ops had an
    /// explicit `broadcast` attribute and kept the first input's shape). `fold` computes values.
    static func broadcastOp(_ c: inout OpContext, elem: Int32?, fold: (@Sendable (Dimension, Dimension) -> Dimension)?) throws {
        c.set(0, elem: elem)
        if c.opset < 7, ["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Less", "Greater"].contains(c.op) {
            c.set(0, elem: elem, shape: c.shape(0))
            return
        }
        var shapes: [[Dimension]] = []
        for i in 0..<c.inputCount {
            guard let s = c.shape(i) else { return }
            shapes.append(s)
        }
        let out = try DimMath.broadcast(shapes)
        c.set(0, elem: elem, shape: out)
        // Values only for scalars and vectors of known length: what shape arithmetic produces.
        guard let fold, out.count <= 1, out.first.map({ $0.knownValue != nil }) ?? true else { return }
        c.setValues(0, foldValues(c, inputs: Array(0..<c.inputCount), count: out.first?.knownValue, fold))
    }

    /// Applies `fold` elementwise to the propagated values of `inputs`, broadcasting length-1
    /// operands; nil when any operand's values are unknown.
    static func foldValues(_ c: OpContext, inputs: [Int], count: Int64?,
                           _ fold: (Dimension, Dimension) -> Dimension) -> [Dimension]? {
        var operands: [[Dimension]] = []
        for i in inputs {
            guard let v = c.values(i) else { return nil }
            operands.append(v)
        }
        guard (count ?? 1) <= DimMath.maxRank else { return nil }
        let n = Int(count ?? 1)
        guard !operands.isEmpty, operands.allSatisfy({ $0.count == n || $0.count == 1 }) else { return nil }
        return (0..<n).map { k in
            operands.dropFirst().reduce(operands[0][operands[0].count == 1 ? 0 : k]) { acc, v in
                fold(acc, v[v.count == 1 ? 0 : k])
            }
        }
    }

    /// Where(cond, X, Y): broadcast of all three, X's element type; values chosen when cond's are known.
    static func whereOp(_ c: inout OpContext) throws {
        let elem = c.elem(1) ?? c.elem(2)
        c.set(0, elem: elem)
        guard let s0 = c.shape(0), let s1 = c.shape(1), let s2 = c.shape(2) else { return }
        let out = try DimMath.broadcast([s0, s1, s2])
        c.set(0, elem: elem, shape: out)
        guard out.count <= 1, out.first.map({ $0.knownValue != nil }) ?? true, let cond = c.ints(0), let x = c.values(1), let y = c.values(2) else { return }
        let n = Int(min(out.first?.knownValue ?? 1, DimMath.maxRank + 1))
        guard [cond.count, x.count, y.count].allSatisfy({ $0 == n || $0 == 1 }) else { return }
        c.setValues(0, (0..<n).map { k in
            cond[cond.count == 1 ? 0 : k] != 0 ? x[x.count == 1 ? 0 : k] : y[y.count == 1 ? 0 : k]
        })
    }

    /// PRelu: Y has X's shape; the slope must broadcast onto X (opset 7 on).
    static func prelu(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0), shape: c.shape(0))
        if let x = c.shape(0), let slope = c.shape(1), !DimMath.canBroadcast(slope, to: x) {
            throw ShapeError("the slope's shape does not broadcast onto the input's")
        }
    }
}
