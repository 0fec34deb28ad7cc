import PareIR

/// The channel rule of each op, looked up by op type (default domain only). Activations carry
/// their channels on axis 1 (NCHW, or features of an N×F matrix). An op without a rule freezes
/// the channels of everything it touches — reported, never guessed.
enum OpRules {
    static let passThrough: Set<String> = [
        "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Erf", "Gelu", "Exp", "Log",
        "Neg", "Abs", "Sqrt", "Reciprocal", "Softplus", "Softsign", "Elu", "Selu", "Celu", "Mish", "ThresholdedRelu",
        "Identity", "Dropout", "Cast", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Not", "IsNaN", "IsInf",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool",
    ]
    static let elementwise: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Mod", "BitShift",
    ]
    /// Ops whose outputs are shapes, indices or scalars, not feature maps: nothing to couple.
    static let shapeOnly: Set<String> = ["Shape", "Size", "Constant", "ConstantOfShape", "Range", "NonZero"]

    static func apply(node index: Int, to state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard !state.handled.contains(index) else { return }
        guard node.normalizedDomain.isEmpty else { return freezeAll(index, &state, "custom domain '\(node.normalizedDomain)'") }
        let op = node.op
        switch op {
        case "Conv": ConvRules.conv(index, &state)
        case "ConvTranspose": ConvRules.convTranspose(index, &state)
        case "Gemm": DenseRules.gemm(index, &state)
        case "MatMul": DenseRules.matMul(index, &state)
        case "BatchNormalization", "InstanceNormalization": NormRules.channelNorm(index, &state)
        case "LayerNormalization": NormRules.layerNorm(index, &state)
        case "PRelu": ElementwiseRules.prelu(index, &state)
        case "Softmax", "LogSoftmax", "Hardmax": NormRules.softmax(index, &state)
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
             "ReduceLogSumExp", "ReduceSumSquare", "ReduceLogSum":
            NormRules.reduce(index, &state)
        case "Concat": LayoutRules.concat(index, &state)
        case "Split": LayoutRules.split(index, &state)
        case "Slice": SliceRule.slice(index, &state)
        case "Flatten": LayoutRules.flatten(index, &state)
        case "Reshape": LayoutRules.reshape(index, &state)
        case "Transpose": LayoutRules.transpose(index, &state)
        case "Squeeze", "Unsqueeze": LayoutRules.squeezeUnsqueeze(index, &state)
        case "Resize", "Upsample": LayoutRules.resize(index, &state)
        case "Pad": LayoutRules.pad(index, &state)
        default:
            if passThrough.contains(op) {
                passThroughFirstInput(index, &state)
            } else if elementwise.contains(op) {
                ElementwiseRules.broadcast(index, &state)
            } else if shapeOnly.contains(op) {
                return
            } else {
                freezeAll(index, &state, "no channel rule for \(op)")
            }
        }
    }

    /// Channels of input 0 pass to output 0 unchanged (other outputs, e.g. MaxPool indices, freeze).
    static func passThroughFirstInput(_ index: Int, _ state: inout CouplingState) {
        let node = state.view.graph.nodes[index]
        guard let x = node.inputs.first, let y = node.outputs.first, !x.isEmpty else { return }
        if state.view.weightSource(x) != nil { return }  // a Cast/Identity of a weight: plumbing, not a feature map
        // Unknown rank still passes channels on when an earlier rule gave the input channels.
        guard (state.view.rank(x) ?? 0) >= 2 || state.hasAtoms(Slot(x, 1)) else { return }
        state.unite(Slot(x, 1), Slot(y, 1), at: index)
        for extra in node.outputs.dropFirst() where !extra.isEmpty && (state.view.rank(extra) ?? 0) >= 2 {
            state.freeze(Slot(extra, 1), "\(state.view.nodeLabel(index)): output '\(extra)' is not a feature map")
        }
    }

    /// Freezes axis 1 of every feature-map input and output of a node.
    static func freezeAll(_ index: Int, _ state: inout CouplingState, _ why: String) {
        let node = state.view.graph.nodes[index]
        let reason = "\(state.view.nodeLabel(index)): \(why)"
        for value in node.inputs + node.outputs where !value.isEmpty && state.view.weightSource(value) == nil {
            // Unknown rank counts too when a rule already gave the value channels.
            if (state.view.rank(value) ?? 0) >= 2 || state.hasAtoms(Slot(value, 1)) { state.freeze(Slot(value, 1), reason) }
        }
    }

    static func normalize(_ axis: Int64, rank: Int) -> Int { Int(axis < 0 ? axis + Int64(rank) : axis) }
}
