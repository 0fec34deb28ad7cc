import PareCore
import PareData
import PareEngine
import PareIR
import PareTrain

/// Accuracy and mean cross-entropy of a model over a data set, on the inference engine (BN with
/// running statistics, fused where exact) — what `pare eval` prints and training logs per epoch.
public enum Evaluation {
    public struct Result: Sendable {
        public var accuracy: Double
        public var loss: Double
        public var count: Int
    }

    public static func run(model: Model, path: String, plan: BatchPlan, threads: Int) throws -> Result {
        let session = try InferenceSession(model: model, path: path, threads: threads)
        guard session.inputs.count == 1, let output = session.outputNames.first else {
            throw PareError(.unsupported, file: path, "evaluation needs a model with one input and an output")
        }
        var correct = 0, lossSum: Double = 0, count = 0
        let order = plan.order(epoch: 0)
        for index in 0..<plan.batchCount {
            let batch = plan.batch(epoch: 0, index: index, order: order)
            let logits = try session.run([session.inputs[0].name: DenseTensor(shape: batch.shape, floats: batch.images)])[output]!
            guard logits.kind == .float32, logits.count % max(batch.count, 1) == 0 else {
                throw PareError(.invalid, file: path, place: "graph output '\(output)'", "expected float logits, one row per image; got \(logits.shape)")
            }
            let classes = logits.count / batch.count
            if let bad = batch.labels.first(where: { Int($0) >= classes }) {
                throw PareError(.usage, file: path, "the data has label \(bad) but the model's output '\(output)' has \(classes) classes",
                                hint: "use a model whose last layer has one output per class")
            }
            let r = SoftmaxCrossEntropy.evaluate(logits: logits.pointer, rows: batch.count, classes: classes, labels: batch.labels, gradient: nil)
            correct += r.correct; lossSum += r.loss * Double(batch.count); count += batch.count
        }
        return Result(accuracy: Double(correct) / Double(max(count, 1)), loss: lossSum / Double(max(count, 1)), count: count)
    }
}
