/// Gradients of `Pool2D`: max pooling sends each output's gradient to the first input of its
/// window holding the maximum (PyTorch's choice on ties), average pooling spreads it evenly over
/// the window's divisor. Parallel over (image, channel) planes, which never share an input.
public enum Pool2DBackward {
    public static func max(_ s: Pool2DShape, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                           _ dx: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let oh = s.outHeight, ow = s.outWidth, inPlane = s.height * s.width
        nonisolated(unsafe) let x = x, dy = dy, dx = dx
        planes(s, pool) { p in
            let src = x + p * inPlane, grad = dy + p * oh * ow, out = dx + p * inPlane
            out.update(repeating: 0, count: inPlane)
            for oy in 0..<oh {
                let y0 = oy * s.strideH - s.padTop
                let rows = Pool2D.tapRange(y0, s.kernelH, s.dilationH, s.height)
                for ox in 0..<ow {
                    let x0 = ox * s.strideW - s.padLeft
                    var best = -Float.infinity, at = -1
                    for ky in rows {
                        let iy = y0 + ky * s.dilationH
                        for kx in Pool2D.tapRange(x0, s.kernelW, s.dilationW, s.width) {
                            let i = iy * s.width + x0 + kx * s.dilationW
                            if src[i] > best || src[i].isNaN || at < 0 { best = src[i]; at = i }
                            if best.isNaN { break }
                        }
                    }
                    if at >= 0 { out[at] += grad[oy * ow + ox] }
                }
            }
        }
    }

    /// The adjoint of `Pool2D.average` with the same divisor rule.
    public static func average(_ s: Pool2DShape, countIncludePad: Bool, _ dy: UnsafePointer<Float>,
                               _ dx: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let oh = s.outHeight, ow = s.outWidth, inPlane = s.height * s.width
        nonisolated(unsafe) let dy = dy, dx = dx
        planes(s, pool) { p in
            let grad = dy + p * oh * ow, out = dx + p * inPlane
            out.update(repeating: 0, count: inPlane)
            for oy in 0..<oh {
                let y0 = oy * s.strideH - s.padTop
                let y1 = Swift.min(y0 + (s.kernelH - 1) * s.dilationH + 1, s.height + s.padBottom)
                for ox in 0..<ow {
                    let x0 = ox * s.strideW - s.padLeft
                    let x1 = Swift.min(x0 + (s.kernelW - 1) * s.dilationW + 1, s.width + s.padRight)
                    var inside = 0, padded = 0
                    for ky in 0..<s.kernelH where y0 + ky * s.dilationH < y1 {
                        let iy = y0 + ky * s.dilationH
                        for kx in 0..<s.kernelW where x0 + kx * s.dilationW < x1 {
                            let ix = x0 + kx * s.dilationW
                            padded += 1
                            if iy >= 0 && iy < s.height && ix >= 0 && ix < s.width { inside += 1 }
                        }
                    }
                    let divisor = countIncludePad ? padded : inside
                    guard divisor > 0 else { continue }
                    let share = grad[oy * ow + ox] / Float(divisor)
                    for ky in Pool2D.tapRange(y0, s.kernelH, s.dilationH, s.height) where y0 + ky * s.dilationH < y1 {
                        let iy = y0 + ky * s.dilationH
                        for kx in Pool2D.tapRange(x0, s.kernelW, s.dilationW, s.width) where x0 + kx * s.dilationW < x1 {
                            out[iy * s.width + x0 + kx * s.dilationW] += share
                        }
                    }
                }
            }
        }
    }

    private static func planes(_ s: Pool2DShape, _ pool: WorkerPool, _ body: @escaping @Sendable (Int) -> Void) {
        pool.parallelRanges(s.batch * s.channels, grain: 4) { range in for p in range { body(p) } }
    }
}
