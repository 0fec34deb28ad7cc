import PareCore

/// Turns `.npy` data into Pare's layout — little-endian, row-major — when the file stores it
/// otherwise (NP-09 big-endian, NP-10 Fortran order). Sizes were checked by `NpyLayout.parse`.
enum NpyConvert {
    /// The tensor bytes for `raw` (exactly `layout.dataBytes` bytes): a view when they can be
    /// used as they are and sit at an address aligned for their element type, else an owned copy,
    /// converted when needed.
    static func tensorData(_ raw: UnsafeRawBufferPointer, _ layout: NpyLayout, owner: AnyObject?) -> TensorData {
        if layout.isDirect {
            if let owner, let base = raw.baseAddress, Int(bitPattern: base) % layout.element.swapUnit == 0 {
                return TensorData(view: raw, owner: owner)
            }
            return TensorData(copying: raw)
        }
        return TensorData(count: raw.count) { dst in
            if layout.needsTranspose {
                fortranToRowMajor(raw, dst, shape: layout.header.shape.map { Int($0) }, itemSize: layout.element.itemSize)
            } else {
                dst.copyMemory(from: raw)
            }
            if layout.element.bigEndian { swapInPlace(dst, unit: layout.element.swapUnit) }
        }
    }

    /// Reverses the bytes of every `unit`-byte value. `buf` is 64-byte aligned (Pare's own allocation).
    static func swapInPlace(_ buf: UnsafeMutableRawBufferPointer, unit: Int) {
        let n = buf.count / unit
        switch unit {
        case 2: for i in 0..<n { buf.storeBytes(of: buf.load(fromByteOffset: 2 * i, as: UInt16.self).byteSwapped, toByteOffset: 2 * i, as: UInt16.self) }
        case 4: for i in 0..<n { buf.storeBytes(of: buf.load(fromByteOffset: 4 * i, as: UInt32.self).byteSwapped, toByteOffset: 4 * i, as: UInt32.self) }
        case 8: for i in 0..<n { buf.storeBytes(of: buf.load(fromByteOffset: 8 * i, as: UInt64.self).byteSwapped, toByteOffset: 8 * i, as: UInt64.self) }
        default: break  // one-byte values have no byte order
        }
    }

    /// Copies column-major `src` into row-major `dst`. Walks the output in order; the input offset
    /// follows incrementally, so the cost is one copy per element and no index arithmetic per dim.
    static func fortranToRowMajor(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawBufferPointer,
                                  shape: [Int], itemSize: Int) {
        let rank = shape.count
        guard rank > 0, dst.count > 0 else { return }
        // Column-major strides in bytes: dim 0 varies fastest in the file.
        var stride = [Int](repeating: 0, count: rank)
        var acc = itemSize
        for d in 0..<rank { stride[d] = acc; acc *= shape[d] }
        let inner = shape[rank - 1], innerStride = stride[rank - 1]
        let rows = dst.count / (inner * itemSize)
        var index = [Int](repeating: 0, count: rank)
        var from = 0, to = 0
        for _ in 0..<rows {
            var f = from
            for _ in 0..<inner {
                copyItem(src, f, dst, to, itemSize)
                f += innerStride
                to += itemSize
            }
            // Advance the row-major index over the outer dims, last outer dim fastest.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                from += stride[d]
                if index[d] < shape[d] { break }
                from -= stride[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    @inline(__always)
    private static func copyItem(_ src: UnsafeRawBufferPointer, _ from: Int, _ dst: UnsafeMutableRawBufferPointer, _ to: Int, _ size: Int) {
        switch size {
        case 1: dst[to] = src[from]
        case 2: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: from, as: UInt16.self), toByteOffset: to, as: UInt16.self)
        case 4: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: from, as: UInt32.self), toByteOffset: to, as: UInt32.self)
        case 8: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: from, as: UInt64.self), toByteOffset: to, as: UInt64.self)
        default:
            UnsafeMutableRawBufferPointer(rebasing: dst[to..<(to + size)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[from..<(from + size)]))
        }
    }
}
