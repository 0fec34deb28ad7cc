/// Ops that pick elements by index: Gather (with value propagation), GatherElements, GatherND,
/// the Scatter family, Slice (with value propagation), OneHot, Compress.
extension OpRegistry {
    static let indexingRules: [String: OpRule] = [
        "Gather": { try gather(&$0) },
        "GatherElements": { $0.set(0, elem: $0.elem(0), shape: $0.shape(1)) },
        "GatherND": { try gatherND(&$0) },
        "Scatter": { sameAsInput(&$0) },
        "ScatterElements": { sameAsInput(&$0) },
        "ScatterND": { sameAsInput(&$0) },
        "Slice": { try slice(&$0) },
        "OneHot": { try oneHot(&$0) },
        "Compress": { c in
            c.set(0, elem: c.elem(0))
            guard let x = c.shape(0) else { return }
            guard let axis = c.node.int("axis") else { return c.set(0, elem: c.elem(0), shape: [.unknown]) }
            var out = x
            out[try DimMath.axis(axis, rank: x.count)] = .unknown
            c.set(0, elem: c.elem(0), shape: out)
        },
    ]

    /// data[:axis] + indices.shape + data[axis+1:]; values picked when both are known.
    static func gather(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let data = c.shape(0), let indices = c.shape(1) else { return }
        guard !data.isEmpty else { throw ShapeError("Gather's data must not be a scalar") }
        let axis = try DimMath.axis(c.int("axis", 0), rank: data.count)
        let out = Array(data[..<axis]) + indices + Array(data[(axis + 1)...])
        c.set(0, elem: c.elem(0), shape: out)
        guard data.count == 1, let v = c.values(0), let idx = c.ints(1) else { return }
        let n = Int64(v.count)
        var picked: [Dimension] = []
        for i in idx {
            let k = i < 0 ? i + n : i
            guard k >= 0, k < n else { throw ShapeError("index \(i) is out of range for \(n) values") }
            picked.append(v[Int(k)])
        }
        c.setValues(0, picked)
    }

    /// indices[:-1] + data[batch_dims + indices[-1]:].
    static func gatherND(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let data = c.shape(0), let indices = c.shape(1), let last = indices.last?.knownValue else { return }
        let batch = c.int("batch_dims", 0)
        guard batch >= 0, last >= 0, batch < Int64(indices.count), batch + last <= Int64(data.count) else {
            throw ShapeError("indices' last dim \(last) with batch_dims \(batch) exceeds the data's rank \(data.count)")
        }
        c.set(0, elem: c.elem(0), shape: Array(indices.dropLast()) + Array(data[Int(batch + last)...]))
    }

    /// Number of elements a slice keeps on an axis of size `dim` (onnx's clamping rules).
    static func sliceRange(dim: Int64, start: Int64, end: Int64, step: Int64) -> (start: Int64, count: Int64) {
        var s = start < 0 ? start + dim : start
        var e = end < 0 ? end + dim : end
        if step > 0 {
            s = min(max(s, 0), dim)
            e = min(max(e, 0), dim)
            return (s, max(0, DimMath.ceilDiv(e - s, step)))
        }
        s = min(max(s, 0), dim - 1)
        e = min(max(e, -1), dim - 1)
        return (s, max(0, DimMath.ceilDiv(s - e, -step)))
    }

    /// starts/ends/axes as attributes before opset 10, as inputs 1–4 (with steps) from 10.
    static func slice(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        let starts, ends, steps: [Int64]?
        var axes: [Int64]?
        var axesKnown = true
        if c.opset < 10 {
            starts = c.ints("starts"); ends = c.ints("ends"); axes = c.ints("axes"); steps = nil
        } else {
            starts = c.ints(1); ends = c.ints(2)
            axes = c.has(3) ? c.ints(3) : nil
            axesKnown = !c.has(3) || axes != nil
            steps = c.has(4) ? c.ints(4) : nil
            if c.has(4), steps == nil { return c.set(0, elem: c.elem(0), shape: x.map { _ in .unknown }) }
        }
        guard let starts, let ends, axesKnown else {
            // Bounds unknown: the rank stays; dims on the sliced axes (all, if unknown) are open.
            let sliced = try axes.map { Set(try DimMath.axes($0, rank: x.count)) } ?? Set(x.indices)
            return c.set(0, elem: c.elem(0), shape: x.indices.map { sliced.contains($0) ? .unknown : x[$0] })
        }
        let axisList = axes ?? (0..<Int64(starts.count)).map { $0 }
        let stepList = steps ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
            throw ShapeError("starts, ends, axes and steps have different lengths")
        }
        var out = x
        var ranges: [Int: (Int64, Int64, Int64)] = [:]
        for (k, a) in try DimMath.axes(axisList, rank: x.count).enumerated() {
            let step = stepList[k]
            guard step != 0, step != .min else { throw ShapeError("step \(step) is invalid") }
            guard let dim = x[a].knownValue else {
                // Slicing everything (0 to the end, step 1) keeps even an unknown dim.
                let all = starts[k] == 0 && step == 1 && ends[k] >= Int64(Int32.max)
                out[a] = all ? x[a] : .unknown
                continue
            }
            let (s, n) = sliceRange(dim: dim, start: starts[k], end: ends[k], step: step)
            out[a] = .known(n)
            ranges[a] = (s, n, step)
        }
        c.set(0, elem: c.elem(0), shape: out)
        if x.count == 1, let v = c.values(0), Int64(v.count) == x[0].knownValue {
            guard let (s, n, step) = ranges[0] else { return c.setValues(0, v) }
            c.setValues(0, (0..<n).map { v[Int(s + $0 * step)] })
        }
    }

    /// indices' shape with `depth` (input 1's value) inserted at axis; values' element type.
    static func oneHot(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(2))
        guard let idx = c.shape(0) else { return }
        let axis = try DimMath.axis(c.int("axis", -1), rank: idx.count + 1)
        var out = idx
        out.insert(c.values(1)?.first ?? .unknown, at: axis)
        c.set(0, elem: c.elem(2), shape: out)
    }
}
