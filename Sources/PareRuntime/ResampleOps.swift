import Foundation
import PareEngine
import PareKernels

/// Pad and Resize: each output element reads one (Pad, nearest) or a few (linear) input elements.
enum ResampleOps {
    static func pad(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let r = x.rank
        var pads: [Int]
        var fill: Float = 0
        var axes = Array(0..<r)
        if call.context.opset < 11 {
            pads = call.ints("pads") ?? []
            fill = call.float("value", 0)
        } else {
            pads = try call.ints(1)
            if let v = call.optionalInput(2), v.count > 0 { fill = v.kind == .float32 ? v.pointer[0] : Float(v.int64s[0]) }
            if call.optionalInput(3) != nil { axes = try call.ints(3).map { try call.axis($0, rank: r) } }
        }
        guard pads.count == 2 * axes.count else { throw OpFailure("pads has \(pads.count) entries for \(axes.count) axes") }
        var begin = [Int](repeating: 0, count: r), end = begin
        for (i, a) in axes.enumerated() { begin[a] = pads[i]; end[a] = pads[i + axes.count] }
        let shape = (0..<r).map { x.shape[$0] + begin[$0] + end[$0] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw OpFailure("pads \(pads) remove more than input \(x.shape) has") }
        _ = try call.checkedShape(shape)
        let mode = call.string("mode", "constant")
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw OpFailure("mode '\(mode)' is not supported") }
        let inStrides = x.shape.strides
        // -1 marks a constant-filled element.
        var source = [Int](); source.reserveCapacity(shape.reduce(1, *))
        var index = [Int](repeating: 0, count: r)
        let total = shape.reduce(1, *)
        for _ in 0..<total {
            var offset = 0
            for d in 0..<r {
                var i = index[d] - begin[d]
                let n = x.shape[d]
                if i < 0 || i >= n {
                    switch mode {
                    case "constant": offset = -1
                    case "edge": i = min(max(i, 0), n - 1)
                    case "wrap": i = ((i % n) + n) % n
                    default:
                        guard n > 1 else { i = 0; break }
                        let period = 2 * (n - 1)
                        i = ((i % period) + period) % period
                        if i >= n { i = period - i }
                    }
                    if offset < 0 { break }
                }
                offset += i * inStrides[d]
            }
            source.append(offset)
            var d = r - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        if mode != "constant" && x.count == 0 && total > 0 { throw OpFailure("cannot \(mode)-pad an empty tensor") }
        switch x.values {
        case .float(let b):
            let y = call.output(shape)
            for (i, s) in source.enumerated() { y.pointer[i] = s < 0 ? fill : b.pointer[s] }
            return [y]
        case .int64(let v): return [DenseTensor(shape: shape, int64s: source.map { $0 < 0 ? Int64(saturating: Double(fill)) : v[$0] })]
        case .bool(let v): return [DenseTensor(shape: shape, bools: source.map { $0 < 0 ? fill != 0 : v[$0] })]
        }
    }

    static func resize(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0)
        let r = x.rank
        let opset = call.context.opset
        // Inputs: X, roi, scales, sizes (opset ≥ 11); X, scales (opset 10).
        var scales: [Float]? = nil
        var sizes: [Int]? = nil
        let scalesIndex = opset >= 11 ? 2 : 1
        if let s = call.optionalInput(scalesIndex), s.count > 0 { scales = s.floats }
        if opset >= 11, let s = call.optionalInput(3), s.count > 0 { sizes = try call.ints(3) }
        var axes = Array(0..<r)
        if let a = call.ints("axes") { axes = try a.map { try call.axis($0, rank: r) } }
        var outShape = x.shape
        var scale = [Float](repeating: 1, count: r)
        if let sizes {
            guard sizes.count == axes.count else { throw OpFailure("sizes has \(sizes.count) entries for \(axes.count) axes") }
            guard sizes.allSatisfy({ $0 > 0 }), axes.allSatisfy({ x.shape[$0] > 0 }) else { throw OpFailure("sizes \(sizes) must be positive") }
            let policy = call.string("keep_aspect_ratio_policy", "stretch")
            var ratios = axes.enumerated().map { Float(sizes[$0.offset]) / Float(x.shape[$0.element]) }
            if policy != "stretch" {
                let k = policy == "not_larger" ? ratios.min()! : ratios.max()!
                ratios = Array(repeating: k, count: axes.count)
                for a in axes { outShape[a] = Int((Float(x.shape[a]) * k).rounded(.toNearestOrEven)) }
            } else {
                for (i, a) in axes.enumerated() { outShape[a] = sizes[i] }
            }
            for (i, a) in axes.enumerated() { scale[a] = ratios[i] }
        } else if let scales {
            guard scales.count == axes.count else { throw OpFailure("scales has \(scales.count) entries for \(axes.count) axes") }
            guard scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 1e6 }) else { throw OpFailure("scales \(scales) must be positive and finite") }
            for (i, a) in axes.enumerated() {
                scale[a] = scales[i]
                outShape[a] = Int(floor(Float(x.shape[a]) * scales[i]))
            }
        } else {
            throw OpFailure("Resize needs scales or sizes")
        }
        _ = try call.checkedShape(outShape)
        let mode = call.string("mode", "nearest")
        let transform = call.string("coordinate_transformation_mode", opset >= 11 ? "half_pixel" : "asymmetric")
        let nearestMode = call.string("nearest_mode", "round_prefer_floor")
        guard mode == "nearest" || mode == "linear" || mode == "cubic" else {
            throw OpFailure("mode '\(mode)' is not supported (nearest, linear, cubic are)")
        }
        let cubicA = call.float("cubic_coeff_a", -0.75)
        let excludeOutside = call.int("exclude_outside", 0) != 0
        guard ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"].contains(transform) else {
            throw OpFailure("coordinate_transformation_mode '\(transform)' is not supported")
        }
        if call.int("antialias", 0) != 0 { throw OpFailure("antialias=1 is not supported") }
        // Per axis: for each output index, the input coordinate it samples.
        func source(_ axis: Int, _ o: Int) -> Float {
            let inN = Float(x.shape[axis]), outN = Float(outShape[axis]), s = scale[axis]
            let of = Float(o)
            switch transform {
            case "asymmetric": return of / s
            // The resized length is in·scale, unrounded (onnx reference), not the output extent.
            case "align_corners": let len = inN * s; return len <= 1 ? 0 : of * (inN - 1) / (len - 1)
            case "pytorch_half_pixel": return outN > 1 ? (of + 0.5) / s - 0.5 : 0
            case "half_pixel_symmetric":
                let adj = outN / (s * inN), center = inN / 2, offset = center * (1 - adj)
                return offset + (of + 0.5) / s - 0.5
            default: return (of + 0.5) / s - 0.5
            }
        }
        let y = call.output(outShape)
        let inStrides = x.shape.strides
        let total = outShape.reduce(1, *)
        // Per-axis taps: (index, weight) pairs, precomputed.
        var taps: [[[(Int, Float)]]] = []
        for a in 0..<r {
            var axisTaps: [[(Int, Float)]] = []
            let n = x.shape[a]
            for o in 0..<outShape[a] {
                if outShape[a] == n && scale[a] == 1 { axisTaps.append([(o, 1)]); continue }
                let c = source(a, o)
                if mode == "nearest" {
                    var i: Int
                    switch nearestMode {
                    case "floor": i = Int(floor(c))
                    case "ceil": i = Int(ceil(c))
                    case "round_prefer_ceil": i = Int((c).rounded(.toNearestOrAwayFromZero))
                        if c - floor(c) == 0.5 { i = Int(ceil(c)) }
                    default: i = c - floor(c) == 0.5 ? Int(floor(c)) : Int(c.rounded(.toNearestOrAwayFromZero))
                    }
                    axisTaps.append([(min(max(i, 0), n - 1), 1)])
                } else if mode == "cubic" {
                    axisTaps.append(cubicTaps(c, n, a: cubicA, excludeOutside: excludeOutside))
                } else {
                    let cc = min(max(c, 0), Float(n - 1))
                    let i0 = Int(floor(cc)), i1 = min(i0 + 1, n - 1)
                    let f = cc - Float(i0)
                    axisTaps.append(f == 0 || i0 == i1 ? [(i0, Float(1))] : [(i0, 1 - f), (i1, f)])
                }
            }
            taps.append(axisTaps)
        }
        var index = [Int](repeating: 0, count: r)
        let src = x.pointer, dst = y.pointer
        for flat in 0..<total {
            // Sum over the product of per-axis taps (1 or 2 per axis).
            var sum: Float = 0
            func visit(_ d: Int, _ offset: Int, _ weight: Float) {
                if d == r { sum += weight * src[offset]; return }
                for (i, w) in taps[d][index[d]] { visit(d + 1, offset + i * inStrides[d], weight * w) }
            }
            visit(0, 0, 1)
            dst[flat] = sum
            var d = r - 1
            while d >= 0 { index[d] += 1; if index[d] < outShape[d] { break }; index[d] = 0; d -= 1 }
        }
        return [y]
    }

    /// Keys' cubic convolution: four taps around `c` with coefficient `a`. Taps past the edge read
    /// the edge value, or are dropped and the rest renormalized when `excludeOutside`.
    static func cubicTaps(_ c: Float, _ n: Int, a: Float, excludeOutside: Bool) -> [(Int, Float)] {
        let i0 = Int(floor(c)), t = c - floor(c)
        func weight(_ d: Float) -> Float {
            let x = abs(d)
            if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        var taps: [(Int, Float)] = []
        var total: Float = 0
        for k in -1...2 {
            let i = i0 + k
            let w = weight(t - Float(k))
            if excludeOutside && (i < 0 || i >= n) { continue }
            taps.append((min(max(i, 0), n - 1), w))
            total += w
        }
        if excludeOutside && total != 0 { taps = taps.map { ($0.0, $0.1 / total) } }
        return taps
    }
}
