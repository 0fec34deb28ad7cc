import PareCore

/// What `pare inspect` reports about a weights file (safetensors, PyTorch checkpoint, .npy/.npz).
public struct WeightsSummary: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int64]
        public var bytes: Int
    }
    public struct Other: Encodable, Sendable {
        public var name: String
        public var description: String
    }
    public var file: String
    public var format: String
    public var tensors: [Entry]
    public var parameters: Int64
    public var bytes: Int64
    public var byDType: [String: Int64]
    public var metadata: [String: String]
    public var otherValues: [Other]

    public init(file: String, format: FileFormat, set: WeightSet) {
        self.file = file
        self.format = format.displayName
        tensors = set.tensors.map { Entry(name: $0.name, dtype: $0.dtype.name, shape: $0.shape, bytes: $0.data.count) }
        parameters = set.tensors.reduce(0) { $0 + $1.elementCount }
        bytes = set.tensors.reduce(0) { $0 + Int64($1.data.count) }
        var by: [String: Int64] = [:]
        for t in set.tensors { by[t.dtype.name, default: 0] += t.elementCount }
        byDType = by
        metadata = set.metadata
        otherValues = set.otherValues.map { Other(name: $0.name, description: $0.description) }
    }

    public var text: String {
        var lines = ["\(file): \(format), \(tensors.count) tensors, \(parameters) parameters, \(bytes) bytes"]
        lines.append("  by dtype: " + byDType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if !metadata.isEmpty {
            lines.append("metadata:")
            for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { lines.append("  \(k): \(v)") }
        }
        lines.append("tensors:")
        let width = min(60, tensors.map(\.name.count).max() ?? 0)
        for t in tensors {
            let pad = t.name.count >= width ? "" : String(repeating: " ", count: width - t.name.count)
            lines.append("  \(t.name)\(pad)  \(t.dtype) \(t.shape)  \(t.bytes) B")
        }
        if !otherValues.isEmpty {
            lines.append("other values (not tensors):")
            for o in otherValues { lines.append("  \(o.name): \(o.description)") }
        }
        return lines.joined(separator: "\n")
    }
}
