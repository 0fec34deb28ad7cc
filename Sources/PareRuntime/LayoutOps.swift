import PareEngine
import PareKernels

/// Ops that move or view data without arithmetic: Reshape, Flatten, Squeeze, Unsqueeze,
/// Transpose, Concat, Split, Slice, Gather, Expand, Identity, Dropout.
enum LayoutOps {
    /// A new tensor of `shape` whose element i is `t`'s element `source[i]`, for every kind.
    static func gathered(_ t: DenseTensor, _ shape: [Int], _ source: [Int], _ call: OpCall) -> DenseTensor {
        switch t.values {
        case .float(let b):
            let y = call.output(shape)
            let p = y.pointer
            for (i, s) in source.enumerated() { p[i] = b.pointer[s] }
            return y
        case .int64(let v): return DenseTensor(shape: shape, int64s: source.map { v[$0] })
        case .bool(let v): return DenseTensor(shape: shape, bools: source.map { v[$0] })
        }
    }

    static func reshape(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let requested = try call.ints(1)
        let allowZero = call.int("allowzero", 0) == 1
        var shape = requested
        for (i, d) in requested.enumerated() where d == 0 && !allowZero {
            guard i < x.rank else { throw OpFailure("shape \(requested) copies axis \(i), which input \(x.shape) lacks") }
            shape[i] = x.shape[i]
        }
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else { throw OpFailure("invalid target shape \(requested)") }
        if let u = unknown.first {
            let known = shape.enumerated().filter { $0.offset != u }.map(\.element).reduce(1, *)
            guard known > 0, x.count % known == 0 else { throw OpFailure("cannot reshape \(x.shape) to \(requested)") }
            shape[u] = x.count / known
        }
        guard shape.reduce(1, *) == x.count else { throw OpFailure("cannot reshape \(x.shape) (\(x.count) elements) to \(requested)") }
        return [x.reshaped(shape)]
    }

    static func flatten(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        var axis = call.int("axis", 1)
        if axis < 0 { axis += x.rank }
        guard axis >= 0 && axis <= x.rank else { throw OpFailure("axis \(call.int("axis", 1)) is out of range for \(x.shape)") }
        return [x.reshaped([x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)])]
    }

    static func axesArgument(_ call: OpCall) throws -> [Int]? {
        if call.inputs.count > 1, call.optionalInput(1) != nil { return try call.ints(1) }
        return call.ints("axes")
    }

    static func squeeze(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let axes = try axesArgument(call).map { try $0.map { try call.axis($0, rank: x.rank, name: "axis") } }
        var shape: [Int] = []
        for (i, d) in x.shape.enumerated() {
            if let axes {
                if axes.contains(i) {
                    guard d == 1 else { throw OpFailure("cannot squeeze axis \(i) of \(x.shape): its size is \(d)") }
                    continue
                }
            } else if d == 1 { continue }
            shape.append(d)
        }
        return [x.reshaped(shape)]
    }

    static func unsqueeze(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        guard let raw = try axesArgument(call) else { throw OpFailure("axes are required") }
        let rank = x.rank + raw.count
        let axes = try raw.map { try call.axis($0, rank: rank, name: "axis") }.sorted()
        guard Set(axes).count == axes.count else { throw OpFailure("repeated axis in \(raw)") }
        var shape = x.shape
        for a in axes { shape.insert(1, at: a) }
        return [x.reshaped(shape)]
    }

    static func transpose(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let perm = call.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else { throw OpFailure("perm \(perm) is not a permutation of \(x.rank) axes") }
        let shape = perm.map { x.shape[$0] }
        let inStrides = x.shape.strides
        let permStrides = perm.map { inStrides[$0] }
        return [gathered(x, shape, walk(shape, permStrides), call)]
    }

    /// Source offsets for every element of `shape` when each axis advances the source by `strides`.
    static func walk(_ shape: [Int], _ strides: [Int], base: Int = 0) -> [Int] {
        let total = shape.reduce(1, *)
        var out = [Int](); out.reserveCapacity(total)
        if total == 0 { return out }
        let rank = shape.count
        if rank == 0 { return [base] }
        var index = [Int](repeating: 0, count: rank)
        var offset = base
        let innerN = shape[rank - 1], innerS = strides[rank - 1]
        while true {
            for i in 0..<innerN { out.append(offset + i * innerS) }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1; offset += strides[d]
                if index[d] < shape[d] { break }
                offset -= strides[d] * shape[d]; index[d] = 0; d -= 1
            }
            if d < 0 { return out }
        }
    }

    static func concat(_ call: OpCall) throws -> [DenseTensor] {
        let parts = try (0..<call.inputs.count).compactMap { i -> DenseTensor? in call.optionalInput(i) == nil ? nil : try call.input(i) }
        guard let first = parts.first else { throw OpFailure("Concat needs at least one input") }
        let axis = try call.axis(call.int("axis", 0), rank: first.rank)
        for p in parts {
            guard p.kind == first.kind, p.rank == first.rank,
                  (0..<p.rank).allSatisfy({ $0 == axis || p.shape[$0] == first.shape[$0] }) else {
                throw OpFailure("inputs \(parts.map(\.shape)) cannot be joined on axis \(axis)")
            }
        }
        var shape = first.shape
        shape[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let row = shape[axis] * inner
        if first.kind == .float32 {
            let y = call.output(shape)
            var column = 0
            for p in parts {
                let block = p.shape[axis] * inner
                for o in 0..<outer { (y.pointer + o * row + column).update(from: p.pointer + o * block, count: block) }
                column += block
            }
            return [y]
        }
        var source: [(Int, Int)] = []  // (part, offset) per output element
        source.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for (pi, p) in parts.enumerated() {
                let block = p.shape[axis] * inner
                for i in 0..<block { source.append((pi, o * block + i)) }
            }
        }
        let values = parts.map(\.int64s)
        let flat = source.map { values[$0.0][$0.1] }
        return [first.kind == .bool ? DenseTensor(shape: shape, bools: flat.map { $0 != 0 }) : DenseTensor(shape: shape, int64s: flat)]
    }

    static func split(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let axis = try call.axis(call.int("axis", 0), rank: x.rank)
        let outputs = call.node.outputs.count
        var sizes: [Int]
        if call.inputs.count > 1, call.optionalInput(1) != nil {
            sizes = try call.ints(1)
        } else if let s = call.ints("split") {
            sizes = s
        } else {
            let n = call.int("num_outputs", outputs)
            let chunk = (x.shape[axis] + n - 1) / max(n, 1)
            sizes = (0..<n).map { max(0, min(chunk, x.shape[axis] - $0 * chunk)) }
        }
        guard sizes.count == outputs, sizes.reduce(0, +) == x.shape[axis], sizes.allSatisfy({ $0 >= 0 }) else {
            throw OpFailure("split sizes \(sizes) do not cover axis \(axis) of \(x.shape) with \(outputs) outputs")
        }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliceAxis(x, axis: axis, start: start, count: size, call)
        }
    }

    static func sliceAxis(_ x: DenseTensor, axis: Int, start: Int, count: Int, _ call: OpCall) -> DenseTensor {
        var shape = x.shape
        shape[axis] = count
        var strides = x.shape.strides
        let base = start * strides[axis]
        strides[axis] = x.shape.strides[axis]
        return gathered(x, shape, walk(shape, strides, base: base), call)
    }

    static func slice(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let starts: [Int], ends: [Int], axesIn: [Int]?, stepsIn: [Int]?
        if call.context.opset < 10 {
            starts = call.ints("starts") ?? []; ends = call.ints("ends") ?? []; axesIn = call.ints("axes"); stepsIn = nil
        } else {
            starts = try call.ints(1); ends = try call.ints(2)
            axesIn = call.optionalInput(3) == nil ? nil : try call.ints(3)
            stepsIn = call.optionalInput(4) == nil ? nil : try call.ints(4)
        }
        let axes = try (axesIn ?? Array(0..<starts.count)).map { try call.axis($0, rank: x.rank) }
        let steps = stepsIn ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw OpFailure("starts, ends, axes and steps must have the same length")
        }
        var shape = x.shape
        var strides = x.shape.strides
        var base = 0
        let inStrides = x.shape.strides
        for (i, axis) in axes.enumerated() {
            let dim = x.shape[axis], step = steps[i]
            guard step != 0 else { throw OpFailure("slice step must not be 0") }
            func clampIndex(_ v: Int, _ low: Int, _ high: Int) -> Int { min(max(v < 0 ? v + dim : v, low), high) }
            let start: Int, end: Int
            if step > 0 {
                start = clampIndex(starts[i], 0, dim); end = clampIndex(ends[i], 0, dim)
                shape[axis] = max(0, (end - start + step - 1) / step)
            } else {
                start = clampIndex(starts[i], 0, dim - 1); end = clampIndex(ends[i], -1, dim - 1)
                shape[axis] = max(0, (start - end + (-step) - 1) / (-step))
            }
            base += start * inStrides[axis]
            strides[axis] = inStrides[axis] * step
        }
        if shape.contains(0) { return [gathered(x, shape, [], call)] }
        return [gathered(x, shape, walk(shape, strides, base: base), call)]
    }

    static func gather(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let indicesTensor = try call.input(1)
        let indices = try call.ints(1)
        let axis = try call.axis(call.int("axis", 0), rank: x.rank)
        let dim = x.shape[axis]
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let shape = Array(x.shape[..<axis]) + indicesTensor.shape + Array(x.shape[(axis + 1)...])
        var source: [Int] = []
        source.reserveCapacity(shape.reduce(1, *))
        let resolved = try indices.map { i -> Int in
            let r = i < 0 ? i + dim : i
            guard r >= 0 && r < dim else { throw OpFailure("index \(i) is out of range for axis \(axis) of size \(dim)") }
            return r
        }
        for o in 0..<outer {
            for r in resolved {
                let base = (o * dim + r) * inner
                for i in 0..<inner { source.append(base + i) }
            }
        }
        return [gathered(x, shape, source, call)]
    }

    static func expand(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        let target = try call.ints(1)
        guard let shape = Broadcast.shape(x.shape, target), let plan = Broadcast(x.shape, shape) else {
            throw OpFailure("\(x.shape) cannot expand to \(target)")
        }
        _ = try call.checkedShape(shape)
        return [gathered(x, shape, plan.offsets().a, call)]
    }

    static func identity(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.input(0)
        if call.node.op == "Dropout" && call.node.outputs.count > 1 {
            return [x, DenseTensor(shape: x.shape, bools: Array(repeating: true, count: x.count))]
        }
        return [x]
    }
}
