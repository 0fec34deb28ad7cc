import Foundation
import PareEngine
import PareKernels

/// Unary float ops: one loop each, parallel over ranges for large tensors.
enum UnaryOps {
    static let names: Set<String> = ["Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu",
                                     "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal", "Clip", "Elu", "Selu",
                                     "Softplus", "Floor", "Ceil", "Round", "Sign", "Mish", "Sin", "Cos", "Not"]

    static func run(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let op = call.node.op
        if x.kind != .float32 { return [try integerUnary(op, x, call)] }
        let y = call.output(x.shape)
        nonisolated(unsafe) let src = x.pointer, dst = y.pointer
        if op == "Relu" {
            // The commonest activation, in SIMD lanes: a closure call per element does not vectorize.
            call.pool.parallelRanges(x.count, grain: 32_768) { r in
                Rectifier.forward(src + r.lowerBound, dst + r.lowerBound, count: r.count)
            }
            return [y]
        }
        let f = try function(op, call)
        call.pool.parallelRanges(x.count, grain: 32_768) { r in
            for i in r { dst[i] = f(src[i]) }
        }
        return [y]
    }

    static func function(_ op: String, _ call: OpCall) throws -> @Sendable (Float) -> Float {
        switch op {
        case "Relu": return { max($0, 0) }
        case "LeakyRelu": let a = call.float("alpha", 0.01); return { $0 < 0 ? a * $0 : $0 }
        case "Sigmoid": return { 1 / (1 + expf(-$0)) }
        case "HardSigmoid":
            let a = call.float("alpha", 0.2), b = call.float("beta", 0.5)
            return { max(0, min(1, a * $0 + b)) }
        case "HardSwish": return { $0 * max(0, min(1, $0 / 6 + 0.5)) }
        case "Tanh": return { tanhf($0) }
        case "Erf": return { erff($0) }
        case "Gelu":
            if call.string("approximate", "none") == "tanh" {
                return { 0.5 * $0 * (1 + tanhf(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return { 0.5 * $0 * (1 + erff($0 * 0.7071067811865476)) }
        case "Exp": return { expf($0) }
        case "Log": return { logf($0) }
        case "Neg": return { -$0 }
        case "Abs": return { abs($0) }
        case "Sqrt": return { sqrtf($0) }
        case "Reciprocal": return { 1 / $0 }
        case "Floor": return { floorf($0) }
        case "Ceil": return { ceilf($0) }
        case "Round": return { $0.rounded(.toNearestOrEven) }
        case "Sign": return { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case "Sin": return { sinf($0) }
        case "Cos": return { cosf($0) }
        case "Softplus": return { $0 > 20 ? $0 : log1pf(expf($0)) }
        case "Mish": return { $0 * tanhf($0 > 20 ? $0 : log1pf(expf($0))) }
        case "Elu": let a = call.float("alpha", 1); return { $0 < 0 ? a * (expf($0) - 1) : $0 }
        case "Selu":
            let a = call.float("alpha", 1.67326319217681884765625), g = call.float("gamma", 1.05070102214813232421875)
            return { $0 <= 0 ? g * (a * expf($0) - a) : g * $0 }
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if call.inputs.count > 1 || call.node.attribute("min") == nil && call.node.attribute("max") == nil {
                if let t = call.optionalInput(1) { lo = try scalar(t, "min") }
                if let t = call.optionalInput(2) { hi = try scalar(t, "max") }
            } else {
                lo = call.float("min", -.infinity); hi = call.float("max", .infinity)
            }
            let (l, h) = (lo, hi)
            return { $0.isNaN ? $0 : min(max($0, l), h) }
        default: throw OpFailure("\(op) is not defined for float32 tensors")
        }
    }

    static func scalar(_ t: DenseTensor, _ what: String) throws -> Float {
        guard t.count == 1 else { throw OpFailure("\(what) must be a scalar, got shape \(t.shape)") }
        switch t.values {
        case .float(let b): return b.pointer[0]
        case .int64(let v): return Float(v[0])
        case .bool: throw OpFailure("\(what) must be numeric")
        }
    }

    static func integerUnary(_ op: String, _ x: DenseTensor, _ call: OpCall) throws -> DenseTensor {
        if op == "Not", case .bool(let v) = x.values { return DenseTensor(shape: x.shape, bools: v.map { !$0 }) }
        let v = x.int64s
        let out: [Int64]
        switch op {
        case "Neg": out = v.map { 0 &- $0 }
        case "Abs": out = v.map { $0 < 0 ? 0 &- $0 : $0 }
        case "Relu": out = v.map { max($0, 0) }
        case "Sign": out = v.map { $0.signum() }
        case "Clip":
            let lo = call.optionalInput(1)?.int64s.first ?? .min, hi = call.optionalInput(2)?.int64s.first ?? .max
            out = v.map { min(max($0, lo), hi) }
        default: throw OpFailure("\(op) is not supported for \(x.kind.rawValue) tensors")
        }
        return DenseTensor(shape: x.shape, int64s: out)
    }
}

/// Broadcasting binary ops on floats (and on integers for shape arithmetic), comparisons, Where.
enum BinaryOps {
    static let arithmetic: Set<String> = ["Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Mod", "Sum", "Mean"]
    static let comparisons: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]

    static func run(_ call: OpCall) throws -> [DenseTensor] {
        let op = call.node.op
        if (op == "Max" || op == "Min" || op == "Sum" || op == "Mean") && call.inputs.count != 2 {
            return [try variadic(call)]
        }
        let a = try call.input(0), b = try call.input(1)
        guard let plan = Broadcast(a.shape, b.shape) else {
            throw OpFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if comparisons.contains(op) { return [try compare(op, a, b, plan)] }
        if op == "Pow", a.kind == .float32, b.kind == .int64 {
            return [try floatBinary(op, a, DenseTensor(shape: b.shape, floats: b.int64s.map(Float.init)), plan, call)]
        }
        if op == "Pow", a.kind == .int64, b.kind == .float32 {
            // The result has the base's type.
            let (ia, ib) = plan.offsets()
            let va = a.int64s, vb = b.floats
            return [DenseTensor(shape: plan.outputShape, int64s: zip(ia, ib).map { Int64(saturating: pow(Double(va[$0.0]), Double(vb[$0.1]))) })]
        }
        guard a.kind == b.kind else { throw OpFailure("operand types differ: \(a.kind.rawValue) and \(b.kind.rawValue)") }
        if a.kind == .float32 { return [try floatBinary(op, a, b, plan, call)] }
        return [try integerBinary(op, a, b, plan, call)]
    }

    static func floatBinary(_ op: String, _ a: DenseTensor, _ b: DenseTensor, _ plan: Broadcast, _ call: OpCall) throws -> DenseTensor {
        if a.shape == b.shape, op == "Add" || op == "Sum" || op == "Mul" || op == "Sub" {
            return sameShape(op, a, b, call)
        }
        let y = call.output(plan.outputShape)
        let pa = UnsafePointer(a.pointer), pb = UnsafePointer(b.pointer), py = y.pointer
        switch op {
        case "Add", "Sum": Elementwise.binary(AddOp.self, plan, pa, pb, py)
        case "Sub": Elementwise.binary(SubOp.self, plan, pa, pb, py)
        case "Mul": Elementwise.binary(MulOp.self, plan, pa, pb, py)
        case "Div": Elementwise.binary(DivOp.self, plan, pa, pb, py)
        case "Pow": Elementwise.binary(PowOp.self, plan, pa, pb, py)
        case "Max": Elementwise.binary(MaxOp.self, plan, pa, pb, py)
        case "Min": Elementwise.binary(MinOp.self, plan, pa, pb, py)
        case "PRelu": Elementwise.binary(PReluOp.self, plan, pa, pb, py)
        case "Mod":
            guard call.int("fmod", 0) == 1 else { throw OpFailure("float Mod needs fmod=1") }
            Elementwise.binary(ModOp.self, plan, pa, pb, py)
        case "Mean":
            Elementwise.binary(AddOp.self, plan, pa, pb, py)
            for i in 0..<y.count { py[i] *= 0.5 }
        default: throw OpFailure("\(op) is not a float binary op")
        }
        call.activation?.apply(py, y.count)
        return y
    }

    /// Residual adds and gates of equal shapes: one parallel pass with the fused activation.
    static func sameShape(_ op: String, _ a: DenseTensor, _ b: DenseTensor, _ call: OpCall) -> DenseTensor {
        let y = call.output(a.shape)
        nonisolated(unsafe) let pa = a.pointer, pb = b.pointer, py = y.pointer
        let clamp = call.activation?.clamp ?? .none
        let lo = clamp.lo, hi = clamp.hi
        let kind = op == "Mul" ? 1 : op == "Sub" ? 2 : 0
        call.pool.parallelRanges(a.count, grain: 65_536) { r in
            switch kind {
            case 1: for i in r { py[i] = min(max(pa[i] * pb[i], lo), hi) }
            case 2: for i in r { py[i] = min(max(pa[i] - pb[i], lo), hi) }
            default: for i in r { py[i] = min(max(pa[i] + pb[i], lo), hi) }
            }
        }
        return y
    }

    static func integerBinary(_ op: String, _ a: DenseTensor, _ b: DenseTensor, _ plan: Broadcast, _ call: OpCall) throws -> DenseTensor {
        let (ia, ib) = plan.offsets()
        let va = a.int64s, vb = b.int64s
        let f: (Int64, Int64) throws -> Int64
        switch op {
        case "Add", "Sum": f = { $0 &+ $1 }
        case "Sub": f = { $0 &- $1 }
        case "Mul": f = { $0 &* $1 }
        case "Div": f = { guard $1 != 0 else { throw OpFailure("integer division by zero") }; return $0 / $1 }
        case "Max": f = { max($0, $1) }
        case "Min": f = { min($0, $1) }
        case "Mod":
            f = { x, m in
                guard m != 0 else { throw OpFailure("integer modulo by zero") }
                let r = x % m
                return call.int("fmod", 0) == 1 || r == 0 || (r < 0) == (m < 0) ? r : r + m
            }
        case "Pow": f = { Int64(saturating: pow(Double($0), Double($1))) }
        default: throw OpFailure("\(op) is not supported for \(a.kind.rawValue) tensors")
        }
        let out = try zip(ia, ib).map { try f(va[$0.0], vb[$0.1]) }
        return DenseTensor(shape: plan.outputShape, int64s: out)
    }

    static func compare(_ op: String, _ a: DenseTensor, _ b: DenseTensor, _ plan: Broadcast) throws -> DenseTensor {
        let (ia, ib) = plan.offsets()
        if case .bool(let va) = a.values, case .bool(let vb) = b.values {
            let f: (Bool, Bool) -> Bool
            switch op {
            case "And": f = { $0 && $1 }
            case "Or": f = { $0 || $1 }
            case "Xor", "Equal": f = op == "Xor" ? { $0 != $1 } : { $0 == $1 }
            default: throw OpFailure("\(op) is not defined for bool tensors")
            }
            return DenseTensor(shape: plan.outputShape, bools: zip(ia, ib).map { f(va[$0.0], vb[$0.1]) })
        }
        guard a.kind == b.kind else { throw OpFailure("operand types differ: \(a.kind.rawValue) and \(b.kind.rawValue)") }
        let va: [Double] = a.kind == .float32 ? a.floats.map(Double.init) : a.int64s.map(Double.init)
        let vb: [Double] = b.kind == .float32 ? b.floats.map(Double.init) : b.int64s.map(Double.init)
        let f: (Double, Double) -> Bool
        switch op {
        case "Equal": f = { $0 == $1 }
        case "Less": f = { $0 < $1 }
        case "Greater": f = { $0 > $1 }
        case "LessOrEqual": f = { $0 <= $1 }
        case "GreaterOrEqual": f = { $0 >= $1 }
        default: throw OpFailure("\(op) needs bool operands")
        }
        return DenseTensor(shape: plan.outputShape, bools: zip(ia, ib).map { f(va[$0.0], vb[$0.1]) })
    }

    /// Max/Min/Sum/Mean with any number of inputs: folded pairwise.
    static func variadic(_ call: OpCall) throws -> DenseTensor {
        let op = call.node.op
        var acc = try call.input(0)
        let n = call.inputs.count
        if n == 1 {
            let y = call.output(acc.shape)
            if acc.kind == .float32 { y.pointer.update(from: acc.pointer, count: acc.count); return y }
            return acc
        }
        let pairOp = op == "Mean" ? "Sum" : op
        for i in 1..<n {
            let b = try call.input(i)
            guard let plan = Broadcast(acc.shape, b.shape) else { throw OpFailure("shapes \(acc.shape) and \(b.shape) do not broadcast") }
            acc = acc.kind == .float32 ? try floatBinary(pairOp, acc, b, plan, call) : try integerBinary(pairOp, acc, b, plan, call)
        }
        if op == "Mean" && acc.kind == .float32 {
            let p = acc.pointer
            for i in 0..<acc.count { p[i] /= Float(n) }
        }
        return acc
    }

    /// Where(condition, x, y) with three-way broadcasting.
    static func whereOp(_ call: OpCall) throws -> [DenseTensor] {
        let c = try call.input(0), x = try call.input(1), y = try call.input(2)
        guard case .bool(let cond) = c.values else { throw OpFailure("the condition must be bool") }
        guard x.kind == y.kind else { throw OpFailure("x and y types differ") }
        guard let s1 = Broadcast.shape(c.shape, x.shape), let shape = Broadcast.shape(s1, y.shape),
              let pc = Broadcast(c.shape, shape), let px = Broadcast(x.shape, shape), let py = Broadcast(y.shape, shape) else {
            throw OpFailure("shapes \(c.shape), \(x.shape), \(y.shape) do not broadcast")
        }
        let ic = pc.offsets().a, ix = px.offsets().a, iy = py.offsets().a
        if x.kind == .float32 {
            let out = call.output(shape)
            let a = x.pointer, b = y.pointer, o = out.pointer
            for i in 0..<ic.count { o[i] = cond[ic[i]] ? a[ix[i]] : b[iy[i]] }
            return [out]
        }
        let a = x.int64s, b = y.int64s
        let v = (0..<ic.count).map { cond[ic[$0]] ? a[ix[$0]] : b[iy[$0]] }
        return [x.kind == .bool ? DenseTensor(shape: shape, bools: v.map { $0 != 0 }) : DenseTensor(shape: shape, int64s: v)]
    }
}
