import PareCore
import PareIR
import PareONNX

/// One row of the table `pare convert --into` prints: what became of each ONNX initializer.
public struct IntoMatch: Sendable {
    public enum How: String, Sendable { case name, structure, foldedBatchNorm = "folded BN", unmatched, mismatch }
    public var initializer: String
    public var source: String
    public var how: How
    public var note: String
    /// Every tensor of the weights file that went into this initializer (a folded Conv uses the
    /// conv's weight or bias and the four BatchNorm tensors).
    public var inputs: [String] = []
}

/// Writes a state_dict's values into an ONNX model's initializers. Names are matched first; for
/// initializers an exporter renamed (`onnx::Conv_123`), Conv/Gemm/BatchNormalization parameters
/// are matched by graph structure: layers in execution order against state_dict modules in
/// registration order, by kind and shape. A Conv that the exporter fused with its BatchNorm gets
/// the folded weights W·γ/√(σ²+ε) and bias (b−μ)·γ/√(σ²+ε)+β. Every initializer ends in the
/// table, matched or not — nothing is replaced silently.
public enum IntoONNX {
    public static func apply(_ set: WeightSet, to model: Model, batchNormEpsilon: Float = 1e-5) -> (Model, [IntoMatch]) {
        guard var graph = model.graph else { return (model, []) }
        var rows: [String: IntoMatch] = [:]
        var used = Set<String>()
        var index: [String: Int] = [:]
        for (i, t) in graph.initializers.enumerated() { if let n = t.name { index[n] = i } }

        func put(_ initName: String, _ value: WeightTensor, _ how: IntoMatch.How, _ note: String = "",
                 from inputs: [String]? = nil) {
            guard let i = index[initName] else { return }
            let old = graph.initializers[i]
            guard old.dims == value.shape else {
                rows[initName] = IntoMatch(initializer: initName, source: value.name, how: .mismatch,
                                           note: "shape \(value.shape) ≠ \(old.dims)")
                return
            }
            var v = value
            if let want = old.dtype, want != value.dtype {
                guard WeightsCast.castable.contains(want), WeightsCast.castable.contains(value.dtype) else {
                    rows[initName] = IntoMatch(initializer: initName, source: value.name, how: .mismatch,
                                               note: "dtype \(value.dtype) ≠ \(want)")
                    return
                }
                v = WeightsCast.cast(WeightSet(tensors: [value]), to: want).tensors[0]
            }
            var t = Tensor(name: initName, type: v.dtype, dims: v.shape, raw: v.data)
            t.docString = old.docString
            t.metadata = old.metadata
            graph.initializers[i] = t
            rows[initName] = IntoMatch(initializer: initName, source: value.name, how: how, note: note,
                                       inputs: inputs ?? [value.name])
        }

        // 1. By name.
        for t in graph.initializers {
            guard let n = t.name, let w = set[n] else { continue }
            put(n, w, .name)
            if rows[n]?.how == .name { used.insert(n) }
        }
        // 2. By structure, for what is left.
        let modules = StateDictModule.modules(of: set).filter { m in !m.tensors.values.contains { used.contains($0.name) } }
        var cursor = 0
        var taken = Set<Int>()
        func next(_ kind: StateDictModule.Kind, weightShape: [Int64]?) -> Int? {
            for pass in 0..<2 {
                let range = pass == 0 ? Array(cursor..<modules.count) : Array(0..<modules.count)
                for i in range where !taken.contains(i) && modules[i].kind == kind {
                    if let s = weightShape, kind != .batchNorm, modules[i].weight?.shape != s { continue }
                    if let s = weightShape, kind == .batchNorm, modules[i].tensors["running_mean"]?.shape != s { continue }
                    taken.insert(i)
                    cursor = i + 1
                    return i
                }
            }
            return nil
        }
        let consumers = Dictionary(grouping: graph.nodes.enumerated().flatMap { (i, n) in n.inputs.map { ($0, i) } }, by: \.0)
        for node in graph.nodes {
            let params = node.inputs.dropFirst().filter { index[$0] != nil && rows[$0] == nil }
            guard !params.isEmpty else { continue }
            switch node.op {
            case "Conv", "ConvTranspose", "Gemm", "MatMul":
                guard let wName = node.input(1), rows[wName] == nil, let wi = index[wName] else { continue }
                let wShape = graph.initializers[wi].dims
                let isConv = node.op.hasPrefix("Conv")
                var wanted = wShape
                if node.op == "MatMul" || (node.op == "Gemm" && node.int("transB") != 1) { wanted = wShape.reversed() }
                guard let mi = next(isConv ? .conv : .linear, weightShape: wanted) else { continue }
                let m = modules[mi]
                // Is the conv's BatchNorm folded away? Then the next state_dict module is a BN whose
                // ONNX counterpart does not exist.
                let hasBNNode = node.outputs.first.flatMap { consumers[$0] }?.contains { graph.nodes[$0.1].op == "BatchNormalization" } ?? false
                if isConv, !hasBNNode, mi + 1 < modules.count, modules[mi + 1].kind == .batchNorm,
                   modules[mi + 1].tensors["running_mean"]?.shape == [wShape[0]] {
                    taken.insert(mi + 1)
                    let bn = modules[mi + 1]
                    let (w, b) = fold(conv: m, bn: bn, eps: batchNormEpsilon, transposed: node.op == "ConvTranspose", group: node.int("group") ?? 1)
                    let bnInputs = ["weight", "bias", "running_mean", "running_var"].compactMap { bn.tensors[$0]?.name }
                    put(wName, w, .foldedBatchNorm, "ε = \(batchNormEpsilon)", from: [w.name] + bnInputs)
                    if let bName = node.input(2) {
                        put(bName, b, .foldedBatchNorm, "ε = \(batchNormEpsilon)", from: (m.bias.map { [$0.name] } ?? []) + bnInputs)
                    }
                    continue
                }
                guard let w = m.weight else { continue }
                put(wName, wanted == wShape ? w : transposed2D(w), .structure)
                if let bName = node.input(2), let b = m.bias { put(bName, b, .structure) }
            case "BatchNormalization":
                guard let meanName = node.input(3), let mi = index[meanName],
                      let k = next(.batchNorm, weightShape: graph.initializers[mi].dims) else { continue }
                let m = modules[k]
                for (slot, leaf) in [(1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")] {
                    if let n = node.input(slot), rows[n] == nil, let v = m.tensors[leaf] { put(n, v, .structure) }
                }
            default:
                continue
            }
        }
        var table: [IntoMatch] = []
        for t in graph.initializers {
            let n = t.name ?? ""
            table.append(rows[n] ?? IntoMatch(initializer: n, source: "-", how: .unmatched, note: "kept the model's value"))
        }
        var out = model
        out.graph = graph
        return (out, table)
    }

    static func floats(_ t: WeightTensor) -> [Float] {
        WeightsCast.toFloat(WeightsCast.cast(WeightSet(tensors: [t]), to: .float).tensors[0].data, .float, Int(t.elementCount))
    }

    static func transposed2D(_ t: WeightTensor) -> WeightTensor {
        let r = Int(t.shape[0]), c = Int(t.shape[1])
        let v = floats(t)
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = v[i * c + j] } }
        return WeightTensor(name: t.name, dtype: .float, shape: [t.shape[1], t.shape[0]], data: out.withUnsafeBytes { TensorData(copying: $0) })
    }

    /// Folds BatchNorm into the preceding convolution, as exporters do in eval mode.
    static func fold(conv: StateDictModule, bn: StateDictModule, eps: Float, transposed: Bool, group: Int64) -> (WeightTensor, WeightTensor) {
        let w = conv.weight!
        var wv = floats(w)
        let gamma = floats(bn.tensors["weight"]!), beta = floats(bn.tensors["bias"]!)
        let mean = floats(bn.tensors["running_mean"]!), variance = floats(bn.tensors["running_var"]!)
        let outChannels = gamma.count
        let scale = (0..<outChannels).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
        let perOut = wv.count / outChannels
        if !transposed {
            for c in 0..<outChannels { for k in 0..<perOut { wv[c * perOut + k] *= scale[c] } }
        } else {
            // ConvTranspose weights are [Cin, Cout/group, k…]: the output channel is axis 1.
            let cin = Int(w.shape[0]), coutPerGroup = Int(w.shape[1]), kernel = wv.count / (cin * coutPerGroup)
            let cinPerGroup = cin / Int(max(group, 1))
            for i in 0..<cin {
                for o in 0..<coutPerGroup {
                    let c = (i / cinPerGroup) * coutPerGroup + o
                    for k in 0..<kernel { wv[(i * coutPerGroup + o) * kernel + k] *= scale[c] }
                }
            }
        }
        let bias = conv.bias.map(floats) ?? [Float](repeating: 0, count: outChannels)
        let bv = (0..<outChannels).map { (bias[$0] - mean[$0]) * scale[$0] + beta[$0] }
        return (WeightTensor(name: w.name, dtype: .float, shape: w.shape, data: wv.withUnsafeBytes { TensorData(copying: $0) }),
                WeightTensor(name: bn.prefix + " (folded bias)", dtype: .float, shape: [Int64(outChannels)],
                             data: bv.withUnsafeBytes { TensorData(copying: $0) }))
    }
}
