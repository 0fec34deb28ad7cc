import PareCore
import PareIR

/// Keeps selected positions of a tensor along one or more axes, on its dense bytes: works for
/// every dtype of at least one byte per element, keeps the name and dtype, and yields raw data.
enum TensorSlicing {
    static func slice(_ tensor: Tensor, keep: [Int: [Int]], file: String?) throws -> Tensor {
        let name = tensor.name ?? ""
        if isShapeOnly(tensor) {
            // A counting copy (FlopsTarget): new dims, still no bytes.
            var out = tensor
            for (axis, kept) in keep where axis < out.dims.count { out.dims[axis] = Int64(kept.count) }
            return out
        }
        guard let dtype = tensor.dtype, let bits = dtype.bits, bits >= 8, dtype != .string else {
            throw PareError(.unsupported, file: file, place: "tensor '\(name)'",
                            "pruning \(tensor.dtype.map { "\($0)" } ?? "this") tensors is not supported",
                            hint: "convert the weights to float32 first (pare convert --dtype f32)")
        }
        guard let bytes = tensor.denseBytes() else {
            throw PareError(.unsupported, file: file, place: "tensor '\(name)'",
                            "the tensor's data is not inline (external data or a malformed field)",
                            hint: "run `pare convert MODEL OUT.onnx --inline` first")
        }
        let dims = tensor.dims.map(Int.init)
        var newDims = dims
        var selections: [[Int]] = dims.map { Array(0..<$0) }
        for (axis, kept) in keep {
            guard axis < dims.count, kept.allSatisfy({ $0 >= 0 && $0 < dims[axis] }) else {
                throw PareError(.invalid, file: file, place: "tensor '\(name)'", "internal error: slice positions out of range on axis \(axis)")
            }
            selections[axis] = kept
            newDims[axis] = kept.count
        }
        let element = bits / 8
        let count = newDims.reduce(1, *)
        var strides = [Int](repeating: 1, count: dims.count)
        for a in stride(from: dims.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * dims[a + 1] }
        let data = TensorData(count: count * element) { out in
            guard count > 0, let dst = out.baseAddress, let src = bytes.bytes.baseAddress else { return }
            // Walk the output positions in order (an odometer over the kept index lists); the
            // innermost axis copies runs of consecutive kept positions at once.
            let last = dims.count - 1
            var counter = [Int](repeating: 0, count: dims.count)
            var written = 0
            let inner = selections[last]
            while written < count * element {
                var base = 0
                for a in 0..<last { base += selections[a][counter[a]] * strides[a] }
                var k = 0
                while k < inner.count {
                    var run = 1
                    while k + run < inner.count && inner[k + run] == inner[k] + run { run += 1 }
                    (dst + written).copyMemory(from: src + (base + inner[k]) * element, byteCount: run * element)
                    written += run * element
                    k += run
                }
                var a = last - 1
                while a >= 0 {
                    counter[a] += 1
                    if counter[a] < selections[a].count { break }
                    counter[a] = 0
                    a -= 1
                }
                if a < 0 { break }
            }
        }
        var out = Tensor(name: name, type: dtype, dims: newDims.map(Int64.init), raw: data)
        out.docString = tensor.docString
        out.metadata = tensor.metadata
        return out
    }

    /// A tensor that carries dims but no values at all (made by `ShapesOnly` for MAC counting).
    static func isShapeOnly(_ t: Tensor) -> Bool {
        !t.isExternal && t.rawData == nil && t.floatData.isEmpty && t.int32Data.isEmpty && t.int64Data.isEmpty
            && t.doubleData.isEmpty && t.uint64Data.isEmpty && t.stringData.isEmpty && (t.elementCount ?? 0) > 0
    }

    /// The same tensor with integer entry `index` replaced (shape constants, split sizes, slice bounds).
    static func settingEntry(_ tensor: Tensor, index: Int, to value: Int64, file: String?) throws -> Tensor {
        guard var values = tensor.int64Values(), index < values.count, let dtype = tensor.dtype else {
            throw PareError(.invalid, file: file, place: "tensor '\(tensor.name ?? "")'", "internal error: not a small integer tensor")
        }
        values[index] = value
        let raw: TensorData
        switch dtype {
        case .int64: raw = values.withUnsafeBytes { TensorData(copying: $0) }
        case .int32: raw = values.map { Int32(clamping: $0) }.withUnsafeBytes { TensorData(copying: $0) }
        default:
            throw PareError(.unsupported, file: file, place: "tensor '\(tensor.name ?? "")'", "shape constants of type \(dtype) are not supported")
        }
        var out = Tensor(name: tensor.name ?? "", type: dtype, dims: tensor.dims, raw: raw)
        out.docString = tensor.docString
        out.metadata = tensor.metadata
        return out
    }
}
