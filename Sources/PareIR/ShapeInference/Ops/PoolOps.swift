/// Pooling: windowed (MaxPool, AveragePool, LpPool), global, and MaxUnpool.
extension OpRegistry {
    static let poolRules: [String: OpRule] = [
        "MaxPool": { try pool(&$0) },
        "AveragePool": { try pool(&$0) },
        "LpPool": { try pool(&$0) },
        "GlobalAveragePool": { try globalPool(&$0) },
        "GlobalMaxPool": { try globalPool(&$0) },
        "GlobalLpPool": { try globalPool(&$0) },
        "MaxUnpool": { try maxUnpool(&$0) },
    ]

    /// Y = [N, C, window outputs…]; MaxPool's second output (Indices, INT64) has Y's shape.
    static func pool(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        if c.outputCount > 1 { c.set(1, elem: Elem.int64) }
        guard let x = c.shape(0) else { return }
        guard x.count >= 3 else { throw ShapeError("the input has rank \(x.count); \(c.op) needs at least 3") }
        let n = x.count - 2
        guard c.node.attribute("kernel_shape") != nil else { throw ShapeError("kernel_shape is required") }
        guard let window = try Window(c, spatial: n, kernel: nil) else { return }
        // ceil_mode exists from opset 10 (MaxPool, AveragePool) and 18 (LpPool); 0 before. From
        // opset 22 a last window starting in the padding is dropped (onnx's inference does so).
        let ceilMode = c.int("ceil_mode", 0) != 0
        var out = [x[0], x[1]]
        for i in 0..<n {
            out.append(try window.output(i, input: x[i + 2], ceilMode: ceilMode, dropPaddedWindow: c.opset >= 22))
        }
        c.set(0, elem: c.elem(0), shape: out)
        if c.outputCount > 1 { c.set(1, elem: Elem.int64, shape: out) }
    }

    /// Y = [N, C, 1, 1, …].
    static func globalPool(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard x.count >= 2 else { throw ShapeError("the input has rank \(x.count); \(c.op) needs at least 2") }
        c.set(0, elem: c.elem(0), shape: [x[0], x[1]] + Array(repeating: .known(1), count: x.count - 2))
    }

    /// Y from the output_shape input when given, else `(x−1)·stride + kernel − pads` per axis.
    static func maxUnpool(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        if c.has(2) {
            if let dims = c.values(2) { c.set(0, elem: c.elem(0), shape: dims) }
            return
        }
        guard let x = c.shape(0), x.count >= 3 else { return }
        let n = x.count - 2
        guard let window = try Window(c, spatial: n, kernel: nil) else { return }
        var out = [x[0], x[1]]
        for i in 0..<n {
            guard let v = x[i + 2].knownValue else { out.append(.unknown); continue }
            let grown = try DimMath.checkedAdd(DimMath.checkedMul(v - 1, window.strides[i]), window.kernel[i])
            out.append(.known(try DimMath.checkedSub(grown, DimMath.checkedAdd(window.pads[i], window.pads[i + n]))))
        }
        c.set(0, elem: c.elem(0), shape: out)
    }
}
