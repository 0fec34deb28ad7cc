import PareIR

/// Evaluates small integer tensors computed only from constants (§2.1 "evaluate shape
/// subgraphs"): exporters build Pad's pads and similar arguments with ConstantOfShape, Concat,
/// Reshape, Slice, Transpose and Cast, which shape inference's one-dimensional propagation does
/// not follow. Iterative (an explicit stack), bounded in size, and nil for anything else.
enum ConstantEvaluator {
    struct Value { var dims: [Int]; var data: [Int64] }

    static let maxElements = 4096

    static func ints(_ name: String, in view: GraphView) -> [Int64]? {
        var memo: [String: Value] = [:]
        var stack = [name]
        var visits = 0
        while let top = stack.last {
            visits += 1
            if visits > 10_000 { return nil }
            if memo[top] != nil { stack.removeLast(); continue }
            if let leaf = literal(top, view) { memo[top] = leaf; stack.removeLast(); continue }
            guard let p = view.producer[top] else { return nil }
            let node = view.graph.nodes[p]
            let missing = node.inputs.filter { !$0.isEmpty && memo[$0] == nil }
            if !missing.isEmpty { stack.append(contentsOf: missing); continue }
            guard let out = evaluate(node, memo), out.data.count <= maxElements, node.outputs.first == top else { return nil }
            memo[top] = out
            stack.removeLast()
        }
        return memo[name]?.data
    }

    private static func literal(_ name: String, _ view: GraphView) -> Value? {
        guard let w = view.weightSource(name), let data = w.tensor.int64Values(limit: maxElements) else { return nil }
        return Value(dims: w.tensor.dims.map(Int.init), data: data)
    }

    private static func evaluate(_ node: Node, _ memo: [String: Value]) -> Value? {
        let inputs = node.inputs.map { $0.isEmpty ? nil : memo[$0] }
        func input(_ k: Int) -> Value? { k < inputs.count ? inputs[k] : nil }
        switch node.op {
        case "Identity", "Cast":
            return input(0)
        case "ConstantOfShape":
            guard let shape = input(0), shape.data.allSatisfy({ $0 >= 0 }) else { return nil }
            let fill = node.attribute("value")?.t?.int64Values()?.first ?? 0
            let count = shape.data.reduce(1, *)
            guard count <= Int64(maxElements) else { return nil }
            return Value(dims: shape.data.map(Int.init), data: [Int64](repeating: fill, count: Int(count)))
        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard parts.count == inputs.count, let first = parts.first, first.dims.count == 1 || parts.allSatisfy({ $0.dims.count <= 1 }) else { return nil }
            let data = parts.flatMap(\.data)
            return Value(dims: [data.count], data: data)
        case "Reshape":
            guard let x = input(0), let target = input(1) else { return nil }
            var dims = target.data.enumerated().map { i, d in d == 0 && i < x.dims.count ? x.dims[i] : Int(d) }
            if let k = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != k }.reduce(1) { $0 * $1.element }
                guard known > 0, x.data.count % known == 0 else { return nil }
                dims[k] = x.data.count / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == x.data.count else { return nil }
            return Value(dims: dims, data: x.data)
        case "Unsqueeze", "Squeeze":
            guard let x = input(0), x.data.count <= 1 || x.dims.count <= 1 else { return nil }
            return Value(dims: [x.data.count], data: x.data)
        case "Transpose":
            guard let x = input(0), x.dims.count == 2 else { return nil }
            let perm = node.ints("perm") ?? [1, 0]
            guard perm == [1, 0] else { return x }
            let (r, c) = (x.dims[0], x.dims[1])
            return Value(dims: [c, r], data: (0..<(r * c)).map { x.data[($0 % r) * c + $0 / r] })
        case "Slice":
            return slice(inputs)
        default:
            return nil
        }
    }

    /// Slice along one axis of a 1-D or 2-D tensor (any step, negative included).
    private static func slice(_ inputs: [Value?]) -> Value? {
        guard inputs.count >= 3, let x = inputs[0], let starts = inputs[1], let ends = inputs[2],
              starts.data.count == 1, ends.data.count == 1, x.dims.count <= 2, !x.dims.isEmpty else { return nil }
        let axis = inputs.count > 3 ? Int(inputs[3]?.data.first ?? 0) : 0
        let step = inputs.count > 4 ? Int(inputs[4]?.data.first ?? 1) : 1
        let a = axis < 0 ? axis + x.dims.count : axis
        guard a >= 0, a < x.dims.count, step != 0 else { return nil }
        let n = x.dims[a]
        func clamp(_ v: Int64, _ low: Int, _ high: Int) -> Int {
            let v = v < 0 ? v + Int64(n) : v
            return Int(max(Int64(low), min(Int64(high), v)))
        }
        let picked: [Int]
        if step > 0 {
            picked = Array(stride(from: clamp(starts.data[0], 0, n), to: clamp(ends.data[0], 0, n), by: step))
        } else {
            picked = Array(stride(from: clamp(starts.data[0], -1, n - 1), to: clamp(ends.data[0], -1, n - 1), by: step))
        }
        if x.dims.count == 1 { return Value(dims: [picked.count], data: picked.map { x.data[$0] }) }
        let (r, c) = (x.dims[0], x.dims[1])
        if a == 0 { return Value(dims: [picked.count, c], data: picked.flatMap { row in (0..<c).map { x.data[row * c + $0] } }) }
        return Value(dims: [r, picked.count], data: (0..<r).flatMap { row in picked.map { x.data[row * c + $0] } })
    }
}
