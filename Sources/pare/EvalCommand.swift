import ArgumentParser
import Foundation
import PareCore
import PareData
import PareONNX
import PareRuntime

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy and mean cross-entropy of an ONNX classifier on a data set's test split.",
        discussion: """
        The model's first output must be logits, one row per image. Runs on
        Pare's inference engine (BatchNormalization with running statistics).

        Examples:
          pare eval cnn.onnx --data fashion-mnist
          pare eval resnet20.onnx --data cifar10:/data/cifar-10-batches-bin --threads 2
        """)

    @Argument(help: "The ONNX model.") var model: String
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Images per batch.") var batch = 256
    @Option(help: "Threads for the engine (1–256).") var threads = 1
    @Flag(help: "Evaluate on the training split instead of the test split.") var trainSplit = false
    @Flag(help: "Evaluate a model that fails checker rules anyway.") var force = false

    func run() throws {
        try ThreadLimit.check(threads)
        guard batch >= 1, threads >= 1 else { throw PareError(.usage, "--batch and --threads must be at least 1") }
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "evaluate")
        let (_, train, test) = try dataOptions.load()
        guard let dataset = trainSplit ? train : test else {
            throw PareError(.usage, place: "--data \(dataOptions.data)", "this data set has no test split", hint: "pass --train-split")
        }
        let probe = try InferenceSession(model: loaded.model, path: model, threads: 1)
        guard probe.inputs.count == 1 else {
            throw PareError(.unsupported, file: model, "evaluation needs a model with one input; this one has \(probe.inputs.count)")
        }
        let fit = try dataOptions.inputFit(for: dataset, input: probe.inputs[0], model: model)
        let plan = BatchPlan(dataset: dataset, batchSize: batch, shuffle: false, seed: 0, fit: fit)
        try plan.validate()
        let result = try Evaluation.run(model: loaded.model, path: model, plan: plan, threads: threads)
        let correct = Int((result.accuracy * Double(result.count)).rounded())
        print("\(model) on \(dataset.source): accuracy \(String(format: "%.2f", 100 * result.accuracy))% (\(correct)/\(result.count)), "
              + "loss \(String(format: "%.4f", result.loss))")
    }
}
