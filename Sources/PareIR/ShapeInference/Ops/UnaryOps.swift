import PareCore

/// Ops whose output has the input's shape: activations, math functions, Cast, Dropout,
/// Identity, Softmax and the quantisation converters.
extension OpRegistry {
    static let unaryRules: [String: OpRule] = {
        var r: [String: OpRule] = [:]
        let same = ["Relu", "Sigmoid", "Tanh", "Erf", "Gelu", "Exp", "Log", "Sqrt", "Clip", "LeakyRelu",
                    "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Elu", "Selu", "Celu", "Mish",
                    "ThresholdedRelu", "Floor", "Ceil", "Round", "Reciprocal", "Softmax", "LogSoftmax",
                    "Hardmax", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
                    "Acosh", "Atanh", "Shrink", "CumSum", "Trilu", "ReverseSequence", "BitwiseNot", "Not",
                    "Swish"]
        for op in same { r[op] = { sameAsInput(&$0) } }
        // Neg and Abs appear in shape arithmetic (negative slice ends), so they fold values.
        r["Neg"] = { c in
            sameAsInput(&c)
            c.setValues(0, c.values(0).map { $0.map { DimMath.sub(.known(0), $0) } })
        }
        r["Abs"] = { c in
            sameAsInput(&c)
            c.setValues(0, c.ints(0).map { $0.map { .known($0 == .min ? $0 : Swift.abs($0)) } })
        }
        r["Det"] = { c in
            // Det reduces the two trailing matrix dims: [*, M, M] → [*].
            c.set(0, elem: c.elem(0), shape: c.shape(0).map { Array($0.dropLast(min(2, $0.count))) })
        }
        r["Identity"] = { c in
            c.copyType(from: 0, to: 0)
            c.setValues(0, c.values(0))
            if let f = c.inputFloats.first ?? nil { c.outputFloats[0] = f }
        }
        r["Cast"] = { try cast(&$0, to: $0.node.int("to").map { Int32(truncatingIfNeeded: $0) }) }
        r["CastLike"] = { try cast(&$0, to: $0.elem(1)) }
        for op in ["IsNaN", "IsInf"] { r[op] = { $0.set(0, elem: Elem.bool, shape: $0.shape(0)) } }
        r["Dropout"] = { c in
            sameAsInput(&c)
            // The mask is BOOL from opset 10; before, it had the input's type.
            if c.outputCount > 1 { c.set(1, elem: c.opset >= 10 ? Elem.bool : c.elem(0), shape: c.shape(0)) }
        }
        r["Bernoulli"] = { c in
            c.set(0, elem: c.node.int("dtype").map { Int32(truncatingIfNeeded: $0) } ?? c.elem(0), shape: c.shape(0))
        }
        r["DequantizeLinear"] = { c in
            let dtype = c.node.int("output_dtype").flatMap { $0 == 0 ? nil : Int32(truncatingIfNeeded: $0) }
            c.set(0, elem: dtype ?? c.elem(1) ?? Elem.float, shape: c.shape(0))
        }
        r["QuantizeLinear"] = { c in
            let dtype = c.node.int("output_dtype").flatMap { $0 == 0 ? nil : Int32(truncatingIfNeeded: $0) }
            c.set(0, elem: c.elem(2) ?? dtype ?? Elem.uint8, shape: c.shape(0))
        }
        r["DynamicQuantizeLinear"] = { c in
            c.set(0, elem: Elem.uint8, shape: c.shape(0))
            c.set(1, elem: Elem.float, shape: [])
            c.set(2, elem: Elem.uint8, shape: [])
        }
        return r
    }()

    /// Cast keeps the shape and converts propagated values: integer targets keep integer values
    /// (floats truncate toward zero), float targets turn them into float constants, BOOL gives 0/1.
    static func cast(_ c: inout OpContext, to: Int32?) throws {
        c.set(0, elem: to, shape: c.shape(0))
        guard let to, let target = DType(rawValue: to) else { return }
        if target.isFloatingPoint {
            if let f = c.floats(0) { c.outputFloats[0] = f }
            return
        }
        guard target != .string else { return }
        if let v = c.values(0) {
            c.setValues(0, target == .bool ? v.map { $0.knownValue.map { .known($0 != 0 ? 1 : 0) } ?? .unknown } : v)
        } else if let f = c.inputFloats.first ?? nil, f.allSatisfy({ $0.isFinite && Swift.abs($0) < 9e18 }) {
            c.setInts(0, f.map { target == .bool ? ($0 != 0 ? 1 : 0) : Int64($0) })
        }
    }
}
