import ArgumentParser
import Foundation
import PareCore
import PareData
import PareEngine
import PareNumPy
import PareONNX
import PareRuntime
import PareTrain
#if canImport(Glibc)
import Glibc
#endif

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an ONNX classifier's float weights on Pare's CPU engine and write the trained model.",
        discussion: """
        Minimises the mean cross-entropy of the model's first output (logits) on
        the data set's labels, with SGD as torch.optim.SGD defines it (weight decay
        on every weight) or AdamW. BatchNormalization runs on batch statistics and
        its running statistics are updated as PyTorch does. The trained model keeps
        the graph and writes the new weights and statistics, atomically.

        A metrics log (JSON lines: epoch, step, loss, train_accuracy, test_accuracy,
        lr, images_per_s) is written next to the output. With --checkpoint-dir, a
        checkpoint is written after every epoch; --resume continues from one exactly
        (same thread count gives bit-identical weights).

        Examples:
          pare train cnn.onnx --data fashion-mnist --epochs 3 -o trained.onnx
          pare train resnet20.onnx --data cifar10:/data/cifar-10-batches-bin --epochs 30 \\
              --lr 0.1 --nesterov --schedule cosine --checkpoint-dir ckpt -o r20.onnx
          pare train cnn.onnx --data npz:train.npz --no-shuffle --no-augment -o out.onnx
          pare train cnn.onnx --data fashion-mnist --epochs 3 --resume ckpt/last.safetensors -o trained.onnx
        """)

    @Argument(help: "The ONNX model to train.") var model: String
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .shortAndLong, help: "Where to write the trained ONNX model.") var output: String
    @Option(help: "Passes over the training data.") var epochs = 1
    @Option(help: "Images per step.") var batch = 64
    @Option(help: "Base (peak, for onecycle) learning rate.") var lr = 0.1
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: "Weight decay: coupled (added to the gradient) for SGD, decoupled for AdamW.") var weightDecay: Float = 5e-4
    @Option(help: "sgd or adamw.") var optimizer = "sgd"
    @Option(help: "Learning-rate schedule, stepped per iteration: constant, multistep (×0.1 at 50% and 75%), cosine, onecycle.")
    var schedule = "constant"
    @Option(help: "Linear warm-up iterations.") var warmup = 0
    @Option(help: "Clip the global gradient norm to this value.") var clipNorm: Float?
    @Option(help: "Seed for data order, augmentation, dropout and --from-scratch.") var seed: UInt64 = 0
    @Flag(help: "Keep the data set's order.") var noShuffle = false
    @Flag(help: "No random crops or flips (named data sets have them by default).") var noAugment = false
    @Flag(help: "Start from fresh weights (PyTorch's default initialisation) instead of the model's.") var fromScratch = false
    @Option(help: "Threads for the engine (1–256).") var threads = 1
    @Option(help: "Write a checkpoint here after every epoch (last.safetensors).") var checkpointDir: String?
    @Option(help: "Continue from a checkpoint written by --checkpoint-dir.") var resume: String?
    @Option(help: "The metrics log (default: OUTPUT with .metrics.jsonl).") var metrics: String?
    @Option(help: ArgumentHelp("For every step, write DIR/step-N.npz with the loss, every weight's gradient and the inputs "
                               + "of ReLU/Clip/MaxPool nodes, to compare with another framework (large: the activations of "
                               + "a whole batch per step; a ReLU fused into the node before it records its "
                               + "output, which takes the same branches).", valueName: "DIR"))
    var trace: String?
    @Flag(help: "Train a model that fails checker rules anyway.") var force = false

    func run() throws {
        try ThreadLimit.check(threads)
        // The output path before anything slow (loading data, building the session).
        try AtomicFileWriter.checkDestination(output)
        // The log's default sits beside OUT, which for `-o /dev/null` would be a file in /dev.
        if metrics == nil, try AtomicFileWriter.kind(of: output) == .stream {
            throw PareError(.usage, file: output, place: "-o", "is a device or pipe, so the metrics log has no default place beside it",
                            hint: "name the log with --metrics FILE")
        }
        let logPath = metrics ?? (output.hasSuffix(".onnx") ? String(output.dropLast(5)) : output) + ".metrics.jsonl"
        try AtomicFileWriter.checkDestination(logPath, example: "metrics.jsonl")
        // `-o` may replace the model being trained (the write is atomic); the log may replace
        // nothing, or a whole run would end by destroying the model, the data or the checkpoint.
        let npz = dataOptions.data.hasPrefix("npz:") ? [DistinctFiles.Role("the --data file", String(dataOptions.data.dropFirst(4)))] : []
        try DistinctFiles.check(outputs: [.init("-o", output), .init(metrics == nil ? "the metrics log" : "--metrics", logPath)],
                                inputs: [.init("the model", model)] + (resume.map { [.init("--resume", $0)] } ?? []) + npz,
                                inPlace: [DistinctFiles.pairKey("-o", "the model")])
        guard epochs >= 1, batch >= 1, threads >= 1 else { throw PareError(.usage, "--epochs, --batch and --threads must be at least 1") }
        guard lr > 0, lr.isFinite else { throw PareError(.usage, place: "--lr", "the learning rate must be positive and finite") }
        // A zero or negative bound would stop training or turn every step uphill (as PyTorch's
        // clip_grad_norm_ would, silently); NaN would scale nothing.
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) {
            throw PareError(.usage, place: "--clip-norm", "the gradient norm bound must be positive and finite, got \(clipNorm)")
        }
        guard warmup >= 0 else { throw PareError(.usage, place: "--warmup", "the warm-up must be 0 or more iterations, got \(warmup)") }
        for (flag, value) in [("--momentum", momentum), ("--weight-decay", weightDecay)] where !(value >= 0 && value.isFinite) {
            throw PareError(.usage, place: flag, "must be finite and not negative, got \(value)")
        }
        guard let optimizerKind = TrainingOptions.OptimizerKind(rawValue: optimizer) else {
            throw PareError(.usage, place: "--optimizer", "unknown optimizer '\(optimizer)'", hint: "use sgd or adamw")
        }
        guard let scheduleKind = TrainingOptions.ScheduleKind(rawValue: schedule) else {
            throw PareError(.usage, place: "--schedule", "unknown schedule '\(schedule)'",
                            hint: "use \(TrainingOptions.ScheduleKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // Everything that can be wrong is checked before the first step.
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "train")
        let checkpoint = try resume.map { try Checkpoint.read(path: $0) }
        let (spec, train, test) = try dataOptions.load()
        let session = try TrainingSession(model: loaded.model, path: model, threads: threads)
        let fit = try dataOptions.inputFit(for: train, input: session.input, model: model)
        try checkClasses(session, train: train, fit: fit)

        var options = TrainingOptions()
        options.epochs = epochs; options.batchSize = batch; options.learningRate = lr; options.momentum = momentum
        options.nesterov = nesterov; options.weightDecay = weightDecay; options.optimizer = optimizerKind
        options.schedule = scheduleKind; options.warmupSteps = warmup; options.clipNorm = clipNorm; options.seed = seed
        options.checkpointDirectory = checkpointDir
        let augmentation = noAugment ? Augmentation.none : Augmentation.standard(for: spec)
        // A last batch of one image cannot be batch-normalized (PyTorch refuses it too): drop it.
        let trainPlan = BatchPlan(dataset: train, batchSize: batch, shuffle: !noShuffle, seed: seed, augmentation: augmentation,
                                  fit: fit, dropLast: train.count % batch == 1)
        try trainPlan.validate()
        let testPlan = try test.map { t -> BatchPlan in
            let plan = BatchPlan(dataset: t, batchSize: 256, shuffle: false, seed: 0, fit: fit)
            try plan.validate()
            return plan
        }
        if let checkpointDir { try Folders.make(checkpointDir, purpose: "checkpoint folder") }
        let trainer = try Trainer(session: session, train: trainPlan, test: testPlan, options: options)
        if fromScratch && checkpoint == nil { session.reinitialize(seed: seed) }
        if let checkpoint, let resume {
            try trainer.resume(from: checkpoint, path: resume)
            FileHandleStderr.write("pare: resuming after epoch \(checkpoint.epoch) (step \(checkpoint.step)) from \(resume)\n")
        }
        if let trace {
            try Folders.make(trace, purpose: "trace folder")
            let recorder = StepTrace(directory: trace, session: session)
            let parameters = session.parameters
            trainer.stepObserver = { step, result, gradients, tape in
                try recorder.write(step: step, result: result, gradients: gradients, tape: tape, parameters: parameters)
            }
        }
        FileHandleStderr.write("pare: training \(session.parameters.count) tensors "
                               + "(\(session.parameters.reduce(0) { $0 + $1.value.count }) weights) on \(train.count) \(train.source) images, "
                               + "\(trainer.stepsPerEpoch) steps per epoch, \(threads) thread(s)\n")
        let progress = ProgressLine(isTerminal: isatty(2) != 0)
        try trainer.run(progress: { snapshot in
            if let line = progress.output(snapshot) { FileHandleStderr.write(line) }
        }, epochDone: { metrics in
            let test = metrics.testAccuracy.map { ", test accuracy \(String(format: "%.2f", 100 * $0))%" } ?? ""
            FileHandleStderr.write("epoch \(metrics.epoch): loss \(String(format: "%.4f", metrics.loss)), "
                                   + "train accuracy \(String(format: "%.2f", 100 * metrics.trainAccuracy))%\(test), "
                                   + "\(Int(metrics.imagesPerSecond)) img/s\n")
            try? Self.writeLog(trainer.log, to: logPath)
        })
        // The model first: it is what the run was for, and a log that cannot be written then
        // costs nothing else.
        let written = try ONNXWriter.write(session.exportModel(), to: output, resolver: ExternalDataResolver(modelPath: model))
        try Self.writeLog(trainer.log, to: logPath)
        print("wrote \(output) (\(written.modelBytes) bytes); metrics in \(logPath)")
    }

    /// The model's output must have a logit for every label of the data set.
    private func checkClasses(_ session: TrainingSession, train: ImageDataset, fit: InputFit) throws {
        let plan = BatchPlan(dataset: train, batchSize: 2, shuffle: false, seed: 0, fit: fit)
        let probe = plan.batch(epoch: 0, index: 0, order: Array(0..<min(2, train.count)))
        let tape = try session.forward(DenseTensor(shape: probe.shape, floats: probe.images), training: false)
        let classes = tape.output.count / max(probe.count, 1)
        session.recycle(tape)
        guard tape.output.rank == 2, classes >= train.classCount else {
            throw PareError(.usage, file: model, place: "graph output '\(session.outputName)'",
                            "gives \(tape.output.shape) for a batch of \(probe.count), but \(train.source) has \(train.classCount) classes "
                            + "(labels 0…\(train.classCount - 1))",
                            hint: "the first output must be logits N×classes with at least one column per class")
        }
    }

    static func writeLog(_ lines: [String], to path: String) throws {
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(Array((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8))
        try writer.commit()
    }
}
