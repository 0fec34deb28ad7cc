import PareCore
import PareEngine
import PareNumPy
import PareRuntime
import PareTrain

/// `pare train --trace DIR`: for every step, DIR/step-N.npz holds the loss, every parameter's
/// gradient (named like the parameter) and, under `input:NAME`, the forward value entering each
/// node whose gradient depends on a comparison (ReLU, Clip, MaxPool, …). Those values let another
/// framework recompute the step on exactly the branches Pare took: where a pre-activation lies
/// within rounding of a kink, two correct float32 implementations may legitimately disagree.
/// A ReLU that training fuses into the node before it (see `TrainingSession`) has no
/// separate input: its entry holds the ReLU's output, which has the input's sign wherever the
/// input is positive and 0 elsewhere — the same branches.
struct StepTrace {
    static let branchingOps: Set<String> = ["Relu", "LeakyRelu", "PRelu", "Clip", "HardSigmoid", "HardSwish", "Abs",
                                            "MaxPool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Max", "Min"]
    let directory: String
    /// The inputs to record, once: the data inputs of every branching node.
    let watched: [String]

    init(directory: String, session: TrainingSession) {
        self.directory = directory
        var seen = Set<String>()
        watched = session.layerNodes.filter { Self.branchingOps.contains($0.op) }
            .compactMap { $0.inputs.first }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    func write(step: Int, result: SoftmaxCrossEntropy.Result, gradients: [DenseTensor], tape: TrainingSession.Tape,
               parameters: [(name: String, value: DenseTensor)]) throws {
        func tensor(_ name: String, _ t: DenseTensor) -> WeightTensor {
            WeightTensor(name: name, dtype: .float, shape: t.shape.map { Int64($0) },
                         data: TensorData(copying: UnsafeRawBufferPointer(UnsafeBufferPointer(start: t.pointer, count: t.count))))
        }
        var set = WeightSet()
        set.tensors.append(tensor("loss", DenseTensor(shape: [], floats: [Float(result.loss)])))
        for (p, g) in zip(parameters, gradients) { set.tensors.append(tensor(p.name, g)) }
        for name in watched {
            if let value = tape.value(name) { set.tensors.append(tensor("input:" + name, value)) }
        }
        try NpzWriter.write(set, to: directory + "/step-\(step).npz")
    }
}
