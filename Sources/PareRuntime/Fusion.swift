import PareEngine
import PareIR
import PareKernels

/// Rewrites that are exact at inference, applied once when a model is loaded:
/// Conv followed by BatchNormalization becomes one Conv with scaled weights and a shifted bias;
/// an Add of a Conv's output and another value (a residual shortcut) becomes that Conv with the
/// value as a fourth input, added in the conv's epilogue; and a Relu (or a Clip with constant
/// bounds) right after Conv, Gemm, BatchNormalization or Add runs inside that op instead of as a
/// pass of its own.
struct Fusion {
    var nodes: [(node: Node, activation: FusedActivation?)]
    var constants: [String: DenseTensor]
    let graphOutputs: Set<String>

    /// How many times each value is read (by nodes or as a graph output).
    func readers() -> [String: Int] {
        var count: [String: Int] = [:]
        for (n, _) in nodes { for i in n.inputs where !i.isEmpty { count[i, default: 0] += 1 } }
        for o in graphOutputs { count[o, default: 0] += 1 }
        return count
    }

    /// The index of the node that writes each value.
    func producers() -> [String: Int] {
        var producer: [String: Int] = [:]
        for (i, entry) in nodes.enumerated() { for o in entry.node.outputs { producer[o] = i } }
        return producer
    }

    mutating func apply() {
        foldBatchNorms()
        fuseResidualAdds()
        fuseActivations()
    }

    private mutating func foldBatchNorms() {
        let reads = readers()
        let producer = producers()
        var removed = Set<Int>()
        for (bi, entry) in nodes.enumerated() where entry.node.op == "BatchNormalization" && entry.node.normalizedDomain.isEmpty {
            let bn = entry.node
            guard bn.outputs.count == 1, bn.int("training_mode") ?? 0 == 0, bn.inputs.count == 5,
                  let ci = producer[bn.inputs[0]], !removed.contains(ci), nodes[ci].activation == nil else { continue }
            let conv = nodes[ci].node
            guard conv.op == "Conv", conv.normalizedDomain.isEmpty, conv.outputs.count == 1, reads[conv.outputs[0]] == 1,
                  let w = constants[conv.inputs[1]], w.kind == .float32,
                  let params = Optional(bn.inputs[1...4].compactMap({ constants[$0] })), params.count == 4,
                  params.allSatisfy({ $0.kind == .float32 && $0.count == w.shape[0] }) else { continue }
            let m = w.shape[0], perChannel = w.count / max(m, 1)
            let (scale, shift) = NormOps.foldedScaleShift(params.map { $0.pointer }, channels: m, epsilon: bn.float("epsilon") ?? 1e-5)
            var weights = w.floats
            for o in 0..<m { for j in 0..<perChannel { weights[o * perChannel + j] *= scale[o] } }
            var bias = shift
            if let b = conv.input(2).flatMap({ constants[$0] }), b.count == m {
                let old = b.floats
                for o in 0..<m { bias[o] += old[o] * scale[o] }
            } else if conv.input(2) != nil { continue }
            let wName = "\(conv.outputs[0])::folded_weight", bName = "\(conv.outputs[0])::folded_bias"
            constants[wName] = DenseTensor(shape: w.shape, floats: weights)
            constants[bName] = DenseTensor(shape: [m], floats: bias)
            var fused = conv
            fused.inputs = [conv.inputs[0], wName, bName]
            fused.outputs = bn.outputs
            nodes[ci].node = fused
            removed.insert(bi)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Conv → Add(conv output, r): the Add's pass over memory (and, on several threads, its own
    /// round of waking the pool) goes; the conv adds r while its output is in cache. The fused
    /// node takes the Add's place in the order, where r is sure to exist. Rounding is unchanged:
    /// (conv + bias) + r either way. Shapes are not known yet; the conv falls back to a separate
    /// add when r broadcasts.
    private mutating func fuseResidualAdds() {
        let reads = readers()
        let producer = producers()
        var removed = Set<Int>()
        for (ai, entry) in nodes.enumerated() where entry.node.op == "Add" && entry.node.normalizedDomain.isEmpty {
            let add = entry.node
            guard add.inputs.count == 2, add.outputs.count == 1, entry.activation == nil else { continue }
            for side in 0..<2 {
                let c = add.inputs[side], r = add.inputs[1 - side]
                guard !c.isEmpty, !r.isEmpty, c != r, let ci = producer[c], !removed.contains(ci), ci < ai,
                      nodes[ci].activation == nil, reads[c] == 1 else { continue }
                let conv = nodes[ci].node
                guard conv.op == "Conv", conv.normalizedDomain.isEmpty, conv.outputs.count == 1, (2...3).contains(conv.inputs.count)
                else { continue }
                var fused = conv
                fused.inputs = [conv.inputs[0], conv.inputs[1], conv.inputs.count == 3 ? conv.inputs[2] : "", r]
                fused.outputs = add.outputs
                nodes[ai].node = fused
                removed.insert(ci)
                break
            }
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    private mutating func fuseActivations() {
        let reads = readers()
        let producer = producers()
        var removed = Set<Int>()
        let hosts: Set<String> = ["Conv", "Gemm", "BatchNormalization", "Add", "ConvTranspose"]
        for (ai, entry) in nodes.enumerated() {
            let act = entry.node
            guard act.normalizedDomain.isEmpty, act.outputs.count == 1, let x = act.input(0),
                  let pi = producer[x], !removed.contains(pi), nodes[pi].activation == nil,
                  hosts.contains(nodes[pi].node.op), nodes[pi].node.outputs.count == 1, reads[x] == 1,
                  let activation = activationOf(act) else { continue }
            nodes[pi].activation = activation
            nodes[pi].node.outputs = act.outputs
            removed.insert(ai)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    private func activationOf(_ node: Node) -> FusedActivation? {
        switch node.op {
        case "Relu": return node.inputs.count == 1 ? .relu : nil
        case "Clip":
            if node.inputs.count == 1 {
                return .clip(min: node.float("min") ?? -.infinity, max: node.float("max") ?? .infinity)
            }
            func bound(_ i: Int, _ fallback: Float) -> Float? {
                guard let name = node.input(i) else { return fallback }
                guard let t = constants[name], t.kind == .float32, t.count == 1 else { return nil }
                return t.pointer[0]
            }
            guard let lo = bound(1, -.infinity), let hi = bound(2, .infinity) else { return nil }
            return .clip(min: lo, max: hi)
        default: return nil
        }
    }
}
