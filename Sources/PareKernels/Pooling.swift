/// The window geometry of a 2-D pooling over NCHW (1-D pools use height 1).
public struct Pool2DShape: Sendable, Equatable {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int
    public var strideH = 1, strideW = 1, dilationH = 1, dilationW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var ceilMode = false

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW
    }

    static func extent(_ size: Int, _ k: Int, _ s: Int, _ d: Int, _ p0: Int, _ p1: Int, _ ceil: Bool) -> Int {
        let span = size + p0 + p1 - d * (k - 1) - 1
        guard span >= 0 else { return 0 }
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        // With ceil_mode the last window must start inside the input or left padding (PyTorch, ONNX).
        if ceil && (out - 1) * s >= size + p0 { out -= 1 }
        return out
    }

    public var outHeight: Int { Pool2DShape.extent(height, kernelH, strideH, dilationH, padTop, padBottom, ceilMode) }
    public var outWidth: Int { Pool2DShape.extent(width, kernelW, strideW, dilationW, padLeft, padRight, ceilMode) }
}

public enum Pool2D {
    /// Max over each window (padding never wins), parallel over planes.
    public static func max(_ s: Pool2DShape, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let oh = s.outHeight, ow = s.outWidth
        forEachPlane(s, x, y, pool) { src, dst in
            // Tap by tap over whole output rows: each (ky, kx) updates the outputs whose tap lands
            // inside the input, in one vectorizable pass.
            for oy in 0..<oh {
                let y0 = oy * s.strideH - s.padTop
                let out = dst + oy * ow
                out.update(repeating: -.infinity, count: ow)
                for ky in tapRange(y0, s.kernelH, s.dilationH, s.height) {
                    let line = src + (y0 + ky * s.dilationH) * s.width
                    for kx in 0..<s.kernelW {
                        let offset = kx * s.dilationW - s.padLeft
                        let columns = outputColumns(reading: offset, stride: s.strideW, width: s.width, outWidth: ow)
                        var ox = maxLanes(out, line, offset: offset, stride: s.strideW, width: s.width, columns)
                        while ox < columns.upperBound {
                            let v = line[ox * s.strideW + offset], o = out[ox]
                            out[ox] = v <= o ? o : v  // also takes NaN, as onnxruntime does
                            ox += 1
                        }
                    }
                }
            }
        }
    }

    /// The tap update out[ox] = max(out[ox], line[ox·stride + offset]) eight outputs at a time for
    /// strides 1 and 2 (stride 2 reads sixteen neighbours and keeps the even ones), as far as whole
    /// lane groups stay inside the row; returns the first output left for the scalar loop. The
    /// scalar loop compiled to one strided load and compare per element (4% of a ResNet-18 run).
    @inline(__always)
    static func maxLanes(_ out: UnsafeMutablePointer<Float>, _ line: UnsafePointer<Float>, offset: Int, stride: Int,
                         width: Int, _ columns: Range<Int>) -> Int {
        var ox = columns.lowerBound
        @inline(__always) func update(_ v: SIMD8<Float>) {
            let o = UnsafeRawPointer(out + ox).loadUnaligned(as: SIMD8<Float>.self)
            // Where v ≤ o keep o, else v: NaN in the input wins, as in the scalar loop.
            UnsafeMutableRawPointer(out + ox).storeBytes(of: v.replacing(with: o, where: v .<= o), as: SIMD8<Float>.self)
        }
        if stride == 1 {
            while ox + 8 <= columns.upperBound {
                update(UnsafeRawPointer(line + ox + offset).loadUnaligned(as: SIMD8<Float>.self))
                ox += 8
            }
        } else if stride == 2 {
            while ox + 8 <= columns.upperBound && 2 * ox + offset + 16 <= width {
                update(UnsafeRawPointer(line + 2 * ox + offset).loadUnaligned(as: SIMD16<Float>.self).evenHalf)
                ox += 8
            }
        } else {
            return ox
        }
        // The tail as one more group ending at the last column, overlapping outputs already
        // updated: the update is idempotent (max(max(o, v), v) = max(o, v), NaN included), and a
        // row's 1–7 leftover outputs otherwise cost as much as the rest of it (56-wide rows).
        let last = columns.upperBound - 8
        guard ox < columns.upperBound, last >= columns.lowerBound else { return ox }
        if stride == 1 {
            ox = last
            update(UnsafeRawPointer(line + last + offset).loadUnaligned(as: SIMD8<Float>.self))
        } else if 2 * last + offset + 16 <= width {
            ox = last
            update(UnsafeRawPointer(line + 2 * last + offset).loadUnaligned(as: SIMD16<Float>.self).evenHalf)
        } else if 2 * last + offset >= 1 {
            // Sixteen values ending at the last one read (2·last + offset + 14 ≤ width − 1, as
            // `columns` only holds readable outputs), keeping the odd lanes.
            ox = last
            update(UnsafeRawPointer(line + 2 * last + offset - 1).loadUnaligned(as: SIMD16<Float>.self).oddHalf)
        } else {
            return ox
        }
        return columns.upperBound
    }

    /// Runs `body(input plane, output plane)` for every (image, channel) plane, spread over the pool.
    static func forEachPlane(_ s: Pool2DShape, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ pool: WorkerPool,
                             _ body: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let inPlane = s.height * s.width, outPlane = s.outHeight * s.outWidth
        nonisolated(unsafe) let x = x, y = y
        pool.parallelRanges(s.batch * s.channels, grain: 4) { planes in
            for p in planes { body(x + p * inPlane, y + p * outPlane) }
        }
    }

    /// The output columns ox whose input column ox·stride + offset lies in 0..<width.
    static func outputColumns(reading offset: Int, stride: Int, width: Int, outWidth: Int) -> Range<Int> {
        let first = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let end = width - 1 - offset < 0 ? 0 : Swift.min(outWidth, (width - 1 - offset) / stride + 1)
        return first < end ? first..<end : 0..<0
    }

    /// The kernel taps k of a window starting at `start` whose position start + k·dilation is in 0..<size.
    static func tapRange(_ start: Int, _ kernel: Int, _ dilation: Int, _ size: Int) -> Range<Int> {
        let first = start >= 0 ? 0 : (-start + dilation - 1) / dilation
        let last = size - 1 - start < 0 ? -1 : (size - 1 - start) / dilation
        let end = Swift.min(kernel, last + 1)
        return first < end ? first..<end : 0..<0
    }

    /// Mean over each window. `countIncludePad` divides by the window clipped to the padded
    /// input (ONNX and PyTorch: the part past the padding, which ceil_mode can add, never counts);
    /// otherwise by the taps that land inside the input.
    public static func average(_ s: Pool2DShape, countIncludePad: Bool, _ x: UnsafePointer<Float>,
                               _ y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let oh = s.outHeight, ow = s.outWidth
        forEachPlane(s, x, y, pool) { src, dst in
            for oy in 0..<oh {
                let y0 = oy * s.strideH - s.padTop
                let y1 = Swift.min(y0 + (s.kernelH - 1) * s.dilationH + 1, s.height + s.padBottom)
                for ox in 0..<ow {
                    let x0 = ox * s.strideW - s.padLeft
                    let x1 = Swift.min(x0 + (s.kernelW - 1) * s.dilationW + 1, s.width + s.padRight)
                    var sum: Float = 0
                    var inside = 0, padded = 0
                    for ky in 0..<s.kernelH {
                        let iy = y0 + ky * s.dilationH
                        guard iy < y1 else { continue }
                        for kx in 0..<s.kernelW {
                            let ix = x0 + kx * s.dilationW
                            guard ix < x1 else { continue }
                            padded += 1
                            guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                            sum += src[iy * s.width + ix]
                            inside += 1
                        }
                    }
                    let divisor = countIncludePad ? padded : inside
                    dst[oy * ow + ox] = divisor > 0 ? sum / Float(divisor) : 0
                }
            }
        }
    }

    /// Global average or max over each H×W plane.
    public static func global(max useMax: Bool, planes: Int, size: Int, _ x: UnsafePointer<Float>,
                              _ y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        nonisolated(unsafe) let x = x, y = y
        pool.parallelRanges(planes, grain: 16) { range in
            for p in range {
                let src = x + p * size
                if useMax {
                    var best = -Float.infinity
                    for i in 0..<size where src[i] > best || src[i].isNaN { best = src[i] }
                    y[p] = best
                } else {
                    // Eight partial sums: one running sum would wait on every add's latency.
                    var partial = SIMD8<Float>()
                    var i = 0
                    while i + 8 <= size {
                        partial += UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
                        i += 8
                    }
                    var sum = partial.sum()
                    while i < size { sum += src[i]; i += 1 }
                    y[p] = sum / Float(Swift.max(size, 1))
                }
            }
        }
    }
}
