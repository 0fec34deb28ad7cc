import PareCore
import PareSafetensors

/// Everything needed to continue a run exactly where an epoch ended: parameters, BN running
/// statistics, optimizer state, the position in the schedule and the seed. Data order and
/// augmentation are functions of (seed, epoch, sample) and dropout masks of (seed, step, node),
/// so the seed and the counters are the whole random state.
///
/// Stored as one safetensors file (tensors `param/NAME`, `stat/NAME`, `optim/NAME/BUFFER`, the
/// counters in `__metadata__`), written atomically, so PyTorch and `pare inspect` can read it too.
public struct Checkpoint: Sendable {
    public static let format = "pare-train-checkpoint-1"

    /// Epochs completed (the next epoch to run is this + 1).
    public var epoch: Int
    /// Optimizer steps taken.
    public var step: Int
    public var seed: UInt64
    public var batchSize: Int
    public var optimizer: String
    public var parameters: [String: [Float]]
    public var statistics: [String: [Float]]
    public var optimizerState: [String: [String: [Float]]]
    /// The metrics log lines written so far, so a resumed run's log is whole.
    public var metricsLog: [String]

    public init(epoch: Int, step: Int, seed: UInt64, batchSize: Int, optimizer: String, parameters: [String: [Float]],
                statistics: [String: [Float]], optimizerState: [String: [String: [Float]]],
                metricsLog: [String]) {
        self.epoch = epoch; self.step = step; self.seed = seed; self.batchSize = batchSize; self.optimizer = optimizer
        self.parameters = parameters; self.statistics = statistics; self.optimizerState = optimizerState
        self.metricsLog = metricsLog
    }

    public func write(to path: String) throws {
        var tensors: [WeightTensor] = []
        func add(_ name: String, _ values: [Float]) {
            tensors.append(WeightTensor(name: name, dtype: .float, shape: [Int64(values.count)],
                                        data: values.withUnsafeBytes { TensorData(copying: $0) }))
        }
        for (name, v) in parameters.sorted(by: { $0.key < $1.key }) { add("param/" + name, v) }
        for (name, v) in statistics.sorted(by: { $0.key < $1.key }) { add("stat/" + name, v) }
        for (name, buffers) in optimizerState.sorted(by: { $0.key < $1.key }) {
            for (buffer, v) in buffers.sorted(by: { $0.key < $1.key }) { add("optim/\(name)/\(buffer)", v) }
        }
        let metadata = ["format": Self.format, "epoch": String(epoch), "step": String(step), "seed": String(seed),
                        "batch_size": String(batchSize), "optimizer": optimizer,
                        "metrics_log": metricsLog.joined(separator: "\n")]
        try SafetensorsWriter.write(WeightSet(tensors: tensors, metadata: metadata), to: path)
    }

    public static func read(path: String) throws -> Checkpoint {
        let set = try SafetensorsReader.read(path: path)
        let m = set.metadata
        guard m["format"] == format, let epoch = m["epoch"].flatMap({ Int($0) }), let step = m["step"].flatMap({ Int($0) }),
              let seed = m["seed"].flatMap({ UInt64($0) }), let batch = m["batch_size"].flatMap({ Int($0) }) else {
            throw PareError(.invalid, file: path, "not a pare training checkpoint (its metadata lacks format, epoch, step, seed or batch_size)",
                            hint: "pass a file that `pare train --checkpoint-dir` wrote")
        }
        var parameters: [String: [Float]] = [:], statistics: [String: [Float]] = [:], state: [String: [String: [Float]]] = [:]
        for t in set.tensors {
            guard t.dtype == .float else { throw PareError(.invalid, file: path, place: "tensor '\(t.name)'", "must be float32") }
            let values = t.data.bytes.withMemoryRebound(to: Float.self) { Array($0) }
            if t.name.hasPrefix("param/") { parameters[String(t.name.dropFirst(6))] = values }
            else if t.name.hasPrefix("stat/") { statistics[String(t.name.dropFirst(5))] = values }
            else if t.name.hasPrefix("optim/"), let slash = t.name.lastIndex(of: "/"), slash > t.name.index(t.name.startIndex, offsetBy: 5) {
                let name = String(t.name[t.name.index(t.name.startIndex, offsetBy: 6)..<slash])
                state[name, default: [:]][String(t.name[t.name.index(after: slash)...])] = values
            }
        }
        let log = m["metrics_log"].map { $0.split(separator: "\n").map(String.init) } ?? []
        return Checkpoint(epoch: epoch, step: step, seed: seed, batchSize: batch, optimizer: m["optimizer"] ?? "sgd",
                          parameters: parameters, statistics: statistics, optimizerState: state,
                          metricsLog: log)
    }
}
