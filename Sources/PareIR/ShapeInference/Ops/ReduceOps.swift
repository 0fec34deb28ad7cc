/// Reductions (Reduce*, ArgMax, ArgMin) and TopK.
extension OpRegistry {
    static let reduceRules: [String: OpRule] = {
        var r: [String: OpRule] = [:]
        // ReduceSum took axes as an input from opset 13, the others from opset 18.
        for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"] {
            r[op] = { try reduce(&$0, axesInputSince: 18) }
        }
        r["ReduceSum"] = { try reduce(&$0, axesInputSince: 13) }
        r["ArgMax"] = { try argReduce(&$0) }
        r["ArgMin"] = { try argReduce(&$0) }
        r["TopK"] = { try topK(&$0) }
        return r
    }()

    /// Reduced axes become 1 (keepdims, the default) or go; no axes means all of them, unless
    /// noop_with_empty_axes makes the op an identity.
    static func reduce(_ c: inout OpContext, axesInputSince: Int64) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let keep = c.int("keepdims", 1) != 0
        let axes: [Int]
        switch c.intList(attribute: "axes", input: 1, inputSince: axesInputSince) {
        case .known(let list) where !list.isEmpty:
            axes = try DimMath.axes(list, rank: x.count)
        case .known, .absent:
            if c.int("noop_with_empty_axes", 0) != 0 { return c.set(0, elem: c.elem(0), shape: x) }
            axes = Array(x.indices)
        case .unknown(let count):
            if keep { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
            if let count { c.set(0, elem: c.elem(0), shape: DimMath.unknownDims(Int64(x.count - count))) }
            return
        }
        c.set(0, elem: c.elem(0), shape: reduced(x, axes: Set(axes), keep: keep))
    }

    static func reduced(_ x: [Dimension], axes: Set<Int>, keep: Bool) -> [Dimension] {
        x.indices.compactMap { axes.contains($0) ? (keep ? .known(1) : nil) : x[$0] }
    }

    /// INT64 indices along `axis`, kept as 1 or removed.
    static func argReduce(_ c: inout OpContext) throws {
        c.set(0, elem: Elem.int64)
        guard let x = c.shape(0) else { return }
        let axis = try DimMath.axis(c.int("axis", 0), rank: x.count)
        c.set(0, elem: Elem.int64, shape: reduced(x, axes: [axis], keep: c.int("keepdims", 1) != 0))
    }

    /// Values and INT64 indices: the input's shape with `k` on `axis` (k an attribute before
    /// opset 10, a 1-element input from 10).
    static func topK(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        c.set(1, elem: Elem.int64)
        guard let x = c.shape(0) else { return }
        let axis = try DimMath.axis(c.int("axis", -1), rank: x.count)
        var out = x
        out[axis] = c.opset < 10 ? c.node.int("k").map { .known($0) } ?? .unknown : c.values(1)?.first ?? .unknown
        if let k = out[axis].knownValue, let d = x[axis].knownValue, k > d {
            throw ShapeError("k = \(k) is larger than the axis (\(d))")
        }
        c.set(0, elem: c.elem(0), shape: out)
        c.set(1, elem: Elem.int64, shape: out)
    }
}
