import PareCore
import PareIR

/// Sparse tensor rules ONNX-S01..S03, as onnx's `check_sparse_tensor` applies them.
extension CheckContext {
    mutating func checkSparseTensor(_ s: SparseTensor, at place: String) {
        guard let values = s.values else {
            report("ONNX-S01", .error, at: place, "the sparse tensor has no values", hint: "set the values tensor")
            return
        }
        checkTensor(values, at: "\(place) → values")
        guard values.dims.count == 1 else {
            report("ONNX-S01", .error, at: "\(place) → values", "sparse values must have rank 1, not \(values.dims.count)",
                   hint: "store the non-zero values as a 1-D tensor [NNZ]")
            return
        }
        let nnz = values.dims[0]
        if s.dims.isEmpty {
            report("ONNX-S02", .error, at: place, "the sparse tensor's dense shape has rank 0", hint: "set dims to the dense shape")
            return
        }
        if s.dims.contains(where: { $0 <= 0 }) {
            report("ONNX-S02", .error, at: place, "dense dims \(s.dims) are not all positive", hint: "every dense dim must be > 0")
            return
        }
        guard let indices = s.indices else {
            if nnz != 0 {
                report("ONNX-S03", .error, at: place, "the sparse tensor has \(nnz) values but no indices", hint: "add the indices tensor")
            }
            return
        }
        let iPlace = "\(place) → indices"
        checkTensor(indices, at: iPlace)
        guard indices.dataType == DType.int64.rawValue else {
            report("ONNX-S03", .error, at: iPlace, "sparse indices must be INT64", hint: "store the indices as INT64")
            return
        }
        let rank = Int64(s.dims.count)
        switch indices.dims.count {
        case 1:
            guard indices.dims[0] == nnz else {
                report("ONNX-S03", .error, at: iPlace, "indices hold \(indices.dims[0]) positions but there are \(nnz) values",
                       hint: "one linear index per value")
                return
            }
        case 2:
            guard indices.dims[0] == nnz else {
                report("ONNX-S03", .error, at: iPlace, "indices' first dim \(indices.dims[0]) differs from the \(nnz) values",
                       hint: "indices have shape [NNZ, rank]")
                return
            }
            guard indices.dims[1] == rank else {
                report("ONNX-S03", .error, at: iPlace, "indices' second dim \(indices.dims[1]) differs from the dense rank \(rank)",
                       hint: "indices have shape [NNZ, rank]")
                return
            }
        default:
            report("ONNX-S03", .error, at: iPlace, "sparse indices must have rank 1 or 2, not \(indices.dims.count)",
                   hint: "use linear positions [NNZ] or coordinates [NNZ, rank]")
            return
        }
        guard let data = indexValues(indices, at: iPlace) else { return }
        checkIndexOrder(data, dense: s.dims, nnz: Int(clamping: nnz), coordinates: indices.dims.count == 2, at: iPlace)
    }

    /// The INT64 index values the way onnx's `ParseData` reads them: int64_data must hold exactly
    /// the element count, raw_data at least that many bytes; external indices cannot be parsed.
    private mutating func indexValues(_ t: Tensor, at place: String) -> [Int64]? {
        guard let n = t.elementCount else { return nil }  // T04 already reported
        if t.dataLocation == 1 {
            report("ONNX-S03", .error, at: place, "sparse indices stored as external data cannot be validated",
                   hint: "store sparse indices inline; onnx's checker cannot read them either")
            return nil
        }
        if let raw = t.rawData {
            guard Int64(raw.count) / 8 >= n else { return nil }  // T07 already reported
            return (0..<Int(n)).map { i in
                var v: UInt64 = 0
                for b in 0..<8 { v |= UInt64(raw.bytes[i * 8 + b]) << (8 * UInt64(b)) }
                return Int64(bitPattern: v)
            }
        }
        guard Int64(t.int64Data.count) == n else {
            if !t.int64Data.isEmpty {
                report("ONNX-S03", .error, at: place, "int64_data has \(t.int64Data.count) entries for \(n) indices",
                       hint: "store exactly one entry per index")
            }
            return nil
        }
        return t.int64Data
    }

    /// Every position lies inside the dense shape and positions strictly increase (linear
    /// positions, or coordinates in lexicographic order).
    private mutating func checkIndexOrder(_ data: [Int64], dense: [Int64], nnz: Int, coordinates: Bool, at place: String) {
        let rank = dense.count
        let denseSize = Checked.elementCount(dense)
        var previous: Int64 = -1
        for i in 0..<nnz {
            var linear: Int64 = 0
            if coordinates {
                for j in 0..<rank {
                    let v = data[i * rank + j]
                    if v < 0 || v >= dense[j] {
                        report("ONNX-S03", .error, at: place, "index [\(i), \(j)] = \(v) is outside dim \(j) of size \(dense[j])",
                               hint: "coordinates must lie inside the dense shape")
                        return
                    }
                    linear = linear &* dense[j] &+ v
                }
            } else {
                linear = data[i]
                if linear < 0 || (denseSize.map { linear >= $0 } ?? false) {
                    report("ONNX-S03", .error, at: place, "index \(i) = \(linear) is outside [0, \(denseSize.map { String($0 - 1) } ?? "?")]",
                           hint: "linear positions must lie inside the dense tensor")
                    return
                }
            }
            if linear <= previous {
                report("ONNX-S03", .error, at: place, "index \(i) is not in strictly increasing order",
                       hint: "sort the non-zero positions and remove duplicates")
                return
            }
            previous = linear
        }
    }
}
