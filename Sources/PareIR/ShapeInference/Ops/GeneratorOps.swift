import PareCore

/// Ops that create tensors: Constant (the start of most data propagation), ConstantOfShape,
/// Range, NonZero, EyeLike and the random generators.
extension OpRegistry {
    static let generatorRules: [String: OpRule] = [
        "Constant": { try constant(&$0) },
        "ConstantOfShape": { try constantOfShape(&$0) },
        "Range": { try range(&$0) },
        "NonZero": { c in
            // One row per input axis; how many non-zeros there are is known only at run time.
            c.set(0, elem: Elem.int64, shape: c.shape(0).map { [.known(Int64($0.count)), .unknown] })
        },
        "EyeLike": { c in c.set(0, elem: dtype(c) ?? c.elem(0), shape: c.shape(0)) },
        "RandomNormalLike": { c in c.set(0, elem: dtype(c) ?? c.elem(0), shape: c.shape(0)) },
        "RandomUniformLike": { c in c.set(0, elem: dtype(c) ?? c.elem(0), shape: c.shape(0)) },
        "RandomNormal": { c in c.set(0, elem: dtype(c) ?? Elem.float, shape: c.ints("shape")?.map { .known($0) }) },
        "RandomUniform": { c in c.set(0, elem: dtype(c) ?? Elem.float, shape: c.ints("shape")?.map { .known($0) }) },
        "Multinomial": { c in
            let batch = c.shape(0)?.first ?? .unknown
            c.set(0, elem: dtype(c) ?? Elem.int32, shape: [batch, .known(c.int("sample_size", 1))])
        },
    ]

    static func dtype(_ c: OpContext) -> Int32? { c.node.int("dtype").map { Int32(truncatingIfNeeded: $0) } }

    /// Type and shape from whichever value_* attribute is set; small integer values are kept
    /// for propagation and small float values for scales.
    static func constant(_ c: inout OpContext) throws {
        let n = c.node
        if let t = n.attribute("value")?.t {
            c.set(0, elem: t.dataType, shape: t.dims.map { .known($0) })
            if t.dims.count <= 1, let v = t.int64Values() { c.setInts(0, v) }
            if let f = t.doubleValues(), t.dtype?.isFloatingPoint == true { c.outputFloats[0] = f }
        } else if let s = n.attribute("sparse_value")?.sparseTensor {
            c.set(0, elem: s.values?.dataType, shape: s.dims.map { .known($0) })
        } else if let f = n.attribute("value_float")?.f {
            c.set(0, elem: Elem.float, shape: [])
            c.outputFloats[0] = [Double(f)]
        } else if let a = n.attribute("value_floats") {
            c.set(0, elem: Elem.float, shape: [.known(Int64(a.floats.count))])
            c.outputFloats[0] = a.floats.map(Double.init)
        } else if let i = n.attribute("value_int")?.i {
            c.set(0, elem: Elem.int64, shape: [])
            c.setInts(0, [i])
        } else if let a = n.attribute("value_ints") {
            c.set(0, elem: Elem.int64, shape: [.known(Int64(a.ints.count))])
            c.setInts(0, a.ints)
        } else if n.attribute("value_string") != nil {
            c.set(0, elem: DType.string.rawValue, shape: [])
        } else if let a = n.attribute("value_strings") {
            c.set(0, elem: DType.string.rawValue, shape: [.known(Int64(a.strings.count))])
        } else {
            throw ShapeError("Constant has none of the value attributes")
        }
    }

    /// Output dims are input 0's values; the element type is that of the `value` attribute.
    static func constantOfShape(_ c: inout OpContext) throws {
        let fill = c.node.attribute("value")?.t
        let elem = fill?.dataType ?? Elem.float
        guard let dims = c.values(0) else {
            c.set(0, elem: elem, shape: DimMath.unknownDims(c.shape(0)?.first?.knownValue))
            return
        }
        if let v = dims.first(where: { ($0.knownValue ?? 0) < 0 })?.knownValue {
            throw ShapeError("a dim of the requested shape is negative (\(v))")
        }
        c.set(0, elem: elem, shape: dims)
        // A small integer vector filled with one value (exporters build shapes this way).
        // (Without `value` the fill is FLOAT 0, not an integer.)
        if dims.count <= 1, let n = dims.isEmpty ? 1 : dims[0].knownValue, n <= 1024, let v = fill?.int64Values()?.first {
            c.setInts(0, Array(repeating: v, count: Int(n)))
        }
    }

    /// A 1-D tensor of max(ceil((limit − start) / delta), 0) elements.
    static func range(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0), shape: [.unknown])
        if let s = c.ints(0)?.first, let l = c.ints(1)?.first, let d = c.ints(2)?.first {
            guard d != 0 else { throw ShapeError("delta is 0") }
            let n = max(DimMath.ceilDiv(try DimMath.checkedSub(l, s), d), 0)
            c.set(0, elem: c.elem(0), shape: [.known(n)])
            if n <= 1024 { c.setInts(0, (0..<n).map { s + $0 * d }) }
        } else if let s = c.floats(0)?.first, let l = c.floats(1)?.first, let d = c.floats(2)?.first {
            guard d != 0 else { throw ShapeError("delta is 0") }
            let n = max(((l - s) / d).rounded(.up), 0)
            if n.isFinite, n < 1e15 { c.set(0, elem: c.elem(0), shape: [.known(Int64(n))]) }
        }
    }
}
