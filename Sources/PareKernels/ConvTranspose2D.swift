/// Geometry of a 2-D transposed convolution over NCHW, weights [C, M/groups, kH, kW].
public struct ConvTranspose2DShape: Sendable, Equatable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernelH: Int, kernelW: Int
    public var strideH = 1, strideW = 1, dilationH = 1, dilationW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var outputPadH = 0, outputPadW = 0
    public var groups = 1

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
    }

    public var outHeight: Int { strideH * (height - 1) + outputPadH + (kernelH - 1) * dilationH + 1 - padTop - padBottom }
    public var outWidth: Int { strideW * (width - 1) + outputPadW + (kernelW - 1) * dilationW + 1 - padLeft - padRight }
}

/// y = convᵀ(x, w) + b: per image and group one GEMM (Wᵀ·X gives every tap's contribution) and a
/// scatter-add of those columns into the output (col2im). `reference` is the definition in Double.
public enum ConvTranspose2D {
    public static func forward(_ s: ConvTranspose2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth, plane = s.height * s.width
        let cPerGroup = s.inChannels / s.groups, mPerGroup = s.outChannels / s.groups
        let rows = mPerGroup * s.kernelH * s.kernelW
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: max(rows * plane, 1))
        defer { columns.deallocate() }
        y.update(repeating: 0, count: s.batch * s.outChannels * oh * ow)
        for n in 0..<s.batch {
            for g in 0..<s.groups {
                // columns[(m,ky,kx), (iy,ix)] = Σ_c w[c, m, ky, kx] · x[c, iy, ix]
                Gemm.sgemm(transA: true, m: rows, n: plane, k: cPerGroup, a: w + g * cPerGroup * rows, lda: rows,
                           b: x + (n * s.inChannels + g * cPerGroup) * plane, ldb: plane, c: columns, ldc: plane)
                for m in 0..<mPerGroup {
                    let dst = y + (n * s.outChannels + g * mPerGroup + m) * oh * ow
                    for ky in 0..<s.kernelH {
                        for kx in 0..<s.kernelW {
                            let src = columns + ((m * s.kernelH + ky) * s.kernelW + kx) * plane
                            for iy in 0..<s.height {
                                let oy = iy * s.strideH - s.padTop + ky * s.dilationH
                                guard oy >= 0 && oy < oh else { continue }
                                for ix in 0..<s.width {
                                    let ox = ix * s.strideW - s.padLeft + kx * s.dilationW
                                    if ox >= 0 && ox < ow { dst[oy * ow + ox] += src[iy * s.width + ix] }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for n in 0..<s.batch {
                for m in 0..<s.outChannels {
                    let p = y + (n * s.outChannels + m) * oh * ow
                    for i in 0..<oh * ow { p[i] += bias[m] }
                }
            }
        }
    }

    public static func reference(_ s: ConvTranspose2DShape, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>) {
        let oh = s.outHeight, ow = s.outWidth
        let cPerGroup = s.inChannels / s.groups, mPerGroup = s.outChannels / s.groups
        var acc = [Double](repeating: 0, count: s.batch * s.outChannels * oh * ow)
        for n in 0..<s.batch {
            for c in 0..<s.inChannels {
                let g = c / cPerGroup
                for iy in 0..<s.height {
                    for ix in 0..<s.width {
                        let xv = Double(x[((n * s.inChannels + c) * s.height + iy) * s.width + ix])
                        for m in 0..<mPerGroup {
                            for ky in 0..<s.kernelH {
                                for kx in 0..<s.kernelW {
                                    let oy = iy * s.strideH - s.padTop + ky * s.dilationH
                                    let ox = ix * s.strideW - s.padLeft + kx * s.dilationW
                                    guard oy >= 0 && oy < oh && ox >= 0 && ox < ow else { continue }
                                    let wv = Double(w[((c * mPerGroup + m) * s.kernelH + ky) * s.kernelW + kx])
                                    acc[((n * s.outChannels + g * mPerGroup + m) * oh + oy) * ow + ox] += xv * wv
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in acc.indices { y[i] = Float(acc[i] + Double(bias?[(i / (oh * ow)) % s.outChannels] ?? 0)) }
    }
}
