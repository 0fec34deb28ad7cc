/// Ops that read or rearrange a shape: Shape, Size, Reshape, Flatten, Transpose, Squeeze,
/// Unsqueeze, Expand, Tile, DepthToSpace, SpaceToDepth. Shape and Size start data propagation;
/// the others carry propagated values through.
extension OpRegistry {
    static let shapeRules: [String: OpRule] = [
        "Shape": { try shapeOp(&$0) },
        "Size": { c in
            c.set(0, elem: Elem.int64, shape: [])
            if let x = c.shape(0) { c.setValues(0, [DimMath.product(x)]) }
        },
        "Reshape": { try reshape(&$0) },
        "Flatten": { try flatten(&$0) },
        "Transpose": { try transpose(&$0) },
        "Squeeze": { try squeeze(&$0) },
        "Unsqueeze": { try unsqueeze(&$0) },
        "Expand": { try expand(&$0) },
        "Tile": { try tile(&$0) },
        "DepthToSpace": { try depthSpace(&$0, toSpace: true) },
        "SpaceToDepth": { try depthSpace(&$0, toSpace: false) },
    ]

    /// A 1-D INT64 tensor of the input's dims, sliced by start/end (opset 15); its values are
    /// the dims themselves, symbols included.
    static func shapeOp(_ c: inout OpContext) throws {
        guard let x = c.shape(0) else {
            c.set(0, elem: Elem.int64, shape: [.unknown])
            return
        }
        let r = Int64(x.count)
        func clamp(_ v: Int64) -> Int { Int(min(max(v < 0 ? v + r : v, 0), r)) }
        let start = clamp(c.int("start", 0)), end = clamp(c.int("end", r))
        let dims = start < end ? Array(x[start..<end]) : []
        c.set(0, elem: Elem.int64, shape: [.known(Int64(dims.count))])
        c.setValues(0, dims)
    }

    /// Target dims from the shape input (opset 5) or attribute: 0 copies the input dim (unless
    /// allowzero), -1 takes what is left. Matching symbols cancel, so [N, 512, 1, 1] reshaped to
    /// [N, -1] gives [N, 512].
    static func reshape(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        let target: [Dimension]
        if c.opset < 5 {
            guard let s = c.ints("shape") else { return }
            target = s.map { .known($0) }
        } else if let v = c.values(1) {
            target = v
        } else {
            if let dims = DimMath.unknownDims(c.shape(1)?.first?.knownValue) { c.set(0, elem: c.elem(0), shape: dims) }
            return
        }
        let x = c.shape(0)
        let allowZero = c.int("allowzero", 0) != 0
        var out: [Dimension] = []
        var inferred: Int?
        for (i, t) in target.enumerated() {
            switch t.knownValue {
            case .some(0) where !allowZero:
                guard let x else { out.append(.unknown); continue }
                guard i < x.count else { throw ShapeError("shape value 0 at index \(i) copies a dim the input (rank \(x.count)) does not have") }
                out.append(x[i])
            case .some(-1):
                guard inferred == nil else { throw ShapeError("the shape has more than one -1") }
                inferred = i
                out.append(.unknown)
            case let v? where v < -1:
                throw ShapeError("shape value \(v) is invalid")
            default:
                out.append(t)
            }
        }
        if let x {
            let rest = remainder(x, out.enumerated().filter { $0.offset != inferred }.map(\.element))
            if let inferred {
                if let (num, den) = rest {
                    guard den != 0 else { throw ShapeError("cannot infer -1 next to a zero dim") }
                    guard num % den == 0 else { throw ShapeError("cannot reshape \(num) elements into a multiple of \(den)") }
                    out[inferred] = .known(num / den)
                }
            } else if let (num, den) = rest, num != den {
                throw ShapeError("cannot reshape a tensor of \(num) elements into \(den) elements")
            }
        }
        c.set(0, elem: c.elem(0), shape: out)
        if out.count <= 1 { c.setValues(0, c.values(0)) }
    }

    /// The element counts of `a` and `b` after cancelling equal symbols, when both are then known.
    static func remainder(_ a: [Dimension], _ b: [Dimension]) -> (Int64, Int64)? {
        var left = a, right = b
        for (i, d) in left.enumerated().reversed() where d.symbolName != nil {
            if let j = right.firstIndex(where: { $0.sameValue(as: d) }) {
                left.remove(at: i)
                right.remove(at: j)
            }
        }
        guard let p = DimMath.knownProduct(left), let q = DimMath.knownProduct(right) else { return nil }
        return (p, q)
    }

    /// [product of dims before axis, product from axis on].
    static func flatten(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        var axis = c.int("axis", 1)
        if axis < 0 { axis += Int64(x.count) }
        guard axis >= 0, axis <= Int64(x.count) else { throw ShapeError("axis \(c.int("axis", 1)) is out of range for rank \(x.count)") }
        let a = Int(axis)
        c.set(0, elem: c.elem(0), shape: [DimMath.product(x[..<a]), DimMath.product(x[a...])])
    }

    static func transpose(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let perm = c.ints("perm") ?? (0..<Int64(x.count)).reversed()
        guard perm.count == x.count else { throw ShapeError("perm has \(perm.count) values for rank \(x.count)") }
        let axes = try DimMath.axes(perm, rank: x.count)
        c.set(0, elem: c.elem(0), shape: axes.map { x[$0] })
    }

    /// Removes the listed axes (attribute before opset 13, input from 13), or every dim of 1.
    static func squeeze(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        var drop: Set<Int>
        switch c.intList(attribute: "axes", input: 1, inputSince: 13) {
        case .known(let axes):
            drop = Set(try DimMath.axes(axes, rank: x.count))
            for a in drop {
                if let v = x[a].knownValue, v != 1 { throw ShapeError("axis \(a) has size \(v), not 1") }
            }
        case .absent:
            // Without axes every dim of 1 goes; a dim not known to be 1 or not leaves it open.
            guard x.allSatisfy({ $0.knownValue != nil }) else { return }
            drop = Set(x.indices.filter { x[$0].knownValue == 1 })
        case .unknown:
            return
        }
        let out = x.indices.filter { !drop.contains($0) }.map { x[$0] }
        c.set(0, elem: c.elem(0), shape: out)
        if out.count <= 1 { c.setValues(0, c.values(0)) }
    }

    /// Inserts dims of 1 at the listed axes of the output.
    static func unsqueeze(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard case .known(let axes) = c.intList(attribute: "axes", input: 1, inputSince: 13) else { return }
        let rank = x.count + axes.count
        let positions = Set(try DimMath.axes(axes, rank: rank))
        var rest = x.makeIterator()
        let out = (0..<rank).map { positions.contains($0) ? Dimension.known(1) : rest.next() ?? .unknown }
        c.set(0, elem: c.elem(0), shape: out)
        if out.count <= 1 { c.setValues(0, c.values(0)) }
    }

    /// Broadcast of the input's shape with the target shape (values of input 1).
    static func expand(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard let target = c.values(1) else {
            // Unknown target: the rank is at least the input's; a dim other than 1 stays.
            guard let k = c.shape(1)?.first?.knownValue, k >= 0, k <= DimMath.maxRank else { return }
            let rank = max(Int(k), x.count)
            let padded = Array(repeating: Dimension.unknown, count: rank - x.count) + x
            c.set(0, elem: c.elem(0), shape: padded.map { ($0.knownValue ?? 1) != 1 ? $0 : .unknown })
            return
        }
        let out = try DimMath.broadcast([x, target])
        c.set(0, elem: c.elem(0), shape: out)
        if out.count <= 1, let n = out.isEmpty ? 1 : out[0].knownValue, n <= DimMath.maxRank, let v = c.values(0),
           v.count == 1 || v.count == n {
            c.setValues(0, (0..<Int(n)).map { v[v.count == 1 ? 0 : $0] })
        }
    }

    /// Each dim times its repeat count.
    static func tile(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard let repeats = c.values(1) else {
            c.set(0, elem: c.elem(0), shape: Array(repeating: .unknown, count: x.count))
            return
        }
        guard repeats.count == x.count else { throw ShapeError("repeats has \(repeats.count) values for rank \(x.count)") }
        c.set(0, elem: c.elem(0), shape: zip(x, repeats).map { DimMath.mul($0, $1) })
    }

    /// DepthToSpace: [N, C/b², H·b, W·b]; SpaceToDepth the inverse.
    static func depthSpace(_ c: inout OpContext, toSpace: Bool) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard x.count == 4 else { throw ShapeError("\(c.op) needs a 4-D input, got rank \(x.count)") }
        let b = c.int("blocksize", 0)
        guard b > 0 else { throw ShapeError("blocksize must be positive") }
        let b2 = try DimMath.checkedMul(b, b)
        let bb = Dimension.known(b2), bd = Dimension.known(b)
        if toSpace {
            if let ch = x[1].knownValue, ch % b2 != 0 { throw ShapeError("\(ch) channels are not a multiple of \(b2)") }
            c.set(0, elem: c.elem(0), shape: [x[0], DimMath.div(x[1], bb), DimMath.mul(x[2], bd), DimMath.mul(x[3], bd)])
        } else {
            for d in x[2...] {
                if let v = d.knownValue, v % b != 0 { throw ShapeError("spatial size \(v) is not a multiple of \(b)") }
            }
            c.set(0, elem: c.elem(0), shape: [x[0], DimMath.mul(x[1], bb), DimMath.div(x[2], bd), DimMath.div(x[3], bd)])
        }
    }
}
