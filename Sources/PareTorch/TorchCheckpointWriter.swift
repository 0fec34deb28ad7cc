import PareCore

/// Writes a WeightSet as a PyTorch zip checkpoint that `torch.load(path, weights_only=True)`
/// loads into an equal state_dict (spec §5.11): `archive/data.pkl` is a protocol-2 OrderedDict of
/// `_rebuild_tensor_v2` calls (`_rebuild_tensor_v3` for dtypes without a legacy storage class),
/// `archive/data/<i>` holds each storage stored and 64-byte aligned, and the file appears
/// atomically. Non-tensor values (`otherValues`) have no faithful form and are not written.
public enum TorchCheckpointWriter {
    public static func write(_ set: WeightSet, to path: String) throws {
        try write(set, to: path, forceZip64: false)
    }

    static func write(_ set: WeightSet, to path: String, forceZip64: Bool) throws {
        let plan = try StoragePlan(set, path: path)
        let zip = try ZipStoredWriter(destination: path, forceZip64: forceZip64)
        do {
            let pickle = encode(set, plan)
            try pickle.withUnsafeBytes { try zip.add("archive/data.pkl", $0) }
            try add(zip, "archive/.format_version", "1")
            try add(zip, "archive/.storage_alignment", "64")
            try add(zip, "archive/byteorder", "little")
            for (key, data) in plan.storages.enumerated() { try zip.add("archive/data/\(key)", data) }
            try add(zip, "archive/version", "3\n")
            try zip.finish()
        } catch {
            zip.abandon()
            throw error
        }
    }

    private static func add(_ zip: ZipStoredWriter, _ name: String, _ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { try zip.add(name, $0) }
    }

    /// The state_dict pickle: OrderedDict(), then name → tensor pairs in SETITEMS batches of
    /// at most 1,000, as PyTorch's pickler batches them.
    static func encode(_ set: WeightSet, _ plan: StoragePlan) -> [UInt8] {
        var e = PickleEncoder()
        e.global("collections", "OrderedDict")
        e.tuple(0) { _ in }
        e.op(.reduce)
        e.put()
        for batchStart in stride(from: 0, to: set.tensors.count, by: 1_000) {
            let batch = set.tensors[batchStart..<min(batchStart + 1_000, set.tensors.count)]
            e.mark()
            for (i, t) in zip(batch.indices, batch) {
                e.string(t.name)
                tensor(&e, t, key: plan.keyOf[i], dtypeName: TorchDTypes.canonicalName(t.dtype)!)
            }
            e.op(.setitems)
        }
        e.op(.stop)
        return e.bytes
    }

    /// `_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`, or v3 with the dtype.
    static func tensor(_ e: inout PickleEncoder, _ t: WeightTensor, key: Int, dtypeName: String) {
        let storageClass = TorchDTypes.storageClassName(t.dtype)
        e.global("torch._utils", storageClass == nil ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2")
        e.tuple(storageClass == nil ? 7 : 6) { e in
            e.tuple(5) { e in
                e.string("storage")
                if let storageClass { e.global("torch", storageClass) } else { e.global("torch.storage", "UntypedStorage") }
                e.string(String(key))
                e.string("cpu")
                e.int(storageClass == nil ? Int64(t.data.count) : t.elementCount)
            }
            e.op(.binpersid)
            e.int(0)
            e.ints(t.shape)
            e.ints(rowMajorStrides(t.shape))
            e.op(.newfalse)
            e.global("collections", "OrderedDict")
            e.tuple(0) { _ in }
            e.op(.reduce)
            if storageClass == nil { e.global("torch", dtypeName) }
        }
        e.op(.reduce)
    }

    /// PyTorch's contiguous strides: zero-sized dims count as 1, so strides stay well defined.
    static func rowMajorStrides(_ shape: [Int64]) -> [Int64] {
        var strides = [Int64](repeating: 1, count: shape.count)
        var acc: Int64 = 1
        for i in shape.indices.reversed() {
            strides[i] = acc
            acc = acc &* max(shape[i], 1)
        }
        return strides
    }
}

/// Which storage record each tensor goes to. One record per tensor, except that tensors whose
/// data is the very same bytes (tied weights read from one storage) share a key, so PyTorch
/// restores the sharing.
struct StoragePlan {
    var storages: [TensorData] = []
    var keyOf: [Int] = []

    init(_ set: WeightSet, path: String) throws {
        var seenNames = Set<String>()
        var byBytes: [String: Int] = [:]
        for t in set.tensors {
            guard seenNames.insert(t.name).inserted else {
                throw PareError(.invalid, file: path, "two tensors are named '\(t.name)'")
            }
            guard TorchDTypes.canonicalName(t.dtype) != nil else {
                throw PareError(.unsupported, file: path, place: "tensor '\(t.name)'",
                                "PyTorch has no \(t.dtype) dtype (rule PT-10)", hint: "cast it to a supported type first")
            }
            guard let n = Checked.elementCount(t.shape), let expected = t.dtype.byteCount(elements: n),
                  expected == Int64(t.data.count) else {
                throw PareError(.invalid, file: path, place: "tensor '\(t.name)'",
                                "holds \(t.data.count) bytes, which does not match shape \(t.shape) of \(t.dtype)")
            }
            let identity = "\(t.dtype.rawValue):\(Int(bitPattern: t.data.bytes.baseAddress)):\(t.data.count)"
            if t.data.count > 0, let key = byBytes[identity] {
                keyOf.append(key)
                continue
            }
            byBytes[identity] = storages.count
            keyOf.append(storages.count)
            storages.append(t.data)
        }
    }
}
