import PareCore

/// One storage record of the archive (`<prefix>/data/<key>`), loaded once per key.
final class TorchStorage {
    let key: String
    let storageClass: TorchStorageClass
    let location: String
    /// Elements (typed storages) or bytes (untyped), as the persistent id declared.
    let numel: Int64
    /// The record's bytes, exactly numel × itemsize of them (PT-06), in the file's byte order.
    let record: TensorData
    let bigEndian: Bool

    init(key: String, storageClass: TorchStorageClass, location: String, numel: Int64, record: TensorData, bigEndian: Bool) {
        self.key = key
        self.storageClass = storageClass
        self.location = location
        self.numel = numel
        self.record = record
        self.bigEndian = bigEndian
    }
}

/// A tensor rebuilt from a storage: dense, row-major, little-endian bytes (a view of the
/// storage when its layout allows, a copy otherwise) and where it sits in its storage.
final class TorchTensor {
    let dtype: DType
    let shape: [Int64]
    let data: TensorData
    let storageKey: String
    /// The bytes of the storage the view spans, for alias detection (PT-14).
    let byteRange: Range<Int64>
    let requiresGrad: Bool
    /// Rebuilt through `_rebuild_parameter` or `Parameter(...)`.
    let isParameter: Bool

    init(dtype: DType, shape: [Int64], data: TensorData, storageKey: String, byteRange: Range<Int64>,
         requiresGrad: Bool = false, isParameter: Bool = false) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.storageKey = storageKey
        self.byteRange = byteRange
        self.requiresGrad = requiresGrad
        self.isParameter = isParameter
    }

    /// The same tensor wrapped as a parameter (a new object, as in Python; the bytes are shared).
    func asParameter(requiresGrad: Bool) -> TorchTensor {
        TorchTensor(dtype: dtype, shape: shape, data: data, storageKey: storageKey, byteRange: byteRange,
                    requiresGrad: requiresGrad, isParameter: true)
    }
}

/// `_rebuild_tensor*` calls: argument checks and the call into TensorLayout.
extension PickleMachine {
    func rebuildTensor(_ g: PickleGlobal, _ args: [PickleValue]) throws -> PickleValue {
        let arity: ClosedRange<Int> = switch g.kind {
        case .rebuildTensorV2: 6...7
        case .rebuildTensorV3: 7...8
        default: 4...4
        }
        guard arity.contains(args.count) else { throw self.arity(g, args) }
        if case .none = args[0], options.lenientPickle { return .none }  // its storage was skipped
        guard case .storage(let storage) = args[0] else {
            throw PickleFailure("PK-05", "\(g.name) needs a storage, got a \(args[0].kindName)")
        }
        let offset = try layoutInt(args[1], "storage offset")
        let size = try layoutTuple(args[2], "size")
        let stride = try layoutTuple(args[3], "stride")
        let dtype: DType
        if g.kind == .rebuildTensorV3 {
            guard case .global(let d) = args[6], case .dtype(let name, let element) = d.kind else {
                throw PickleFailure("PK-05", "_rebuild_tensor_v3 needs a dtype, got a \(args[6].kindName)")
            }
            guard let element else { return try unsupported("dtype torch.\(name)") }
            dtype = element
        } else {
            guard case .typed(let d) = storage.storageClass else {
                throw PickleFailure("PK-05", "an untyped storage needs _rebuild_tensor_v3 to give its dtype")
            }
            dtype = d
        }
        let metadataIndex = g.kind == .rebuildTensorV3 ? 7 : 6
        if g.kind != .rebuildTensor, args.count > metadataIndex, !isEmptyContainer(args[metadataIndex]) {
            warn("PT-10", "tensor metadata (\(args[metadataIndex].kindName)) is ignored")
        }
        let tensor = try TensorLayout.rebuild(storage: storage, dtype: dtype, offset: offset, size: size,
                                              stride: stride, budget: copyBudget)
        if g.kind != .rebuildTensor, args[4].isTrue {
            return .tensor(TorchTensor(dtype: tensor.dtype, shape: tensor.shape, data: tensor.data,
                                       storageKey: tensor.storageKey, byteRange: tensor.byteRange, requiresGrad: true))
        }
        return .tensor(tensor)
    }

    /// A size, stride or offset: a non-negative 64-bit int (PK-09 wider, PT-09 otherwise).
    func layoutInt(_ v: PickleValue, _ what: String) throws -> Int64 {
        switch v {
        case .int(let i) where i >= 0: return i
        case .bigInt: throw PickleFailure("PK-09", "\(what) is an integer wider than 64 bits")
        default: throw PickleFailure("PT-09", "\(what) must be a non-negative int, got \(v.kindName)")
        }
    }

    func layoutTuple(_ v: PickleValue, _ what: String) throws -> [Int64] {
        let items: [PickleValue]
        switch v {
        case .tuple(let t): items = t.items
        case .list(let l): items = l.items
        default: throw PickleFailure("PT-09", "\(what) must be a tuple of ints, got \(v.kindName)")
        }
        guard items.count <= TensorLayout.maxRank else {
            throw PickleFailure("PT-09", "\(what) has \(items.count) dims, more than \(TensorLayout.maxRank)")
        }
        return try items.map { try layoutInt($0, what) }
    }
}
