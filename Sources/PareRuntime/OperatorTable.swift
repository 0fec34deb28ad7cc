import PareEngine

/// Every operator of the default ONNX domain the engine runs, by op type.
enum OperatorTable {
    typealias Run = @Sendable (OpCall) throws -> [DenseTensor]

    static let table: [String: Run] = {
        var t: [String: Run] = [
            "Conv": ConvOps.conv, "ConvTranspose": ConvOps.convTranspose,
            "MaxPool": ConvOps.pool, "AveragePool": ConvOps.pool,
            "GlobalAveragePool": ConvOps.globalPool, "GlobalMaxPool": ConvOps.globalPool,
            "BatchNormalization": NormOps.batchNorm, "LayerNormalization": NormOps.layerNorm,
            "Softmax": NormOps.softmax, "LogSoftmax": NormOps.softmax,
            "MatMul": LinearOps.matMul, "Gemm": LinearOps.gemm,
            "Reshape": LayoutOps.reshape, "Flatten": LayoutOps.flatten, "Squeeze": LayoutOps.squeeze,
            "Unsqueeze": LayoutOps.unsqueeze, "Transpose": LayoutOps.transpose, "Concat": LayoutOps.concat,
            "Split": LayoutOps.split, "Slice": LayoutOps.slice, "Gather": LayoutOps.gather, "Expand": LayoutOps.expand,
            "Identity": LayoutOps.identity, "Dropout": LayoutOps.identity,
            "Shape": ValueOps.shape, "Size": ValueOps.size, "Constant": ValueOps.constant,
            "ConstantOfShape": ValueOps.constantOfShape, "Range": ValueOps.range, "Cast": ValueOps.cast,
            "Pad": ResampleOps.pad, "Resize": ResampleOps.resize, "Where": BinaryOps.whereOp,
        ]
        for name in UnaryOps.names { t[name] = UnaryOps.run }
        for name in BinaryOps.arithmetic.union(BinaryOps.comparisons) { t[name] = BinaryOps.run }
        for name in ValueOps.reduceNames { t[name] = ValueOps.reduce }
        return t
    }()

    static var supported: [String] { table.keys.sorted() }
}

extension InferenceSession {
    /// The ONNX ops (default domain) the engine runs, sorted.
    public static var supportedOps: [String] { OperatorTable.supported }
}
