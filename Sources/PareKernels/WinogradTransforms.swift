/// Winograd's input (Bᵀ·d·B) and output (Aᵀ·m·A) transforms, four lanes at a time.
///
/// Both are separable. One pass combines rows, and there the lanes are neighbouring columns of
/// a contiguous row. The other combines columns within each tile, and there the lanes are four
/// neighbouring tiles: their windows start mSide apart and overlap, so loading each window's
/// first four values and transposing gives four lanes of d0…d3, and the next window's first two
/// give F4's d4 and d5. The scalar form this replaces compiled to one value per instruction with
/// overflow checks in between (16% of a ResNet-18 inference).
extension Winograd {
    typealias Lanes = SIMD4<Float>
    /// Up to six values per lane: F4 uses all six, F2 the first four.
    typealias Six = (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)

    /// Bᵀ·d.
    @inline(__always)
    static func inputCombine(_ tile: Tile, _ d: Six) -> Six {
        let (d0, d1, d2, d3, d4, d5) = d
        switch tile {
        case .f2:
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3, Lanes(), Lanes())
        case .f4:
            let four = Lanes(repeating: 4), two = Lanes(repeating: 2)
            let t0: Lanes = four * d0 - 5 * d2 + d4
            let t1: Lanes = d3 + d4 - four * (d1 + d2)
            let t2: Lanes = four * (d1 - d2) - d3 + d4
            let t3: Lanes = two * (d3 - d1) - d2 + d4
            let t4: Lanes = two * (d1 - d3) - d2 + d4
            let t5: Lanes = four * d1 - 5 * d3 + d5
            return (t0, t1, t2, t3, t4, t5)
        }
    }

    /// Aᵀ·m: mSide values per lane out (F2 leaves the last two zero).
    @inline(__always)
    static func outputCombine(_ tile: Tile, _ m: Six) -> (Lanes, Lanes, Lanes, Lanes) {
        let (m0, m1, m2, m3, m4, m5) = m
        switch tile {
        case .f2:
            return (m0 + m1 + m2, m1 - m2 - m3, Lanes(), Lanes())
        case .f4:
            let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
            let o1: Lanes = d12 + 2 * d34
            let o2: Lanes = s12 + 4 * s34
            let o3: Lanes = d12 + 8 * d34 + m5
            return (m0 + s12 + s34, o1, o2, o3)
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

    /// The first `count` lanes from p, the rest zero, reading nothing past p + count.
    static func load(_ p: UnsafePointer<Float>, count: Int) -> Lanes {
        var v = Lanes()
        for j in 0..<min(count, 4) { v[j] = p[j] }
        return v
    }

    /// Writes the first `count` lanes (all four when count ≥ 4), nothing past p + count.
    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, count: Int = 4) {
        if count >= 4 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
        } else {
            for j in 0..<count { p[j] = v[j] }
        }
    }

    /// Value k of four windows w0…w3 as lanes: column k of their 4×4 transpose.
    @inline(__always)
    static func column(_ k: Int, _ w0: Lanes, _ w1: Lanes, _ w2: Lanes, _ w3: Lanes) -> Lanes {
        Lanes(w0[k], w1[k], w2[k], w3[k])
    }

    /// V for one (image, channel). Per tile row, the a input rows (zero-padded) are combined
    /// down the columns across the whole width (Bᵀ·d), then each combined row is combined within
    /// each tile's window (·B) and written to the a² streams, four tiles per step.
    static func inputTransform(_ s: Conv2DShape, _ tile: Tile, _ x: UnsafePointer<Float>, _ nc: Int,
                               th: Int, tw: Int, total: Int, into v: UnsafeMutablePointer<Float>) {
        let mSide = tile.rawValue, a = mSide + 2
        let n = nc / s.inChannels, ch = nc % s.inChannels
        let plane = x + nc * s.height * s.width
        let stride = s.inChannels * total
        let span = mSide * tw + 2
        // Room for the last step's reads: windows of tiles up to tw + 3, four values each.
        let width = (mSide * (tw + 4) + 4 + 3) / 4 * 4
        let first = max(0, s.padLeft), last = min(span, s.width + s.padLeft)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * a * width) { buffer in
            let rows = buffer.baseAddress!, combined = rows + a * width
            for ty in 0..<th {
                let y0 = ty * mSide - s.padTop
                for i in 0..<a {
                    let dst = rows + i * width, iy = y0 + i
                    dst.update(repeating: 0, count: width)
                    guard iy >= 0 && iy < s.height && first < last else { continue }
                    (dst + first).update(from: plane + iy * s.width + first - s.padLeft, count: last - first)
                }
                var col = 0
                while col < width {
                    let r = UnsafePointer(rows + col)
                    let six = tile == .f4
                    let t = inputCombine(tile, (load(r), load(r + width), load(r + 2 * width), load(r + 3 * width),
                                                six ? load(r + 4 * width) : Lanes(), six ? load(r + 5 * width) : Lanes()))
                    let out = combined + col
                    store(t.0, out); store(t.1, out + width); store(t.2, out + 2 * width); store(t.3, out + 3 * width)
                    if six { store(t.4, out + 4 * width); store(t.5, out + 5 * width) }
                    col += 4
                }
                let tileRow = v + ch * total + (n * th + ty) * tw
                for i in 0..<a {
                    let row = UnsafePointer(combined + i * width)
                    var tx = 0
                    while tx < tw {
                        let w = row + mSide * tx
                        let w0 = load(w), w1 = load(w + mSide), w2 = load(w + 2 * mSide), w3 = load(w + 3 * mSide)
                        let d: Six
                        if tile == .f4 {
                            let w4 = load(w + 4 * mSide)
                            d = (column(0, w0, w1, w2, w3), column(1, w0, w1, w2, w3), column(2, w0, w1, w2, w3),
                                 column(3, w0, w1, w2, w3), column(0, w1, w2, w3, w4), column(1, w1, w2, w3, w4))
                        } else {
                            d = (column(0, w0, w1, w2, w3), column(1, w0, w1, w2, w3), column(2, w0, w1, w2, w3),
                                 column(3, w0, w1, w2, w3), Lanes(), Lanes())
                        }
                        let t = inputCombine(tile, d)
                        let out = tileRow + i * a * stride + tx, count = min(4, tw - tx)
                        store(t.0, out, count: count); store(t.1, out + stride, count: count)
                        store(t.2, out + 2 * stride, count: count); store(t.3, out + 3 * stride, count: count)
                        if a == 6 { store(t.4, out + 4 * stride, count: count); store(t.5, out + 5 * stride, count: count) }
                        tx += 4
                    }
                }
            }
        }
    }

    /// Y for one (image, output channel). Per tile row and four tiles at a time: the a² product
    /// streams are folded down each tile column (Aᵀ·m), then along each of the mSide rows (·A),
    /// biased and interleaved into output rows, which take the residual and clamp on their way out.
    static func outputTransform(_ s: Conv2DShape, _ tile: Tile, _ products: UnsafePointer<Float>, _ nm: Int,
                                th: Int, tw: Int, total: Int, bias: UnsafePointer<Float>?, clamp: Clamp,
                                residual: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let mSide = tile.rawValue, a = mSide + 2
        let n = nm / s.outChannels, o = nm % s.outChannels
        let oh = s.outHeight, ow = s.outWidth
        let plane = y + nm * oh * ow
        let stride = s.outChannels * total
        let b = Lanes(repeating: bias?[o] ?? 0)
        let shortcut = residual.map { $0 + nm * oh * ow }
        let lineWidth = mSide * ((tw + 3) / 4 * 4)
        // folded: mSide × a lanes of one group (Aᵀ·m); lines: mSide output rows.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mSide * a * 4 + mSide * lineWidth) { buffer in
            let folded = buffer.baseAddress!, lines = folded + mSide * a * 4
            for ty in 0..<th {
                let q = products + o * total + (n * th + ty) * tw
                var tx = 0
                while tx < tw {
                    // A partial group's extra lanes read the next tile row's products, folded but
                    // never written out; past the stream's last tile they are not read at all
                    // (that is another output channel's stream, which another thread may be writing).
                    let inStream = min(4, total - ((n * th + ty) * tw + tx))
                    @inline(__always) func get(_ p: UnsafePointer<Float>) -> Lanes { inStream < 4 ? load(p, count: inStream) : load(p) }
                    for j in 0..<a {
                        let c = q + j * stride + tx, step = a * stride
                        let six = a == 6
                        let f = outputCombine(tile, (get(c), get(c + step), get(c + 2 * step), get(c + 3 * step),
                                                     six ? get(c + 4 * step) : Lanes(), six ? get(c + 5 * step) : Lanes()))
                        store(f.0, folded + j * 4); store(f.1, folded + (a + j) * 4)
                        if mSide == 4 { store(f.2, folded + (2 * a + j) * 4); store(f.3, folded + (3 * a + j) * 4) }
                    }
                    for i in 0..<mSide {
                        let r = UnsafePointer(folded + i * a * 4)
                        let six = a == 6
                        let f = outputCombine(tile, (load(r), load(r + 4), load(r + 8), load(r + 12),
                                                     six ? load(r + 16) : Lanes(), six ? load(r + 20) : Lanes()))
                        let line = lines + i * lineWidth + mSide * tx
                        let o0 = f.0 + b, o1 = f.1 + b
                        if tile == .f4 {
                            let o2 = f.2 + b, o3 = f.3 + b
                            store(column(0, o0, o1, o2, o3), line); store(column(1, o0, o1, o2, o3), line + 4)
                            store(column(2, o0, o1, o2, o3), line + 8); store(column(3, o0, o1, o2, o3), line + 12)
                        } else {
                            store(Lanes(o0[0], o1[0], o0[1], o1[1]), line); store(Lanes(o0[2], o1[2], o0[3], o1[3]), line + 4)
                        }
                    }
                    tx += 4
                }
                for i in 0..<mSide where ty * mSide + i < oh {
                    let offset = (ty * mSide + i) * ow
                    Epilogue.row(plane + offset, from: lines + i * lineWidth, count: ow, add: 0,
                                 residual: shortcut.map { $0 + offset }, clamp)
                }
            }
        }
    }
}
