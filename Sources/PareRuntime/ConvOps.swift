import Foundation
import PareEngine
import PareKernels

/// Conv, ConvTranspose and the pools: attribute decoding (auto_pad, 1-D as 2-D) around the kernels.
enum ConvOps {
    /// Which Winograd tile a layer with this many output pixels uses, if any. F4's 36 GEMMs have
    /// a ninth as many columns as there are pixels, F2's 16 a quarter; below about 100 columns
    /// OpenBLAS loses more than the saved multiplications. Measured on ResNet-50 (one thread, ms per
    /// layer, im2col / F2 / F4): 56×56 3.3 / 2.4 / 1.7, 28×28 2.7 / 1.8 / 1.4, 14×14 2.7 / 2.0 / 2.4,
    /// 7×7 3.4 / 3.4 / 5.9. `PARE_WINOGRAD_TILE=2|4` forces one tile and `PARE_WINOGRAD_MIN=N`
    /// the pixel threshold, for benchmarking these choices.
    static func winogradTile(pixels: Int) -> Winograd.Tile? {
        guard pixels >= minimumWinogradPixels else { return nil }
        return forcedWinogradTile ?? (pixels >= 400 ? .f4 : .f2)
    }
    static let minimumWinogradPixels = Int(ProcessInfo.processInfo.environment["PARE_WINOGRAD_MIN"] ?? "") ?? 100
    static let forcedWinogradTile = ProcessInfo.processInfo.environment["PARE_WINOGRAD_TILE"].flatMap { Int($0) }
        .flatMap { Winograd.Tile(rawValue: $0) }

    /// Spatial geometry shared by Conv and the pools, for 1-D (rank 3) and 2-D (rank 4) inputs.
    struct Window {
        var size: [Int], kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int], padEnd: [Int]
    }

    static func window(_ call: OpCall, input: [Int], kernel: [Int], ceil: Bool = false, anyRank: Bool = false) throws -> Window {
        let spatial = Array(input.dropFirst(2))
        let r = spatial.count
        guard r == 1 || r == 2 || (anyRank && r >= 1) else {
            throw OpFailure("only 1-D and 2-D spatial inputs are supported, got shape \(input)")
        }
        guard kernel.count == r else { throw OpFailure("kernel rank \(kernel.count) does not match input shape \(input)") }
        let strides = call.ints("strides") ?? Array(repeating: 1, count: r)
        let dilations = call.ints("dilations") ?? Array(repeating: 1, count: r)
        guard strides.count == r, dilations.count == r else { throw OpFailure("strides/dilations must have \(r) entries") }
        guard (strides + dilations + kernel).allSatisfy({ $0 >= 1 }) else {
            throw OpFailure("kernel sizes, strides and dilations must be positive")
        }
        var pads = call.ints("pads") ?? Array(repeating: 0, count: 2 * r)
        guard pads.count == 2 * r else { throw OpFailure("pads must have \(2 * r) entries, got \(pads.count)") }
        let autoPad = call.string("auto_pad", "NOTSET")
        if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            for i in 0..<r {
                let out = (spatial[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i])
                let small = total / 2
                pads[i] = autoPad == "SAME_UPPER" ? small : total - small
                pads[i + r] = total - pads[i]
            }
        } else if autoPad == "VALID" {
            pads = Array(repeating: 0, count: 2 * r)
        }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw OpFailure("pads must not be negative") }
        return Window(size: spatial, kernel: kernel, strides: strides, dilations: dilations,
                      padBegin: Array(pads[0..<r]), padEnd: Array(pads[r...]))
    }

    /// The 2-D geometry of a Conv node for input `x` and weight `w` (1-D convs as height 1).
    static func convShape(_ call: OpCall, _ x: DenseTensor, _ w: DenseTensor) throws -> Conv2DShape {
        guard x.rank == w.rank, x.rank == 3 || x.rank == 4 else {
            throw OpFailure("input \(x.shape) and weight \(w.shape) must both be 3-D or 4-D")
        }
        let groups = call.int("group", 1)
        let win = try window(call, input: x.shape, kernel: Array(w.shape.dropFirst(2)))
        let two = win.size.count == 2
        var s = Conv2DShape(batch: x.shape[0], inChannels: x.shape[1], height: two ? win.size[0] : 1, width: win.size.last!,
                            outChannels: w.shape[0], kernelH: two ? win.kernel[0] : 1, kernelW: win.kernel.last!)
        s.groups = groups
        s.strideH = two ? win.strides[0] : 1; s.strideW = win.strides.last!
        s.dilationH = two ? win.dilations[0] : 1; s.dilationW = win.dilations.last!
        s.padTop = two ? win.padBegin[0] : 0; s.padLeft = win.padBegin.last!
        s.padBottom = two ? win.padEnd[0] : 0; s.padRight = win.padEnd.last!
        if let problem = s.problem { throw OpFailure("input \(x.shape), weight \(w.shape): \(problem)") }
        guard w.shape[1] * groups == x.shape[1] else {
            throw OpFailure("input has \(x.shape[1]) channels but weight \(w.shape) with group=\(groups) expects \(w.shape[1] * groups)")
        }
        return s
    }

    static func conv(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0), w = try call.floatInput(1)
        let b = try call.optionalInput(2).map { t -> DenseTensor in
            guard t.kind == .float32 else { throw OpFailure("bias must be float32") }
            return t
        }
        let s = try convShape(call, x, w)
        let two = x.rank == 4
        if let b, b.count != s.outChannels { throw OpFailure("bias has \(b.count) values for \(s.outChannels) output channels") }
        let outShape = two ? [s.batch, s.outChannels, s.outHeight, s.outWidth] : [s.batch, s.outChannels, s.outWidth]
        // Input 3 exists only in plans: a residual Add fused into this Conv (Fusion). When it does
        // not have the output's shape (a broadcasting Add), the conv runs plain and the Add after it.
        let shortcut = call.optionalInput(3)
        if let shortcut, shortcut.kind != .float32 || shortcut.shape != outShape { return try addUnfused(shortcut, call) }
        let residual = shortcut.map { UnsafePointer($0.pointer) }
        let y = call.output(outShape)
        // Winograd's transforms cost per channel what its GEMMs save per channel pair, so it pays
        // only with enough channels; its scratch grows with the batch, so large batches of small
        // images take the batched direct path instead.
        if call.context.cachesDerivedWeights(of: w) && Winograd.applies(s) && s.inChannels >= 32 && s.outChannels >= 32 && s.batch <= 8,
           let tile = winogradTile(pixels: s.outHeight * s.outWidth) {
            let u = call.context.winogradWeights(w, s, tile: tile)
            let scratch = call.context.scratch(Winograd.scratchCount(s, tile: tile))
            Winograd.forward(s, tile: tile, input: x.pointer, transformedWeights: u, bias: b.map { UnsafePointer($0.pointer) },
                             output: y.pointer, clamp: call.activation?.clamp ?? .none, residual: residual, scratch: scratch,
                             pool: call.pool)
            return [y]
        }
        let threads = call.pool.threadCount
        let packed = call.context.cachesDerivedWeights(of: w) && Conv2D.usesPackedWeights(s, threads: threads)
            ? call.context.packedConvWeights(w, s) : nil
        let scratch = call.context.scratch(Conv2D.scratchCount(s, threads: threads))
        Conv2D.forward(s, input: x.pointer, weight: w.pointer, bias: b.map { UnsafePointer($0.pointer) }, output: y.pointer,
                       clamp: call.activation?.clamp ?? .none, residual: residual, scratch: scratch, pool: call.pool,
                       packedWeights: packed)
        return [y]
    }

    /// A fused Conv + Add whose other operand broadcasts: the conv alone, then the Add as the
    /// graph had it (with the fused activation).
    private static func addUnfused(_ residual: DenseTensor, _ call: OpCall) throws -> [DenseTensor] {
        let plain = OpCall(node: call.node, inputs: Array(call.inputs.prefix(3)), context: call.context, activation: nil)
        let y = try conv(plain)[0]
        var add = call.node
        add.opType = "Add"
        add.inputs = [call.node.outputs[0], call.node.inputs[3]]
        return try BinaryOps.run(OpCall(node: add, inputs: [y, residual], context: call.context, activation: call.activation))
    }

    static func convTranspose(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0), w = try call.floatInput(1)
        let b = call.optionalInput(2)
        let s = try transposeShape(call, x, w)
        if let b, b.count != s.outChannels { throw OpFailure("bias has \(b.count) values for \(s.outChannels) output channels") }
        let outShape = x.rank == 4 ? [s.batch, s.outChannels, s.outHeight, s.outWidth] : [s.batch, s.outChannels, s.outWidth]
        let y = call.output(outShape)
        ConvTranspose2D.forward(s, input: x.pointer, weight: w.pointer, bias: b.map { UnsafePointer($0.pointer) }, output: y.pointer)
        call.activation?.apply(y.pointer, y.count)
        return [y]
    }

    /// The geometry of a ConvTranspose node (1-D as 2-D), with output_shape and auto_pad resolved to pads.
    static func transposeShape(_ call: OpCall, _ x: DenseTensor, _ w: DenseTensor) throws -> ConvTranspose2DShape {
        guard x.rank == w.rank, x.rank == 3 || x.rank == 4 else {
            throw OpFailure("input \(x.shape) and weight \(w.shape) must both be 3-D or 4-D")
        }
        let groups = call.int("group", 1)
        guard groups >= 1, x.shape[1] == w.shape[0], x.shape[1] % groups == 0 else {
            throw OpFailure("input has \(x.shape[1]) channels but the weight \(w.shape) expects \(w.shape[0])")
        }
        let r = x.rank - 2
        let spatial = Array(x.shape.dropFirst(2)), kernel = Array(w.shape.dropFirst(2))
        let strides = call.ints("strides") ?? Array(repeating: 1, count: r)
        let dilations = call.ints("dilations") ?? Array(repeating: 1, count: r)
        let outputPadding = call.ints("output_padding") ?? Array(repeating: 0, count: r)
        var pads = call.ints("pads") ?? Array(repeating: 0, count: 2 * r)
        guard strides.count == r, dilations.count == r, outputPadding.count == r, pads.count == 2 * r else {
            throw OpFailure("strides, dilations, output_padding and pads must match \(r) spatial axes")
        }
        guard (strides + dilations + kernel).allSatisfy({ $0 >= 1 }), outputPadding.allSatisfy({ $0 >= 0 }) else {
            throw OpFailure("kernel sizes, strides and dilations must be positive, output_padding not negative")
        }
        let autoPad = call.string("auto_pad", "NOTSET")
        if let outputShape = call.ints("output_shape") {
            let target = Array(outputShape.suffix(r))
            for i in 0..<r {
                // May be negative (the requested output is larger): that extends the end, as in onnx's reference.
                let total = strides[i] * (spatial[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - target[i]
                let half = Int((Double(total) / 2).rounded(.down))
                pads[i] = autoPad == "SAME_UPPER" ? half : total - half
                pads[i + r] = total - pads[i]
            }
        } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            for i in 0..<r {
                let total = max(0, strides[i] * (spatial[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i] * strides[i])
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + r] = total - pads[i]
            }
        } else if autoPad == "VALID" {
            pads = Array(repeating: 0, count: 2 * r)
        }
        let two = r == 2
        var s = ConvTranspose2DShape(batch: x.shape[0], inChannels: x.shape[1], height: two ? spatial[0] : 1, width: spatial.last!,
                                     outChannels: w.shape[1] * groups, kernelH: two ? kernel[0] : 1, kernelW: kernel.last!)
        s.groups = groups
        s.strideH = two ? strides[0] : 1; s.strideW = strides.last!
        s.dilationH = two ? dilations[0] : 1; s.dilationW = dilations.last!
        s.padTop = two ? pads[0] : 0; s.padLeft = pads[r - 1]
        s.padBottom = two ? pads[r] : 0; s.padRight = pads[2 * r - 1]
        s.outputPadH = two ? outputPadding[0] : 0; s.outputPadW = outputPadding.last!
        guard s.outHeight > 0, s.outWidth > 0 else { throw OpFailure("the output would be empty") }
        return s
    }

    static func pool(_ call: OpCall) throws -> [DenseTensor] {
        var x = try call.input(0)
        let integral = x.kind == .int64 && call.node.op == "MaxPool"
        // Integer max pooling runs in float32, exact for the 8- and 16-bit data it is used with.
        if integral { x = DenseTensor(shape: x.shape, floats: x.int64s.map { Float($0) }) }
        guard x.kind == .float32 else { throw OpFailure("input 0 must be float32, got \(x.kind.rawValue)") }
        guard let kernel = call.ints("kernel_shape") else { throw OpFailure("kernel_shape is required") }
        let ceil = call.int("ceil_mode", 0) == 1
        let win = try window(call, input: x.shape, kernel: kernel, ceil: ceil, anyRank: true)
        if win.size.count > 2 { return try volumePool(call, x, win, ceil: ceil) }
        let two = win.size.count == 2
        let s = poolShape(call, x, win, ceil: ceil)
        guard s.outHeight > 0, s.outWidth > 0 else { throw OpFailure("the window does not fit input \(x.shape)") }
        let wantsIndices = call.node.outputs.count > 1 && !call.node.outputs[1].isEmpty
        if wantsIndices && call.node.op != "MaxPool" { throw OpFailure("only MaxPool has an Indices output") }
        let outShape = two ? [s.batch, s.channels, s.outHeight, s.outWidth] : [s.batch, s.channels, s.outWidth]
        let y = call.output(outShape)
        if call.node.op == "MaxPool" {
            Pool2D.max(s, x.pointer, y.pointer, pool: call.pool)
            let indices = wantsIndices ? [maxIndices(s, x, rowMajor: call.int("storage_order", 0) == 0, outShape)] : []
            if integral { return [DenseTensor(shape: outShape, int64s: y.floats.map { Int64($0) })] + indices }
            return [y] + indices
        } else {
            Pool2D.average(s, countIncludePad: call.int("count_include_pad", 0) == 1, x.pointer, y.pointer, pool: call.pool)
        }
        return [y]
    }

    /// The 2-D geometry of a pool node over `x` (1-D pools as height 1).
    static func poolShape(_ call: OpCall, _ x: DenseTensor, _ win: Window, ceil: Bool) -> Pool2DShape {
        let two = win.size.count == 2
        var s = Pool2DShape(batch: x.shape[0], channels: x.shape[1], height: two ? win.size[0] : 1, width: win.size.last!,
                            kernelH: two ? win.kernel[0] : 1, kernelW: win.kernel.last!)
        s.strideH = two ? win.strides[0] : 1; s.strideW = win.strides.last!
        s.dilationH = two ? win.dilations[0] : 1; s.dilationW = win.dilations.last!
        s.padTop = two ? win.padBegin[0] : 0; s.padLeft = win.padBegin.last!
        s.padBottom = two ? win.padEnd[0] : 0; s.padRight = win.padEnd.last!
        // SAME pads are computed from ceil(in/stride) outputs; recompute from the window.
        s.ceilMode = ceil && !call.string("auto_pad", "NOTSET").hasPrefix("SAME")
        return s
    }

    /// 3-D (and higher) pooling through the index-by-index kernel.
    static func volumePool(_ call: OpCall, _ x: DenseTensor, _ win: Window, ceil: Bool) throws -> [DenseTensor] {
        if call.node.outputs.count > 1 && !call.node.outputs[1].isEmpty { throw OpFailure("Indices are supported for 2-D MaxPool only") }
        var s = PoolNDShape(planes: x.shape[0] * x.shape[1], size: win.size, kernel: win.kernel, strides: win.strides,
                            dilations: win.dilations, padBegin: win.padBegin, padEnd: win.padEnd)
        s.ceilMode = ceil && !call.string("auto_pad", "NOTSET").hasPrefix("SAME")
        guard s.outSize.allSatisfy({ $0 > 0 }) else { throw OpFailure("the window does not fit input \(x.shape)") }
        let y = call.output(Array(x.shape[0..<2]) + s.outSize)
        PoolND.run(s, max: call.node.op == "MaxPool", countIncludePad: call.int("count_include_pad", 0) == 1, x.pointer, y.pointer)
        return [y]
    }

    static func globalPool(_ call: OpCall) throws -> [DenseTensor] {
        let x = try call.floatInput(0)
        guard x.rank >= 3 else { throw OpFailure("input must have a batch, a channel and spatial axes, got \(x.shape)") }
        let y = call.output(Array(x.shape[0..<2]) + Array(repeating: 1, count: x.rank - 2))
        Pool2D.global(max: call.node.op == "GlobalMaxPool", planes: x.shape[0] * x.shape[1], size: x.shape[2...].reduce(1, *),
                      x.pointer, y.pointer, pool: call.pool)
        return [y]
    }

    /// MaxPool's Indices output: the flat input index of each window's maximum (the first one on
    /// ties), row-major, or column-major within each plane for storage_order=1.
    static func maxIndices(_ s: Pool2DShape, _ x: DenseTensor, rowMajor: Bool, _ shape: [Int]) -> DenseTensor {
        var out: [Int64] = []
        let src = x.pointer
        for p in 0..<(s.batch * s.channels) {
            for oy in 0..<s.outHeight {
                for ox in 0..<s.outWidth {
                    var best = -Float.infinity, at = (0, 0)
                    for ky in 0..<s.kernelH {
                        let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                        guard iy >= 0 && iy < s.height else { continue }
                        for kx in 0..<s.kernelW {
                            let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                            guard ix >= 0 && ix < s.width else { continue }
                            let v = src[(p * s.height + iy) * s.width + ix]
                            if v > best { best = v; at = (iy, ix) }
                        }
                    }
                    let inPlane = rowMajor ? at.0 * s.width + at.1 : at.1 * s.height + at.0
                    out.append(Int64(p * s.height * s.width + inPlane))
                }
            }
        }
        return DenseTensor(shape: shape, int64s: out)
    }
}
