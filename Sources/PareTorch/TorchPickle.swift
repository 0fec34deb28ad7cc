import PareCore

/// The pickle machine on its own, for fuzzing and for inspecting a `data.pkl` outside its archive:
/// every persistent id is answered with a zero-filled storage of the declared size (capped), so
/// the whole machine — opcodes, globals, tensor rebuilding, flattening — runs without an archive.
public enum TorchPickle {
    public struct Summary: Sendable {
        public var tensors: Int
        public var otherValues: Int
        public var diagnostics: [Diagnostic]
    }

    /// Largest zero-filled storage handed out; larger declared sizes are refused as PT-06.
    static let syntheticStorageBytes = 1 << 20

    public static func decode(_ code: UnsafeRawBufferPointer, options: TorchReadOptions = TorchReadOptions()) throws -> Summary {
        var storages: [String: TorchStorage] = [:]
        let machine = PickleMachine(code: code, options: options, path: "pickle", record: "data.pkl",
                                    copyBudget: CopyBudget(options.copyAllowanceBytes)) { q in
            if let s = storages[q.key], s.storageClass == q.storageClass, s.numel == q.numel { return .storage(s) }
            guard let item = q.storageClass.itemSize, let n = Checked.multiply(q.numel, Int64(item)),
                  n <= Int64(syntheticStorageBytes) else {
                throw PickleFailure("PT-06", "storage '\(q.key.prefix(64))' declares more than \(syntheticStorageBytes) bytes")
            }
            let s = TorchStorage(key: q.key, storageClass: q.storageClass, location: q.location, numel: q.numel,
                                 record: TensorData(count: Int(n)) { $0.initializeMemory(as: UInt8.self, repeating: 0) },
                                 bigEndian: false)
            storages[q.key] = s
            return .storage(s)
        }
        defer { machine.dismantle() }
        let root = try machine.run()
        var flattener = CheckpointFlattener(depthLimit: options.limits.nesting)
        do { try flattener.flatten(root) } catch let f as PickleFailure { throw machine.error(f) }
        _ = TorchCheckpointReader.assemble(flattener, prefix: "")
        return Summary(tensors: flattener.tensors.count, otherValues: flattener.others.count, diagnostics: machine.diagnostics)
    }

    /// The `data.pkl` program of a checkpoint file (checked like the reader checks it).
    public static func extract(path: String) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        let directory = try ZipDirectory.read(file.bytes, path: path)
        let archive = try TorchArchive(directory: directory, records: ZipRecords(bytes: file.bytes, owner: file, path: path),
                                       options: TorchReadOptions())
        return try archive.pickle()
    }
}
