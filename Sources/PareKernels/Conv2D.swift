/// The geometry of a 2-D convolution over NCHW tensors (ONNX Conv: pads begin/end per axis,
/// strides, dilations, groups), with the output extents it implies.
public struct Conv2DShape: Sendable, Equatable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernelH: Int, kernelW: Int
    public var strideH = 1, strideW = 1, dilationH = 1, dilationW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var groups = 1

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
    }

    public var outHeight: Int { (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outWidth: Int { (width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    /// Input channels each output channel reads (the weight's axis 1).
    public var channelsPerGroup: Int { inChannels / groups }

    /// Why these numbers cannot describe a convolution, or nil when they can.
    public var problem: String? {
        if [batch, inChannels, height, width, outChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, groups]
            .contains(where: { $0 < 1 }) { return "every extent, stride, dilation and group count must be positive" }
        if [padTop, padLeft, padBottom, padRight].contains(where: { $0 < 0 }) { return "pads must not be negative" }
        if inChannels % groups != 0 || outChannels % groups != 0 { return "channels must be divisible by the group count" }
        if outHeight < 1 || outWidth < 1 { return "the kernel does not fit the padded input" }
        return nil
    }
}

/// 2-D convolution, y = conv(x, w) + b, NCHW with weights [M, C/groups, kH, kW].
///
/// `forward` picks a scheme by shape: a 1×1 stride-1 unpadded conv is one GEMM per image (the
/// input already is the column matrix); depthwise convs (one input channel per group) run
/// directly, since their GEMMs would have one row; everything else lowers each image and group
/// to columns (im2col) and multiplies with OpenBLAS. `reference` is the definition, in Double.
public enum Conv2D {
    /// Floats of scratch space `forward` needs for the column matrix of one image and group.
    public static func scratchCount(_ s: Conv2DShape) -> Int {
        s.channelsPerGroup * s.kernelH * s.kernelW * s.outHeight * s.outWidth
    }

    /// `scratch` (at least `scratchCount` floats) is reused across calls when given, because a fresh
    /// multi-megabyte block per call costs page faults comparable to the GEMM of a small layer.
    /// `pool` spreads the column lowering and depthwise loops over threads (GEMM uses OpenBLAS's).
    public static func forward(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>,
                               scratch: UnsafeMutablePointer<Float>? = nil, pool: WorkerPool? = nil) {
        precondition(s.problem == nil, "Conv2D: \(s.problem ?? "")")
        let outPlane = s.outHeight * s.outWidth, inPlane = s.height * s.width
        let mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        let k = cPerGroup * s.kernelH * s.kernelW
        if s.groups == s.inChannels && cPerGroup == 1 {
            depthwise(s, x, w, y, pool: pool)
        } else if s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1
                    && s.padTop == 0 && s.padLeft == 0 && s.padBottom == 0 && s.padRight == 0 {
            for n in 0..<s.batch {
                for g in 0..<s.groups {
                    Gemm.sgemm(m: mPerGroup, n: outPlane, k: k, a: w + g * mPerGroup * k, lda: k,
                               b: x + (n * s.inChannels + g * cPerGroup) * inPlane, ldb: inPlane,
                               c: y + (n * s.outChannels + g * mPerGroup) * outPlane, ldc: outPlane)
                }
            }
        } else {
            let owned = scratch == nil ? UnsafeMutablePointer<Float>.allocate(capacity: k * outPlane) : nil
            defer { owned?.deallocate() }
            let columns = scratch ?? owned!
            for n in 0..<s.batch {
                for g in 0..<s.groups {
                    im2col(s, x + (n * s.inChannels + g * cPerGroup) * inPlane, channels: cPerGroup, into: columns, pool: pool)
                    Gemm.sgemm(m: mPerGroup, n: outPlane, k: k, a: w + g * mPerGroup * k, lda: k, b: columns, ldb: outPlane,
                               c: y + (n * s.outChannels + g * mPerGroup) * outPlane, ldc: outPlane)
                }
            }
        }
        if let bias {
            for n in 0..<s.batch {
                for m in 0..<s.outChannels {
                    let plane = y + (n * s.outChannels + m) * outPlane
                    let b = bias[m]
                    for i in 0..<outPlane { plane[i] += b }
                }
            }
        }
    }

    /// Rows (c, ky, kx), columns (oy, ox): the input value each kernel tap sees, 0 in padding.
    static func im2col(_ s: Conv2DShape, _ x: UnsafePointer<Float>, channels: Int, into columns: UnsafeMutablePointer<Float>,
                       pool: WorkerPool?) {
        nonisolated(unsafe) let x = x, columns = columns
        if let pool, pool.threadCount > 1, channels > 1 {
            pool.parallelRanges(channels) { range in lowerChannels(s, x, range, columns) }
        } else {
            lowerChannels(s, x, 0..<channels, columns)
        }
    }

    private static func lowerChannels(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ channels: Range<Int>,
                                      _ columns: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth
        for c in channels {
            for ky in 0..<s.kernelH {
                for kx in 0..<s.kernelW {
                    let row = (c * s.kernelH + ky) * s.kernelW + kx
                    let dst = columns + row * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                        let line = dst + oy * ow
                        guard iy >= 0 && iy < s.height else { line.update(repeating: 0, count: ow); continue }
                        let src = x + (c * s.height + iy) * s.width
                        // Outputs whose tap lands inside the row: [first, end); zeros either side.
                        let shift = kx * s.dilationW - s.padLeft
                        let first = min(ow, shift >= 0 ? 0 : (-shift + s.strideW - 1) / s.strideW)
                        let end = max(first, min(ow, s.width - shift <= 0 ? 0 : (s.width - shift - 1) / s.strideW + 1))
                        if first > 0 { line.update(repeating: 0, count: first) }
                        if s.strideW == 1 {
                            (line + first).update(from: src + first + shift, count: end - first)
                        } else {
                            var ix = first * s.strideW + shift
                            for ox in first..<end { line[ox] = src[ix]; ix += s.strideW }
                        }
                        if end < ow { (line + end).update(repeating: 0, count: ow - end) }
                    }
                }
            }
        }
    }

    /// One input channel per group (with an optional depth multiplier): direct loops.
    static func depthwise(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                          pool: WorkerPool?) {
        nonisolated(unsafe) let x = x, w = w, y = y
        if let pool, pool.threadCount > 1 {
            pool.parallelRanges(s.batch * s.outChannels) { planes in depthwisePlanes(s, x, w, y, planes) }
        } else {
            depthwisePlanes(s, x, w, y, 0..<(s.batch * s.outChannels))
        }
    }

    private static func depthwisePlanes(_ s: Conv2DShape, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                        _ y: UnsafeMutablePointer<Float>, _ planes: Range<Int>) {
        let oh = s.outHeight, ow = s.outWidth, multiplier = s.outChannels / s.groups
        for plane in planes {
            let n = plane / s.outChannels, m = plane % s.outChannels
            do {
                let c = m / multiplier
                let src = x + (n * s.inChannels + c) * s.height * s.width
                let taps = w + m * s.kernelH * s.kernelW
                let dst = y + (n * s.outChannels + m) * oh * ow
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc: Float = 0
                        for ky in 0..<s.kernelH {
                            let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                            guard iy >= 0 && iy < s.height else { continue }
                            for kx in 0..<s.kernelW {
                                let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                                if ix >= 0 && ix < s.width { acc += src[iy * s.width + ix] * taps[ky * s.kernelW + kx] }
                            }
                        }
                        dst[oy * ow + ox] = acc
                    }
                }
            }
        }
    }

    /// The definition, accumulated in Double: what tests compare `forward` with.
    public static func reference(_ s: Conv2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth, mPerGroup = s.outChannels / s.groups, cPerGroup = s.channelsPerGroup
        for n in 0..<s.batch {
            for m in 0..<s.outChannels {
                let g = m / mPerGroup
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc = Double(bias?[m] ?? 0)
                        for c in 0..<cPerGroup {
                            for ky in 0..<s.kernelH {
                                for kx in 0..<s.kernelW {
                                    let iy = oy * s.strideH - s.padTop + ky * s.dilationH
                                    let ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                                    guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                                    let xv = x[((n * s.inChannels + g * cPerGroup + c) * s.height + iy) * s.width + ix]
                                    let wv = w[((m * cPerGroup + c) * s.kernelH + ky) * s.kernelW + kx]
                                    acc += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[((n * s.outChannels + m) * oh + oy) * ow + ox] = Float(acc)
                    }
                }
            }
        }
    }
}
