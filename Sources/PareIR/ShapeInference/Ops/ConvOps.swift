/// Conv, ConvInteger, QLinearConv and ConvTranspose, plus the window arithmetic that the pools
/// share (onnx `convPoolShapeInference`).
extension OpRegistry {
    static let convRules: [String: OpRule] = [
        "Conv": { try conv(&$0, x: 0, w: 1, elem: $0.elem(0)) },
        "ConvInteger": { try conv(&$0, x: 0, w: 1, elem: Elem.int32) },
        // QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
        "QLinearConv": { try conv(&$0, x: 0, w: 3, elem: $0.elem(7) ?? $0.elem(0)) },
        "ConvTranspose": { try convTranspose(&$0) },
    ]

    /// The attributes that place a sliding window over the spatial axes.
    struct Window {
        var kernel: [Int64]
        var strides: [Int64]
        var dilations: [Int64]
        var pads: [Int64]
        var autoPad: String

        /// Reads kernel_shape (or `kernel` from the weight), strides, dilations, pads, auto_pad,
        /// checking each list's length against the number of spatial axes.
        /// Nil when neither kernel_shape nor the weight's shape gives the kernel.
        init?(_ c: OpContext, spatial n: Int, kernel fromWeight: [Int64]?) throws {
            guard let k = c.ints("kernel_shape") ?? fromWeight else { return nil }
            kernel = k
            strides = c.ints("strides") ?? Array(repeating: 1, count: n)
            dilations = c.ints("dilations") ?? Array(repeating: 1, count: n)
            pads = c.ints("pads") ?? Array(repeating: 0, count: 2 * n)
            autoPad = c.string("auto_pad", "NOTSET")
            guard kernel.count == n else { throw ShapeError("kernel_shape has \(kernel.count) values for \(n) spatial axes") }
            guard strides.count == n else { throw ShapeError("strides has \(strides.count) values for \(n) spatial axes") }
            guard dilations.count == n else { throw ShapeError("dilations has \(dilations.count) values for \(n) spatial axes") }
            guard pads.count == 2 * n else { throw ShapeError("pads has \(pads.count) values for \(n) spatial axes") }
            guard strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), kernel.allSatisfy({ $0 > 0 }) else {
                throw ShapeError("kernel, strides and dilations must be positive")
            }
        }

        func effectiveKernel(_ i: Int) throws -> Int64 {
            try DimMath.checkedAdd(DimMath.checkedMul(kernel[i] - 1, dilations[i]), 1)
        }

        /// Output size of spatial axis `i` for input size `input`, as onnx computes it: SAME pads
        /// the input so that the window covers `ceil(x / stride)` positions; ceil_mode rounds the
        /// last partial window up. `dropPaddedWindow` (the pools from opset 22, as in PyTorch) then
        /// drops a last window that would start inside the end padding.
        func output(_ i: Int, input: Dimension, ceilMode: Bool, dropPaddedWindow: Bool = false) throws -> Dimension {
            guard let x = input.knownValue else { return .unknown }
            let ek = try effectiveKernel(i)
            let s = strides[i]
            var padBegin: Int64, padTotal: Int64
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let residual = x % s
                padTotal = max(residual == 0 ? ek - s : ek - residual, 0)
                padBegin = autoPad == "SAME_UPPER" ? padTotal / 2 : padTotal - padTotal / 2
            case "VALID":
                padBegin = 0
                padTotal = 0
            default:
                padBegin = pads[i]
                padTotal = try DimMath.checkedAdd(pads[i], pads[i + kernel.count])
            }
            let padded = try DimMath.checkedAdd(x, padTotal)
            let span = try DimMath.checkedSub(padded, ek)
            guard span >= 0 else {
                throw ShapeError("the window (\(ek)) is larger than the padded input (\(padded)) on spatial axis \(i)")
            }
            var out = (ceilMode ? DimMath.ceilDiv(span, s) : span / s) + 1
            if ceilMode, dropPaddedWindow, try DimMath.checkedMul(out - 1, s) >= DimMath.checkedAdd(x, padBegin) { out -= 1 }
            return .known(out)
        }
    }

    /// Y = [N, M, spatial…] with M the weight's first dim.
    static func conv(_ c: inout OpContext, x xi: Int, w wi: Int, elem: Int32?) throws {
        c.set(0, elem: elem)
        guard let x = c.shape(xi) else { return }
        guard x.count >= 3 else { throw ShapeError("the input has rank \(x.count); Conv needs at least 3") }
        let n = x.count - 2
        let w = c.shape(wi)
        if let w, w.count != x.count {
            throw ShapeError("the weight has rank \(w.count) but the input has rank \(x.count)")
        }
        let group = c.int("group", 1)
        guard group > 0 else { throw ShapeError("group must be positive") }
        if let cin = x[1].knownValue, let wc = w?[1].knownValue, wc * group != cin {
            throw ShapeError("the input has \(cin) channels but the weight expects \(wc) × group \(group)")
        }
        let kernelFromWeight = w.flatMap { Array($0[2...]).compactMap(\.knownValue) }.flatMap { $0.count == n ? $0 : nil }
        let window = try Window(c, spatial: n, kernel: kernelFromWeight)
        var out = [x[0], w?[0] ?? .unknown]
        for i in 0..<n { out.append(try window?.output(i, input: x[i + 2], ceilMode: false) ?? .unknown) }
        c.set(0, elem: elem, shape: out)
    }

    /// Y = [N, W[1] × group, spatial…]; spatial sizes from output_shape when given, else
    /// `stride·(x−1) + output_padding + effective kernel − pads` (SAME gives x·stride).
    static func convTranspose(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let x = c.shape(0) else { return }
        guard x.count >= 3 else { throw ShapeError("the input has rank \(x.count); ConvTranspose needs at least 3") }
        let n = x.count - 2
        let w = c.shape(1)
        if let w, w.count != x.count {
            throw ShapeError("the weight has rank \(w.count) but the input has rank \(x.count)")
        }
        let group = c.int("group", 1)
        if let cin = x[1].knownValue, let wc = w?[0].knownValue, wc != cin {
            throw ShapeError("the input has \(cin) channels but the weight's first dim is \(wc)")
        }
        let kernelFromWeight = w.flatMap { Array($0[2...]).compactMap(\.knownValue) }.flatMap { $0.count == n ? $0 : nil }
        guard let window = try Window(c, spatial: n, kernel: kernelFromWeight) else {
            c.set(0, elem: c.elem(0), shape: [x[0], .unknown] + Array(repeating: .unknown, count: n))
            return
        }
        let outputPadding = c.ints("output_padding") ?? Array(repeating: 0, count: n)
        guard outputPadding.count == n else { throw ShapeError("output_padding has \(outputPadding.count) values for \(n) spatial axes") }
        let channels = w.map { DimMath.mul($0[1], .known(group)) } ?? .unknown
        var out = [x[0], channels]
        if let requested = c.ints("output_shape") {
            // onnx accepts either the spatial sizes or the full shape.
            let spatial = requested.count == n + 2 ? Array(requested[2...]) : requested
            guard spatial.count == n else { throw ShapeError("output_shape has \(requested.count) values for \(n) spatial axes") }
            out += spatial.map { .known($0) }
        } else {
            for i in 0..<n {
                guard let xi = x[i + 2].knownValue else { out.append(.unknown); continue }
                let s = window.strides[i]
                switch window.autoPad {
                case "SAME_UPPER", "SAME_LOWER":
                    out.append(.known(try DimMath.checkedMul(xi, s)))
                default:
                    let pads = window.autoPad == "VALID" ? 0 : try DimMath.checkedAdd(window.pads[i], window.pads[i + n])
                    let grown = try DimMath.checkedAdd(DimMath.checkedMul(s, xi - 1), outputPadding[i])
                    out.append(.known(try DimMath.checkedSub(DimMath.checkedAdd(grown, window.effectiveKernel(i)), pads)))
                }
            }
        }
        c.set(0, elem: c.elem(0), shape: out)
    }
}
