import PareEngine
import PareKernels

/// Gradients of Conv and the pools, on the PareKernels backward kernels.
enum ConvGradients {
    static func conv(_ call: GradientCall) throws -> [DenseTensor?] {
        let x = try call.forward.floatInput(0), w = try call.forward.floatInput(1)
        let s = try ConvOps.convShape(call.forward, x, w)
        let dy = call.outputGradient()
        let dx = call.needs(0) ? call.tensor(x.shape) : nil
        let dw = call.needs(1) ? call.tensor(w.shape) : nil
        let hasBias = call.forward.optionalInput(2) != nil
        let db = hasBias && call.needs(2) ? call.tensor([s.outChannels]) : nil
        let scratch = call.forward.context.scratch(Conv2DBackward.scratchCount(s, threads: call.pool.threadCount))
        Conv2DBackward.backward(s, input: x.pointer, weight: w.pointer, outputGradient: dy.pointer, inputGradient: dx?.pointer,
                                weightGradient: dw?.pointer, biasGradient: db?.pointer, scratch: scratch, pool: call.pool)
        return [dx, dw] + (hasBias ? [db] : [])
    }

    /// ConvTranspose is the adjoint of the Conv that maps its output back onto its input (same
    /// weight, strides, pads, dilations and groups), so its gradients are that Conv's passes:
    /// dX is the Conv's forward of dY, dW the Conv's weight gradient with dY as input and X as
    /// output gradient, and db sums dY.
    static func convTranspose(_ call: GradientCall) throws -> [DenseTensor?] {
        let x = try call.forward.floatInput(0), w = try call.forward.floatInput(1)
        let t = try ConvOps.transposeShape(call.forward, x, w)
        var s = Conv2DShape(batch: t.batch, inChannels: t.outChannels, height: t.outHeight, width: t.outWidth,
                            outChannels: t.inChannels, kernelH: t.kernelH, kernelW: t.kernelW)
        s.strideH = t.strideH; s.strideW = t.strideW; s.dilationH = t.dilationH; s.dilationW = t.dilationW
        s.padTop = t.padTop; s.padLeft = t.padLeft; s.padBottom = t.padBottom; s.padRight = t.padRight
        s.groups = t.groups
        guard s.problem == nil, s.outHeight == t.height, s.outWidth == t.width else {
            throw OpFailure("training a ConvTranspose whose output_shape crops or extends beyond its pads is not supported")
        }
        let dy = call.outputGradient()
        let threads = call.pool.threadCount
        // The session's scratch block, as the forward pass and Conv's gradient use it; the two passes run in turn.
        let scratch = call.forward.context.scratch(max(Conv2D.scratchCount(s, threads: threads),
                                                       Conv2DBackward.scratchCount(s, threads: threads)))
        let dx = call.needs(0) ? call.tensor(x.shape) : nil
        if let dx {
            Conv2D.forward(s, input: dy.pointer, weight: w.pointer, bias: nil, output: dx.pointer, scratch: scratch, pool: call.pool)
        }
        let dw = call.needs(1) ? call.tensor(w.shape) : nil
        if let dw {
            Conv2DBackward.backward(s, input: dy.pointer, weight: w.pointer, outputGradient: x.pointer, inputGradient: nil,
                                    weightGradient: dw.pointer, biasGradient: nil, scratch: scratch, pool: call.pool)
        }
        let hasBias = call.forward.optionalInput(2) != nil
        let db = hasBias && call.needs(2) ? call.tensor([t.outChannels]) : nil
        if let db {
            Conv2DBackward.channelSums(dy.pointer, batch: t.batch, channels: t.outChannels, plane: t.outHeight * t.outWidth,
                                       into: db.pointer, pool: call.pool)
        }
        return [dx, dw] + (hasBias ? [db] : [])
    }

    static func pool(_ call: GradientCall) throws -> [DenseTensor?] {
        guard call.needs(0) else { return [nil] }
        let x = try call.forward.floatInput(0)
        guard let kernel = call.forward.ints("kernel_shape") else { throw OpFailure("kernel_shape is required") }
        let ceil = call.forward.int("ceil_mode", 0) == 1
        let win = try ConvOps.window(call.forward, input: x.shape, kernel: kernel, ceil: ceil)
        let s = ConvOps.poolShape(call.forward, x, win, ceil: ceil)
        let dy = call.outputGradient(), dx = call.tensor(x.shape)
        if call.node.op == "MaxPool" {
            Pool2DBackward.max(s, x.pointer, dy.pointer, dx.pointer, pool: call.pool)
        } else {
            Pool2DBackward.average(s, countIncludePad: call.forward.int("count_include_pad", 0) == 1, dy.pointer, dx.pointer,
                                   pool: call.pool)
        }
        return [dx]
    }

    static func globalPool(_ call: GradientCall) throws -> [DenseTensor?] {
        guard call.needs(0) else { return [nil] }
        let x = try call.forward.floatInput(0), y = call.outputs[0]
        let dy = call.outputGradient(), dx = call.tensor(x.shape)
        let planes = x.shape[0] * x.shape[1], size = x.count / max(planes, 1)
        let isMax = call.node.op == "GlobalMaxPool"
        nonisolated(unsafe) let src = x.pointer, best = y.pointer, g = dy.pointer, out = dx.pointer
        call.pool.parallelRanges(planes, grain: 16) { range in
            for p in range {
                let target = out + p * size
                if isMax {
                    target.update(repeating: 0, count: size)
                    let plane = src + p * size
                    if let at = (0..<size).first(where: { plane[$0] == best[p] || plane[$0].isNaN }) { target[at] = g[p] }
                } else {
                    target.update(repeating: g[p] / Float(size), count: size)
                }
            }
        }
        return [dx]
    }
}
