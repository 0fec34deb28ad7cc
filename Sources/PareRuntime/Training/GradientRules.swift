import PareEngine

/// The one table of gradient rules: for each op, dL/d(inputs) from dL/d(outputs). A rule returns
/// one entry per node input (nil where none is wanted or defined) and computes only the inputs
/// `needs` asks for — the image batch never needs its gradient, so the first conv skips dX.
/// The rules themselves live with their op family (Conv-, Norm-, Linear-, Elementwise-,
/// LayoutGradients); `FiniteDifferenceTests` checks every one against numeric differences.
enum GradientRules {
    typealias Rule = @Sendable (GradientCall) throws -> [DenseTensor?]

    static let table: [String: Rule] = {
        var t: [String: Rule] = [
            "Conv": ConvGradients.conv, "ConvTranspose": ConvGradients.convTranspose, "MaxPool": ConvGradients.pool, "AveragePool": ConvGradients.pool,
            "GlobalAveragePool": ConvGradients.globalPool, "GlobalMaxPool": ConvGradients.globalPool,
            "BatchNormalization": NormGradients.batchNorm, "LayerNormalization": NormGradients.layerNorm,
            "Softmax": NormGradients.softmax, "LogSoftmax": NormGradients.softmax,
            "Gemm": LinearGradients.gemm, "MatMul": LinearGradients.matMul,
            "Reshape": LayoutGradients.view, "Flatten": LayoutGradients.view, "Squeeze": LayoutGradients.view,
            "Unsqueeze": LayoutGradients.view, "Identity": LayoutGradients.view, "Dropout": LayoutGradients.dropout,
            "Concat": LayoutGradients.concat, "Transpose": LayoutGradients.gather, "Slice": LayoutGradients.gather,
            "Gather": LayoutGradients.gather, "Expand": LayoutGradients.gather, "Split": LayoutGradients.gather,
            "ReduceMean": LayoutGradients.reduce, "ReduceSum": LayoutGradients.reduce,
            "Add": ElementwiseGradients.binary, "Sub": ElementwiseGradients.binary, "Mul": ElementwiseGradients.binary,
            "Div": ElementwiseGradients.binary, "Pow": ElementwiseGradients.binary, "PRelu": ElementwiseGradients.binary,
        ]
        for name in ElementwiseGradients.unaryNames { t[name] = ElementwiseGradients.unary }
        return t
    }()

    /// Inputs no gradient flows into: shapes, indices, axes, clip bounds, running statistics.
    /// (A float initializer in one of these places is never trained either.)
    static func isDifferentiable(op: String, input: Int) -> Bool {
        switch op {
        case "BatchNormalization": return input <= 2
        case "Clip", "Reshape", "Expand", "Slice", "Split", "Squeeze", "Unsqueeze", "Gather", "ReduceMean", "ReduceSum", "Dropout":
            return input == 0
        case "Pow": return input == 0
        default: return true
        }
    }
}
