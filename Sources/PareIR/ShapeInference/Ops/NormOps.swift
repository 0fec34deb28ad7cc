/// Normalisations: the output keeps the input's shape; extra outputs carry per-channel or
/// per-row statistics.
extension OpRegistry {
    static let normRules: [String: OpRule] = [
        "BatchNormalization": { try batchNorm(&$0) },
        "InstanceNormalization": { sameAsInput(&$0) },
        "GroupNormalization": { sameAsInput(&$0) },
        "MeanVarianceNormalization": { sameAsInput(&$0) },
        "LpNormalization": { sameAsInput(&$0) },
        "LRN": { sameAsInput(&$0) },
        "LayerNormalization": { try layerNorm(&$0) },
        "RMSNormalization": { sameAsInput(&$0) },
    ]

    /// Output 0 has input 0's type and shape.
    static func sameAsInput(_ c: inout OpContext) {
        c.set(0, elem: c.elem(0), shape: c.shape(0))
    }

    /// Y like X; the optional statistics outputs (running or saved mean and variance, whose number
    /// depends on the opset and training_mode) are vectors of length C.
    static func batchNorm(_ c: inout OpContext) throws {
        sameAsInput(&c)
        let x = c.shape(0)
        if let x, x.count < 2 { throw ShapeError("the input has rank \(x.count); BatchNormalization needs at least 2") }
        if let x, let scale = c.shape(1), scale.count == 1, let a = x[1].knownValue, let b = scale[0].knownValue, a != b {
            throw ShapeError("scale has \(b) values for \(a) channels")
        }
        let channels: [Dimension]? = x.map { [$0[1]] }
        for i in 1..<max(c.outputCount, 1) {
            // Statistics share the mean input's type (which may differ from X's from opset 15).
            c.set(i, elem: c.elem(3) ?? c.elem(0), shape: channels)
        }
    }

    /// Y like X; Mean and InvStdDev keep the dims before `axis` and have 1 from it on, in the
    /// stash_type element type (FLOAT by default).
    static func layerNorm(_ c: inout OpContext) throws {
        sameAsInput(&c)
        let stash = Int32(truncatingIfNeeded: c.int("stash_type", 1))
        guard let x = c.shape(0) else {
            for i in 1..<max(c.outputCount, 1) { c.set(i, elem: stash) }
            return
        }
        let axis = try DimMath.axis(c.int("axis", -1), rank: x.count)
        let stats = Array(x[..<axis]) + Array(repeating: Dimension.known(1), count: x.count - axis)
        for i in 1..<max(c.outputCount, 1) { c.set(i, elem: stash, shape: stats) }
    }
}
