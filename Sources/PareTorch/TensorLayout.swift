import PareCore

/// Storage + offset + size + stride → a dense row-major little-endian tensor (spec §5.5). A
/// contiguous, aligned, little-endian view stays a zero-copy slice of its storage; anything else
/// (transposed weights, big-endian files, misaligned records) is copied, within the copy budget.
enum TensorLayout {
    /// PyTorch's own limit on dimensions.
    static let maxRank = 64

    static func rebuild(storage s: TorchStorage, dtype: DType, offset: Int64, size: [Int64], stride: [Int64],
                        budget: CopyBudget) throws -> TorchTensor {
        guard size.count == stride.count else {
            throw PickleFailure("PT-09", "size has \(size.count) dims but stride has \(stride.count)")
        }
        guard let bits = dtype.bits, bits >= 8 else { throw PickleFailure("PT-10", "dtype \(dtype) is not byte-sized") }
        let item = Int64(bits / 8)
        let storageBytes = Int64(s.record.count)
        let elements = storageBytes / item
        guard let numel = Checked.elementCount(size), let nbytes = Checked.multiply(numel, item) else {
            throw PickleFailure("PT-09", "size \(size) overflows")
        }
        let place = "tensor of size \(size) on storage '\(s.key)' (\(elements) elements of \(dtype))"
        if numel == 0 {
            guard offset <= elements else { throw PickleFailure("PT-09", "\(place): offset \(offset) is past the storage") }
            return TorchTensor(dtype: dtype, shape: size, data: TensorData(copying: []), storageKey: s.key,
                               byteRange: offset * item..<offset * item)
        }
        // Size-1 dims never advance, so their stride is irrelevant (and may be anything).
        let strides = zip(size, stride).map { $0 == 1 ? 0 : $1 }
        var last = offset
        for (n, st) in zip(size, strides) {
            guard let span = Checked.multiply(n - 1, st), let l = Checked.add(last, span) else {
                throw PickleFailure("PT-09", "\(place): stride \(stride) overflows")
            }
            last = l
        }
        guard last < elements else {
            throw PickleFailure("PT-09", "\(place): the view reaches element \(last), past the storage's \(elements)")
        }
        let start = Int(offset * item)
        let range = offset * item..<(last + 1) * item
        let base = s.record.bytes.baseAddress.map { Int(bitPattern: $0) + start } ?? 0
        if isRowMajor(size, strides), !s.bigEndian, base % Int(min(item, 8)) == 0 {
            let view = UnsafeRawBufferPointer(rebasing: s.record.bytes[start..<(start + Int(nbytes))])
            return TorchTensor(dtype: dtype, shape: size, data: TensorData(view: view, owner: s.record),
                               storageKey: s.key, byteRange: range)
        }
        try budget.spend(Int(nbytes), for: place)
        let data = TensorData(count: Int(nbytes)) { dst in
            gather(from: s.record.bytes, into: dst, item: Int(item), offset: Int(offset),
                   size: size.map { Int($0) }, stride: strides.map { Int($0) })
            if s.bigEndian { swapBytes(dst, elementSize: dtype == .complex64 || dtype == .complex128 ? Int(item) / 2 : Int(item)) }
        }
        return TorchTensor(dtype: dtype, shape: size, data: data, storageKey: s.key, byteRange: range)
    }

    /// True when the strides are the row-major strides of `size` (size-1 dims excluded).
    static func isRowMajor(_ size: [Int64], _ stride: [Int64]) -> Bool {
        var expected: Int64 = 1
        for (n, st) in zip(size, stride).reversed() where n != 1 {
            if st != expected { return false }
            expected = expected &* n
        }
        return true
    }

    /// Copies the strided view into `dst` in row-major order. Every index was bounds-checked by
    /// the caller (`last < elements`), so plain arithmetic cannot overflow or leave the source.
    static func gather(from src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, item: Int,
                       offset: Int, size: [Int], stride: [Int]) {
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        let rank = size.count
        if rank == 0 {
            d.copyMemory(from: s + offset * item, byteCount: item)
            return
        }
        let innerCount = size[rank - 1], innerStride = stride[rank - 1]
        var index = [Int](repeating: 0, count: rank - 1)
        var base = offset
        var out = 0
        while true {
            if innerStride == 1 {
                (d + out).copyMemory(from: s + base * item, byteCount: innerCount * item)
                out += innerCount * item
            } else {
                var e = base
                for _ in 0..<innerCount {
                    (d + out).copyMemory(from: s + e * item, byteCount: item)
                    out += item
                    e += innerStride
                }
            }
            // Odometer over the outer dims.
            var k = rank - 2
            while k >= 0 {
                index[k] += 1
                base += stride[k]
                if index[k] < size[k] { break }
                base -= stride[k] * size[k]
                index[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }

    /// Reverses the bytes of each `elementSize`-byte element in place (big-endian archives).
    static func swapBytes(_ buf: UnsafeMutableRawBufferPointer, elementSize: Int) {
        guard elementSize > 1 else { return }
        var i = 0
        while i + elementSize <= buf.count {
            var a = i, b = i + elementSize - 1
            while a < b {
                buf.swapAt(a, b)
                a += 1
                b -= 1
            }
            i += elementSize
        }
    }
}
