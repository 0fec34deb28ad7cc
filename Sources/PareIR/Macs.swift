/// Multiply-accumulate counts per node, from inferred shapes.
///
/// Convention: that of Torch-Pruning's `tp.utils.count_ops_and_params` (torch_pruning 1.6.1,
/// utils/op_counter.py, itself derived from ptflops), translated from PyTorch modules to ONNX ops:
///
/// | ONNX op | MACs | Torch-Pruning hook |
/// |---|---|---|
/// | Conv, ConvInteger, QLinearConv | output elements × Cin/group × kernel product | conv hook (it adds out elements for a bias; we do not count bias) |
/// | ConvTranspose | input elements × Cout/group × kernel product | conv hook uses the *output* spatial size, which overcounts by stride²; we count the true MACs (thop's rule) |
/// | Gemm | M × N × K | Linear: input elements × out features (+ out features for a bias, per batch; not counted) |
/// | MatMul, MatMulInteger, QLinearMatMul | output elements × K (batch included) | Linear / attention matmuls |
/// | Einsum | output elements × product of the contracted dims | — |
/// | BatchNormalization, InstanceNormalization, GroupNormalization, LayerNormalization | 2 × input elements | bn/ln hooks with affine parameters (always present in ONNX) |
/// | Relu, PRelu, LeakyRelu, Elu, Gelu, Clip (ReLU6) | output elements | relu hook |
/// | Erf | output elements | exporters split GELU into Div→Erf→Add→Mul→Mul, and Erf is the one op per GELU |
/// | MaxPool, AveragePool, LpPool, Global*Pool | input elements | pool hook (adaptive pools export as Global*Pool) |
/// | Resize, Upsample | output elements | upsample hook |
/// | every other op Pare has a shape rule for | 0 | functional ops (add, mul, reshape…) and unlisted modules (Sigmoid, Hardswish, Softmax, Dropout) count 0 |
///
/// Torch-Pruning reports MACs per sample (it divides by the batch size); these counts are for the
/// shapes as inferred, so a model with a batch of 8 counts 8 samples. A node is *uncounted* when
/// its op has no shape rule (custom domains, control flow) or when a dim its formula needs is not
/// a known number.
public enum Macs {
    public struct Entry: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var op: String
        /// Nil when the node could not be counted.
        public var macs: Int64?
    }

    public struct Report: Sendable {
        /// Every node of the main graph, in order.
        public var nodes: [Entry]
        public var total: Int64
        public var uncounted: Int
    }

    /// Counts every node of `graph` (not its subgraphs) with the types from shape inference.
    public static func count(graph: Graph, types: [String: ValueTypeBox]) -> Report {
        var entries: [Entry] = []
        var total: Int64 = 0
        var uncounted = 0
        for (i, node) in graph.nodes.enumerated() {
            let m = macs(node, types: types)
            if let m { total = total.addingReportingOverflow(m).overflow ? .max : total + m } else { uncounted += 1 }
            entries.append(Entry(index: i, name: node.name ?? "", op: node.op, macs: m))
        }
        return Report(nodes: entries, total: total, uncounted: uncounted)
    }

    /// MACs of one node, or nil when it cannot be counted.
    public static func macs(_ node: Node, types: [String: ValueTypeBox]) -> Int64? {
        func dims(_ name: String?) -> [Int64]? {
            guard let name, !name.isEmpty else { return nil }
            return types[name]?.tensorInfo?.shape?.knownDims
        }
        func numel(_ name: String?) -> Int64? { dims(name).flatMap(product) }
        let input = node.input(0), output = node.outputs.first
        guard node.normalizedDomain.isEmpty else { return nil }
        switch node.op {
        case "Conv", "ConvInteger", "QLinearConv":
            let w = dims(node.input(node.op == "QLinearConv" ? 3 : 1))
            guard let w, w.count >= 2, let out = numel(output), let k = product(w.dropFirst(2)) else { return nil }
            return mul(out, w[1], k)
        case "ConvTranspose":
            guard let w = dims(node.input(1)), w.count >= 2, let x = numel(input), let k = product(w.dropFirst(2)) else { return nil }
            return mul(x, w[1], k)
        case "Gemm":
            guard let a = dims(input), a.count == 2, let out = numel(output) else { return nil }
            return mul(out, node.int("transA") ?? 0 != 0 ? a[0] : a[1])
        case "MatMul", "MatMulInteger", "QLinearMatMul":
            guard let a = dims(input), let kk = a.last, let out = numel(output) else { return nil }
            return mul(out, kk)
        case "Einsum":
            return einsum(node, dims: dims)
        case "BatchNormalization", "InstanceNormalization", "GroupNormalization", "LayerNormalization":
            return numel(input).flatMap { mul($0, 2) }
        case "Relu", "PRelu", "LeakyRelu", "Elu", "Gelu", "Clip", "Erf", "Resize", "Upsample":
            return numel(output)
        case "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
            return numel(input)
        case "If", "Loop", "Scan":
            return nil
        default:
            return OpRegistry.rules[node.op] != nil ? 0 : nil
        }
    }

    /// Output elements × product of the letters summed over (those in no output position).
    static func einsum(_ node: Node, dims: (String?) -> [Int64]?) -> Int64? {
        let equation = (node.string("equation") ?? "").filter { !$0.isWhitespace }
        let sides = OpRegistry.split(equation, "->")
        guard sides.count == 2, let out = dims(node.outputs.first).flatMap(product) else { return nil }
        let terms = OpRegistry.split(sides[0], ",")
        var size: [Character: Int64] = [:]
        for (i, term) in terms.enumerated() {
            guard let shape = dims(node.input(i)) else { return nil }
            let parts = OpRegistry.split(term, "...")
            let head = Array(parts[0]), tail = parts.count == 2 ? Array(parts[1]) : []
            guard head.count + tail.count <= shape.count else { return nil }
            for (c, d) in zip(head, shape) { size[c] = max(size[c] ?? 1, d) }
            for (c, d) in zip(tail, shape.suffix(tail.count)) { size[c] = max(size[c] ?? 1, d) }
        }
        let kept = Set(sides[1])
        guard let contracted = product(size.filter { !kept.contains($0.key) }.map(\.value)) else { return nil }
        return mul(out, contracted)
    }

    static func product<S: Sequence>(_ s: S) -> Int64? where S.Element == Int64 {
        var p: Int64 = 1
        for v in s {
            guard v >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: v)
            if o { return nil }
            p = r
        }
        return p
    }

    static func mul(_ v: Int64...) -> Int64? { product(v) }
}
