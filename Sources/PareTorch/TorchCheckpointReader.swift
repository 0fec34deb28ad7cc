import PareCore

/// Reads PyTorch zip checkpoints (`torch.save`, PyTorch ≥ 1.6) without executing anything: the
/// ZIP structure is validated by Pare's own directory reader, the pickle runs on the symbolic
/// machine, and storages are viewed in place in the memory-mapped file whenever their layout
/// allows.
public enum TorchCheckpointReader {
    /// The checkpoint's tensors under flattened dotted names, plus its non-tensor values.
    public static func read(path: String) throws -> WeightSet {
        try load(path: path).weights
    }

    public static func load(path: String, options: TorchReadOptions = TorchReadOptions()) throws -> TorchCheckpoint {
        let file = try MappedFile(path: path)
        return try load(bytes: file.bytes, owner: file, path: path, options: options)
    }

    /// Reads a checkpoint held in memory; `owner` keeps `bytes` alive for the tensor views.
    public static func load(bytes: UnsafeRawBufferPointer, owner: AnyObject, path: String,
                            options: TorchReadOptions = TorchReadOptions()) throws -> TorchCheckpoint {
        try refuseOtherFormats(bytes, path: path)
        let directory = try ZipDirectory.read(bytes, path: path)
        let records = ZipRecords(bytes: bytes, owner: owner, path: path)
        var archive = try TorchArchive(directory: directory, records: records, options: options)
        let code = try archive.pickle()
        let budget = CopyBudget(2 * bytes.count + options.copyAllowanceBytes)
        return try code.withUnsafeBytes { code in
            let machine = PickleMachine(code: code, options: options, path: path, record: "\(archive.prefix)/data.pkl",
                                        copyBudget: budget, loadStorage: { try archive.storage($0) })
            defer { machine.dismantle() }
            let root = try machine.run()
            var flattener = CheckpointFlattener(depthLimit: options.limits.nesting)
            do { try flattener.flatten(root) } catch let f as PickleFailure {
                throw PareError(.unreadable, file: path, place: "\(archive.prefix)/data.pkl", "\(f.message) (rule \(f.rule))")
            }
            let (set, aliases) = assemble(flattener, prefix: archive.prefix)
            var diagnostics = archive.diagnostics + machine.diagnostics + archive.storageSummary()
            if !aliases.isEmpty {
                diagnostics.append(Diagnostic("PT-14", .info, at: "\(archive.prefix)/data.pkl",
                                              "\(aliases.count) tensors share storage with another: "
                                              + aliases.prefix(5).map { "\($0.name) → \($0.of)" }.joined(separator: ", ")))
            }
            return TorchCheckpoint(weights: set, diagnostics: diagnostics, aliases: aliases, prefix: archive.prefix)
        }
    }

    /// Builds the WeightSet and finds aliases (PT-14): per storage key, views are swept in order
    /// of their start; views whose byte ranges chain into one overlapping cluster are aliases of
    /// the cluster's first tensor in file order. Sorting keeps hostile files with many views fast.
    static func assemble(_ f: CheckpointFlattener, prefix: String) -> (WeightSet, [(name: String, of: String)]) {
        var set = WeightSet()
        set.tensors = f.tensors.map { WeightTensor(name: $0.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape, data: $0.tensor.data) }
        set.otherValues = f.others
        var byKey: [String: [(range: Range<Int64>, index: Int)]] = [:]
        for (i, t) in f.tensors.enumerated() where !t.tensor.byteRange.isEmpty {
            byKey[t.tensor.storageKey, default: []].append((t.tensor.byteRange, i))
        }
        var aliasOf: [Int: Int] = [:]
        func close(_ cluster: [Int]) {
            guard let kept = cluster.min(), cluster.count > 1 else { return }
            for i in cluster where i != kept { aliasOf[i] = kept }
        }
        for views in byKey.values where views.count > 1 {
            let sorted = views.sorted { ($0.range.lowerBound, $0.index) < ($1.range.lowerBound, $1.index) }
            var cluster: [Int] = []
            var clusterEnd = Int64.min
            for v in sorted {
                if v.range.lowerBound >= clusterEnd {
                    close(cluster)
                    cluster = []
                }
                cluster.append(v.index)
                clusterEnd = max(clusterEnd, v.range.upperBound)
            }
            close(cluster)
        }
        let aliases = aliasOf.keys.sorted().map { (name: f.tensors[$0].name, of: f.tensors[aliasOf[$0]!].name) }
        return (set, aliases)
    }

    /// Formats that are not zip checkpoints get an error naming what they are (PT-12).
    static func refuseOtherFormats(_ b: UnsafeRawBufferPointer, path: String) throws {
        let legacyMagic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        let hint = "load it in Python with torch.load and save it again with torch.save, which writes the zip format"
        if b.count >= 14, b[0] == 0x80, b[2..<14].elementsEqual(legacyMagic) {
            throw PareError(.unsupported, file: path, "a legacy (pre-1.6) PyTorch checkpoint, which Pare does not read (rule PT-12)", hint: hint)
        }
        if b.count >= 262, b[257..<262].elementsEqual(Array("ustar".utf8)) {
            throw PareError(.unsupported, file: path, "a tar archive: the oldest PyTorch checkpoint format, which Pare does not read (rule PT-12)", hint: hint)
        }
        if b.count >= 8, b[0..<8].elementsEqual(Array("PYTORCH1".utf8)) {
            throw PareError(.unsupported, file: path, "the PYTORCH1 preview format, which Pare does not read (rule PT-12)", hint: hint)
        }
        if b.count >= 2, b[0] == 0x80, b[1] <= 5 {
            throw PareError(.unsupported, file: path, "a bare pickle stream, not a zip checkpoint (rule PT-12)", hint: hint)
        }
    }
}
