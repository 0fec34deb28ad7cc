/// Resampling: Resize, Upsample and GridSample.
extension OpRegistry {
    static let resizeRules: [String: OpRule] = [
        "Resize": { try resize(&$0) },
        "Upsample": { try upsample(&$0) },
        "GridSample": { c in
            // [N, C, spatial of the grid]: the grid is [N, H_out, W_out, 2] (or 3-D likewise).
            c.set(0, elem: c.elem(0))
            guard let x = c.shape(0), let g = c.shape(1), x.count >= 2, g.count >= 2 else { return }
            c.set(0, elem: c.elem(0), shape: [x[0], x[1]] + Array(g[1..<(g.count - 1)]))
        },
    ]

    /// `floor(x · scale)` in float32, exactly as onnx computes it (so 9 × 0.3333333 gives 2).
    static func scaled(_ d: Dimension, _ scale: Double) -> Dimension {
        guard let x = d.knownValue else { return scale == 1 ? d : .unknown }
        return integral((Float(x) * Float(scale)).rounded(.down))
    }

    /// A float size as a dim; unknown when it is not finite or out of Int64's range.
    static func integral<F: BinaryFloatingPoint>(_ v: F) -> Dimension {
        v.isFinite && v >= 0 && v < 9e18 ? .known(Int64(v)) : .unknown
    }

    /// Output from `sizes` when given, else from `scales` (inputs: X, scales before opset 11;
    /// X, roi, scales, sizes from 11; opset 18 adds the axes and keep_aspect_ratio_policy attributes).
    static func resize(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let scalesIndex = c.opset < 11 ? 1 : 2
        var axes = Array(x.indices)
        if c.opset >= 18, let a = c.ints("axes") { axes = try DimMath.axes(a, rank: x.count) }
        var out = x
        if c.opset >= 11, c.has(3) {
            guard let sizes = c.values(3) else { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
            guard sizes.count == axes.count else { throw ShapeError("sizes has \(sizes.count) values for \(axes.count) axes") }
            let policy = c.opset >= 18 ? c.string("keep_aspect_ratio_policy", "stretch") : "stretch"
            if policy == "stretch" {
                for (k, a) in axes.enumerated() { out[a] = sizes[k] }
            } else {
                // One scale for every axis: the smallest (not_larger) or largest (not_smaller) ratio.
                var ratios: [Double] = []
                for (k, a) in axes.enumerated() {
                    guard let s = sizes[k].knownValue, let d = x[a].knownValue, d > 0 else {
                        return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown })
                    }
                    ratios.append(Double(s) / Double(d))
                }
                let scale = policy == "not_larger" ? ratios.min() ?? 1 : ratios.max() ?? 1
                for a in axes { out[a] = x[a].knownValue.map { integral((scale * Double($0)).rounded()) } ?? .unknown }
            }
        } else if c.has(scalesIndex), let scales = c.floats(scalesIndex), !scales.isEmpty {
            guard scales.count == axes.count else { throw ShapeError("scales has \(scales.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() { out[a] = scaled(x[a], scales[k]) }
        } else {
            out = x.map { _ in .unknown }
        }
        c.set(0, elem: c.elem(0), shape: out)
    }

    /// Upsample: scales as an attribute (opset 7–8) or input 1 (opset 9).
    static func upsample(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let scales = c.opset < 9 ? c.node.attribute("scales").map { $0.floats.map(Double.init) } : c.floats(1)
        guard let scales else { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
        guard scales.count == x.count else { throw ShapeError("scales has \(scales.count) values for rank \(x.count)") }
        c.set(0, elem: c.elem(0), shape: zip(x, scales).map { scaled($0, $1) })
    }
}
