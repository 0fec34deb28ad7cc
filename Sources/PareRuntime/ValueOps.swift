import Foundation
import PareCore
import PareEngine
import PareIR
import PareKernels

/// Ops that make values rather than transform them: Shape, Size, Constant, ConstantOfShape,
/// Range, Cast, and the Reduce family.
enum ValueOps {
    static func shape(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let r = x.rank
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let start = clamp(call.int("start", 0)), end = clamp(call.int("end", r))
        let dims = start < end ? Array(x.shape[start..<end]) : []
        return [DenseTensor(shape: [dims.count], int64s: dims.map { Int64($0) })]
    }

    static func size(_ call: OpCall) throws -> [DenseTensor] {
        [DenseTensor(shape: [], int64s: [Int64(try call.input(0).count)])]
    }

    static func constant(_ call: OpCall) throws -> [DenseTensor] {
        let n = call.node
        if let t = n.attribute("value")?.t { return [try DenseTensor(t, place: "attribute 'value'")] }
        if let f = n.attribute("value_float")?.f { return [DenseTensor(shape: [], floats: [f])] }
        if let a = n.attribute("value_floats") { return [DenseTensor(shape: [a.floats.count], floats: a.floats)] }
        if let i = n.attribute("value_int")?.i { return [DenseTensor(shape: [], int64s: [i])] }
        if let a = n.attribute("value_ints") { return [DenseTensor(shape: [a.ints.count], int64s: a.ints)] }
        throw OpFailure("Constant has no supported value attribute (sparse and string constants are not supported)")
    }

    static func constantOfShape(_ call: OpCall) throws -> [DenseTensor] {
        let shape = try call.checkedShape(try call.ints(0))
        let fill = try call.node.attribute("value")?.t.map { try DenseTensor($0, place: "attribute 'value'") }
            ?? DenseTensor(shape: [1], floats: [0])
        let n = shape.reduce(1, *)
        switch fill.values {
        case .float(let b):
            let y = call.output(shape)
            y.pointer.update(repeating: b.pointer[0], count: n)
            return [y]
        case .int64(let v): return [DenseTensor(shape: shape, int64s: Array(repeating: v[0], count: n))]
        case .bool(let v): return [DenseTensor(shape: shape, bools: Array(repeating: v[0], count: n))]
        }
    }

    static func range(_ call: OpCall) throws -> [DenseTensor] {
        let start = try call.input(0), limit = try call.input(1), delta = try call.input(2)
        if start.kind == .float32 {
            let s = start.pointer[0], l = limit.pointer[0], d = delta.pointer[0]
            guard d != 0 else { throw OpFailure("delta must not be 0") }
            let count = ceil(Double(l - s) / Double(d))
            guard count.isFinite, count < Double(OpCall.maxElements) else { throw OpFailure("the range would be too long") }
            let n = max(0, Int(count))
            return [DenseTensor(shape: [n], floats: (0..<n).map { s + Float($0) * d })]
        }
        let s = start.int64s[0], l = limit.int64s[0], d = delta.int64s[0]
        guard d != 0 else { throw OpFailure("delta must not be 0") }
        let count = ceil((Double(l) - Double(s)) / Double(d))
        guard count < Double(OpCall.maxElements) else { throw OpFailure("the range would be too long") }
        let n = max(0, Int(count))
        return [DenseTensor(shape: [n], int64s: (0..<n).map { s &+ Int64($0) &* d })]
    }

    static func cast(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        guard let to = DType(rawValue: Int32(call.int("to", 0))), let kind = DenseTensor.kind(of: to) else {
            throw OpFailure("Cast to type \(call.int("to", 0)) is not supported (the engine holds float32, int64 and bool)")
        }
        switch (x.values, kind) {
        case (.float, .float32):
            let y = call.output(x.shape)
            let src = x.pointer, dst = y.pointer
            switch to {
            case .float16: for i in 0..<x.count { dst[i] = Float(Float16(src[i])) }
            case .bfloat16:
                for i in 0..<x.count {
                    let bits = src[i].bitPattern
                    let rounded = src[i].isNaN ? bits | 0x40_0000 : bits &+ 0x7FFF &+ ((bits >> 16) & 1)
                    dst[i] = Float(bitPattern: rounded & 0xFFFF_0000)
                }
            default: dst.update(from: src, count: x.count)
            }
            return [y]
        case (.float(let b), .int64):
            let values = try (0..<x.count).map { i -> Int64 in
                let v = b.pointer[i]
                guard v.isFinite, abs(v) < 9.2e18 else { throw OpFailure("\(v) cannot be cast to an integer") }
                return Int64(v)
            }
            return [DenseTensor(shape: x.shape, int64s: wrap(values, to))]
        case (.float(let b), .bool): return [DenseTensor(shape: x.shape, bools: (0..<x.count).map { b.pointer[$0] != 0 })]
        case (_, .float32): return [DenseTensor(shape: x.shape, floats: x.int64s.map { Float($0) })]
        case (_, .int64): return [DenseTensor(shape: x.shape, int64s: wrap(x.int64s, to))]
        case (_, .bool): return [DenseTensor(shape: x.shape, bools: x.int64s.map { $0 != 0 })]
        }
    }

    /// Integer casts to narrower types wrap like C (and NumPy) do.
    static func wrap(_ v: [Int64], _ to: DType) -> [Int64] {
        switch to {
        case .int32: v.map { Int64(Int32(truncatingIfNeeded: $0)) }
        case .int16: v.map { Int64(Int16(truncatingIfNeeded: $0)) }
        case .int8: v.map { Int64(Int8(truncatingIfNeeded: $0)) }
        case .uint8: v.map { Int64(UInt8(truncatingIfNeeded: $0)) }
        case .uint16: v.map { Int64(UInt16(truncatingIfNeeded: $0)) }
        case .uint32: v.map { Int64(UInt32(truncatingIfNeeded: $0)) }
        default: v
        }
    }

    static func reduce(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let op = call.node.op
        // Opset 18 moved axes from an attribute to an input (ReduceSum already at 13).
        var axes: [Int]? = call.ints("axes")
        if call.optionalInput(1) != nil { axes = try call.ints(1) }
        if axes?.isEmpty == true { axes = nil }
        if axes == nil && call.int("noop_with_empty_axes", 0) == 1 { return [x] }
        let reduced = Set(try (axes ?? Array(0..<x.rank)).map { try call.axis($0, rank: x.rank) })
        let keep = call.int("keepdims", 1) == 1
        var outShape: [Int] = []
        var kept: [Int] = []
        for (i, d) in x.shape.enumerated() {
            if reduced.contains(i) { if keep { outShape.append(1) } } else { outShape.append(d); kept.append(i) }
        }
        // Walk the input once; each element adds into the output slot its kept coordinates name.
        var outStridesFull = [Int](repeating: 0, count: x.rank)
        var acc = 1
        for i in stride(from: x.rank - 1, through: 0, by: -1) where !reduced.contains(i) {
            outStridesFull[i] = acc; acc *= x.shape[i]
        }
        let target = walk(x.shape, outStridesFull)
        let outCount = outShape.reduce(1, *)
        let groupSize = Double(x.count / max(outCount, 1))
        let values: [Double] = x.kind == .float32 ? x.floats.map(Double.init) : x.int64s.map(Double.init)
        // An empty reduction yields the operation's identity (−inf for Max, 0 for Sum …).
        var result = [Double](repeating: initial(op), count: outCount)
        for (i, t) in target.enumerated() { result[t] = combine(op, result[t], values[i]) }
        for i in result.indices { result[i] = finish(op, result[i], groupSize) }
        switch x.kind {
        case .float32: return [DenseTensor(shape: outShape, floats: result.map { Float($0) })]
        case .int64: return [DenseTensor(shape: outShape, int64s: result.map { Int64(saturating: $0) })]
        case .bool: return [DenseTensor(shape: outShape, bools: result.map { $0 > 0 })]
        }
    }

    static let reduceNames: Set<String> = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                                           "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceLogSum"]

    static func initial(_ op: String) -> Double {
        switch op {
        case "ReduceMax": -.infinity
        case "ReduceMin": .infinity
        case "ReduceProd": 1
        default: 0
        }
    }

    static func combine(_ op: String, _ a: Double, _ v: Double) -> Double {
        switch op {
        case "ReduceMax": v.isNaN ? v : max(a, v)
        case "ReduceMin": v.isNaN ? v : min(a, v)
        case "ReduceProd": a * v
        case "ReduceSumSquare", "ReduceL2": a + v * v
        case "ReduceL1": a + abs(v)
        case "ReduceLogSumExp": a + exp(v)
        default: a + v
        }
    }

    static func finish(_ op: String, _ a: Double, _ n: Double) -> Double {
        switch op {
        case "ReduceMean": a / max(n, 1)
        case "ReduceL2": a.squareRoot()
        case "ReduceLogSumExp", "ReduceLogSum": log(a)
        default: a
        }
    }

    static func walk(_ shape: [Int], _ strides: [Int]) -> [Int] { LayoutOps.walk(shape, strides) }
}
