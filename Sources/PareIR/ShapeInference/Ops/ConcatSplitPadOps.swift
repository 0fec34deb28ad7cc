/// Concat, Split and Pad: ops that join, cut or grow one axis (Pad: every axis).
extension OpRegistry {
    static let concatSplitPadRules: [String: OpRule] = [
        "Concat": { try concat(&$0) },
        "Split": { try split(&$0) },
        "Pad": { try pad(&$0) },
    ]

    /// Sum of the inputs' dims on `axis`; the other dims must agree (a known value wins over a
    /// symbol). Values of 1-D inputs are concatenated, which is how exported models build
    /// Reshape targets.
    static func concat(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        var shapes: [[Dimension]] = []
        for i in 0..<c.inputCount where c.has(i) {
            guard let s = c.shape(i) else { return }
            shapes.append(s)
        }
        guard let rank = shapes.first?.count else { return }
        guard shapes.allSatisfy({ $0.count == rank }) else { throw ShapeError("the inputs have different ranks") }
        guard let axisValue = c.node.int("axis") else { throw ShapeError("the axis attribute is required") }
        let axis = try DimMath.axis(axisValue, rank: rank)
        var out = shapes[0]
        for s in shapes.dropFirst() {
            for d in 0..<rank {
                if d == axis {
                    out[d] = DimMath.add(out[d], s[d])
                } else if let x = out[d].knownValue, let y = s[d].knownValue {
                    guard x == y else { throw ShapeError("the inputs differ on axis \(d): \(x) and \(y)") }
                } else if out[d].knownValue == nil, s[d].knownValue != nil || out[d].value == nil {
                    out[d] = s[d]
                }
            }
        }
        c.set(0, elem: c.elem(0), shape: out)
        guard rank == 1 else { return }
        var values: [Dimension] = []
        for i in 0..<c.inputCount where c.has(i) {
            guard let v = c.values(i) else { return }
            values += v
        }
        c.setValues(0, values)
    }

    /// Sizes from `split` (attribute before opset 13, input from 13), else num_outputs (opset 18:
    /// ceil-sized chunks, the last one smaller), else equal parts.
    static func split(_ c: inout OpContext) throws {
        for i in 0..<c.outputCount { c.set(i, elem: c.elem(0)) }
        guard let x = c.shape(0) else { return }
        let axis = try DimMath.axis(c.int("axis", 0), rank: x.count)
        let n = c.outputCount
        let dim = x[axis]
        var sizes: [Dimension]
        switch c.intList(attribute: "split", input: 1, inputSince: 13) {
        case .known(let list):
            guard list.count == n else { throw ShapeError("split has \(list.count) sizes for \(n) outputs") }
            guard list.allSatisfy({ $0 >= 0 }) else { throw ShapeError("a split size is negative") }
            let total = try list.reduce(0) { try DimMath.checkedAdd($0, $1) }
            if let d = dim.knownValue, total != d { throw ShapeError("the split sizes add up to \(total), not \(d)") }
            sizes = list.map { .known($0) }
        case .unknown:
            sizes = Array(repeating: .unknown, count: n)
        case .absent:
            guard n > 0 else { return }
            if c.opset >= 18, let parts = c.node.int("num_outputs") {
                guard parts == Int64(n) else { throw ShapeError("num_outputs is \(parts) but the node has \(n) outputs") }
                guard let d = dim.knownValue, d >= 0 else { sizes = Array(repeating: .unknown, count: n); break }
                let chunk = DimMath.ceilDiv(d, parts)
                // chunk · k ≤ d + chunk here, so this cannot overflow.
                sizes = (0..<n).map { .known(max(0, min(chunk, d - min(d, chunk * Int64($0))))) }
            } else {
                guard let d = dim.knownValue else { sizes = Array(repeating: .unknown, count: n); break }
                guard d % Int64(n) == 0 else { throw ShapeError("\(d) does not split into \(n) equal parts") }
                sizes = Array(repeating: .known(d / Int64(n)), count: n)
            }
        }
        var offset = 0
        for (i, size) in sizes.enumerated() {
            var out = x
            out[axis] = size
            c.set(i, elem: c.elem(0), shape: out)
            if x.count == 1, let v = c.values(0), let k = size.knownValue, offset + Int(k) <= v.count {
                c.setValues(i, Array(v[offset..<(offset + Int(k))]))
                offset += Int(k)
            }
        }
    }

    /// Each dim grows by its begin and end pads (attribute before opset 11, input from 11, with
    /// an optional axes input from 18). Negative pads crop.
    static func pad(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let pads: [Int64]?
        if c.opset < 11 {
            pads = c.ints("pads") ?? c.ints("paddings")
        } else {
            pads = c.ints(1)
        }
        var axes = Array(0..<x.count)
        if c.opset >= 18, c.has(3) {
            guard let a = c.ints(3) else { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
            axes = try DimMath.axes(a, rank: x.count)
        }
        guard let pads else { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
        guard pads.count == 2 * axes.count else {
            throw ShapeError("pads has \(pads.count) values for \(axes.count) axes")
        }
        var out = x
        for (k, a) in axes.enumerated() {
            out[a] = DimMath.add(x[a], .known(try DimMath.checkedAdd(pads[k], pads[k + axes.count])))
            if let v = out[a].knownValue, v < 0 { throw ShapeError("padding makes axis \(a) negative (\(v))") }
        }
        c.set(0, elem: c.elem(0), shape: out)
    }
}
