import PareCore

/// Writes `.npy` files byte-identical to what `numpy.save` writes for the same array
/// (formats.md §6.1): version 1.0 unless the header needs more, 64-byte data alignment.
public enum NpyWriter {
    /// Writes a single-tensor set (the tensor's name is not stored: a `.npy` holds one bare array).
    public static func write(_ set: WeightSet, to path: String) throws {
        guard set.tensors.count == 1 else {
            throw PareError(.unsupported, file: path, "a .npy file holds exactly one array; this set has \(set.tensors.count)",
                            hint: "write a .npz archive instead")
        }
        try write(set.tensors[0], to: path)
    }

    /// Writes one tensor atomically, streaming its bytes from wherever they are.
    public static func write(_ tensor: WeightTensor, to path: String) throws {
        let header = try header(for: tensor, path: path)
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(header)
        try writer.write(tensor.data.bytes)
        try writer.commit()
    }

    /// Magic, version, length and padded header text for `tensor`, after checking that NumPy
    /// has its type and that its byte count matches its shape.
    public static func header(for tensor: WeightTensor, path: String) throws -> [UInt8] {
        let place = "tensor \"\(tensor.name)\""
        guard let descr = NpyDescr.descr(for: tensor.dtype) else {
            throw PareError(.unsupported, file: path, place: place, "NumPy has no \(tensor.dtype.name) type",
                            hint: "cast the tensor to a type NumPy has (bfloat16 → float32, for example)")
        }
        guard let count = Checked.elementCount(tensor.shape),
              let bytes = tensor.dtype.byteCount(elements: count), bytes == Int64(tensor.data.count) else {
            throw PareError(.invalid, file: path, place: place,
                            "holds \(tensor.data.count) bytes, which does not match \(tensor.dtype.name) \(tensor.shape)")
        }
        return wrap(dictionary(descr: descr, shape: tensor.shape))
    }

    /// The header dictionary as NumPy formats it: keys sorted, Python reprs, a trailing ", ", and
    /// room for the first dim to grow to 21 digits (NumPy leaves it so headers can be rewritten in
    /// place when arrays are appended to).
    static func dictionary(descr: String, shape: [Int64]) -> String {
        let dims = shape.map(String.init)
        let shapeText = shape.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = dims.first { text += String(repeating: " ", count: max(0, 21 - first.count)) }
        return text
    }

    /// Prefix + text + padding + newline, so that the data starts on a 64-byte boundary. As in
    /// NumPy, the padding is 1 … 64 spaces, never 0.
    static func wrap(_ text: String) -> [UInt8] {
        let body = Array(text.utf8)
        for (major, lengthBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let prefix = 8 + lengthBytes
            let padding = 64 - (prefix + body.count + 1) % 64
            let h = body.count + padding + 1
            guard h < 1 << (8 * lengthBytes) else { continue }
            var out = NpyLayout.magic + [major, 0]  // descr and shape are ASCII: never 3.0
            for i in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: h >> (8 * i))) }
            return out + body + [UInt8](repeating: 0x20, count: padding) + [0x0A]
        }
        return []  // unreachable: 64 dims of 21 digits fit a version 1.0 header many times over
    }
}
