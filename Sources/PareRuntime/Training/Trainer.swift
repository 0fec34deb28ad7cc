import Foundation
import PareCore
import PareData
import PareEngine
import PareTrain

/// How `pare train` trains: the optimizer and its schedule, data order, checkpoints.
public struct TrainingOptions: Sendable {
    public enum OptimizerKind: String, Sendable { case sgd, adamw }
    public enum ScheduleKind: String, Sendable, CaseIterable { case constant, multistep, cosine, onecycle }

    public var epochs = 1
    public var batchSize = 64
    public var learningRate = 0.1
    public var momentum: Float = 0.9
    public var nesterov = false
    public var weightDecay: Float = 5e-4
    public var optimizer = OptimizerKind.sgd
    public var schedule = ScheduleKind.constant
    public var warmupSteps = 0
    public var clipNorm: Float?
    public var seed: UInt64 = 0
    public var checkpointDirectory: String?
    /// Evaluate on the test split after every epoch (when there is one).
    public var evaluate = true

    public init() {}

    func makeSchedule(totalSteps: Int) throws -> LearningRateSchedule {
        let shape: LearningRateSchedule.Shape
        switch schedule {
        case .constant: shape = .constant
        case .multistep: shape = .multiStep(milestones: [totalSteps / 2, totalSteps * 3 / 4], gamma: 0.1)
        case .cosine: shape = .cosine(minimum: 0)
        case .onecycle: shape = .oneCycleDefaults
        }
        return try LearningRateSchedule(baseRate: learningRate, shape: shape, totalSteps: totalSteps, warmupSteps: warmupSteps)
    }
}

/// What happened in one epoch (one line of the metrics log).
public struct EpochMetrics: Sendable {
    public var epoch: Int
    public var step: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var learningRate: Double
    public var imagesPerSecond: Double

    /// One JSON line: {"epoch":1,"step":938,"loss":…,"train_accuracy":…,"test_accuracy":…,"lr":…,"images_per_s":…}
    public var jsonLine: String {
        func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
        var fields = ["\"epoch\":\(epoch)", "\"step\":\(step)", "\"loss\":\(number(loss))", "\"train_accuracy\":\(number(trainAccuracy))"]
        if let testAccuracy { fields.append("\"test_accuracy\":\(number(testAccuracy))") }
        if let testLoss { fields.append("\"test_loss\":\(number(testLoss))") }
        fields += ["\"lr\":\(number(learningRate))", "\"images_per_s\":\(number(imagesPerSecond))"]
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// The training loop: batches from a background thread, forward, cross-entropy, backward, a
/// finiteness check, optional clipping, one optimizer step per parameter, then per epoch an
/// evaluation, a metrics line and an atomic checkpoint.
public final class Trainer {
    public let session: TrainingSession
    public let options: TrainingOptions
    public let train: BatchPlan
    public let test: BatchPlan?
    public private(set) var log: [String] = []
    /// Called after every step's backward pass, before the optimizer changes anything: the step
    /// (from 1), its loss, the parameters' gradients and the forward pass (`pare train --trace`).
    public var stepObserver: ((Int, SoftmaxCrossEntropy.Result, [DenseTensor], TrainingSession.Tape) throws -> Void)?
    private var sgd: SGD?
    private var adamw: AdamW?
    private var step = 0
    private var firstEpoch = 1

    public init(session: TrainingSession, train: BatchPlan, test: BatchPlan?, options: TrainingOptions) throws {
        self.session = session; self.train = train; self.test = test; self.options = options
        do {
            switch options.optimizer {
            case .sgd:
                sgd = try SGD(momentum: options.momentum, nesterov: options.nesterov, weightDecay: options.weightDecay)
            case .adamw:
                adamw = try AdamW(weightDecay: options.weightDecay)
            }
            // The schedule is made again when the run starts; made here, a warm-up longer than
            // the run or a one-cycle too short to ramp is reported before any work.
            _ = try options.makeSchedule(totalSteps: options.epochs * train.batchCount)
        } catch let e as OptimizerError {
            throw PareError(.usage, "\(e)")
        }
        session.dropoutSeed = options.seed
    }

    public var stepsPerEpoch: Int { train.batchCount }
    public var totalSteps: Int { options.epochs * stepsPerEpoch }

    /// Continues from a checkpoint written by an earlier run with the same model and settings.
    public func resume(from checkpoint: Checkpoint, path: String) throws {
        guard checkpoint.batchSize == options.batchSize, checkpoint.seed == options.seed,
              checkpoint.optimizer == options.optimizer.rawValue else {
            throw PareError(.usage, file: path, "the checkpoint was written with --batch \(checkpoint.batchSize) --seed \(checkpoint.seed) "
                            + "(\(checkpoint.optimizer)); this run has --batch \(options.batchSize) --seed \(options.seed) (\(options.optimizer.rawValue))",
                            hint: "resume with the settings of the interrupted run")
        }
        guard checkpoint.epoch < options.epochs else {
            throw PareError(.usage, file: path, "the checkpoint already completed epoch \(checkpoint.epoch) of \(options.epochs)",
                            hint: "raise --epochs to train further")
        }
        for (name, value) in session.parameters {
            guard let saved = checkpoint.parameters[name], saved.count == value.count else {
                throw PareError(.invalid, file: path, place: "parameter '\(name)'", "missing or of another size than in the model",
                                hint: "resume with the model the checkpoint was trained from")
            }
            saved.withUnsafeBufferPointer { value.pointer.update(from: $0.baseAddress!, count: saved.count) }
        }
        for name in session.runningStatistics {
            guard let saved = checkpoint.statistics[name], let value = session.constant(name), saved.count == value.count else {
                throw PareError(.invalid, file: path, place: "statistic '\(name)'", "missing or of another size than in the model")
            }
            saved.withUnsafeBufferPointer { value.pointer.update(from: $0.baseAddress!, count: saved.count) }
        }
        sgd?.restore(checkpoint.optimizerState)
        adamw?.restore(checkpoint.optimizerState)
        step = checkpoint.step
        firstEpoch = checkpoint.epoch + 1
        log = checkpoint.metricsLog
    }

    /// Trains the remaining epochs. `progress` is called after every batch, `epochDone` after
    /// every epoch. Throws (naming the step and tensor) when the loss or a gradient stops being finite.
    public func run(progress: (ProgressLine.Snapshot) -> Void, epochDone: (EpochMetrics) -> Void) throws {
        let schedule = try options.makeSchedule(totalSteps: totalSteps)
        let started = Date()
        var imagesDone = 0
        for epoch in firstEpoch...max(firstEpoch, options.epochs) where epoch <= options.epochs {
            let epochStart = Date()
            var lossSum: Double = 0, correct = 0, seen = 0
            var rate: Float = 0
            for (index, batch) in BatchStream(plan: train, epoch: epoch).enumerated() {
                rate = schedule.learningRate(at: step)
                if let m = schedule.momentum(at: step) { sgd?.momentum = m }
                let result = try trainStep(batch, learningRate: rate)
                lossSum += result.loss * Double(batch.count); correct += result.correct; seen += batch.count
                imagesDone += batch.count
                let elapsed = Date().timeIntervalSince(started), perSecond = Double(imagesDone) / max(elapsed, 1e-9)
                let remaining = Double((options.epochs - epoch) * stepsPerEpoch + stepsPerEpoch - index - 1) * Double(options.batchSize)
                progress(ProgressLine.Snapshot(epoch: epoch, epochs: options.epochs, batch: index + 1, batches: stepsPerEpoch,
                                               loss: lossSum / Double(seen), imagesPerSecond: perSecond, secondsLeft: remaining / perSecond))
            }
            let trainSeconds = Date().timeIntervalSince(epochStart)
            var metrics = EpochMetrics(epoch: epoch, step: step, loss: lossSum / Double(max(seen, 1)),
                                       trainAccuracy: Double(correct) / Double(max(seen, 1)), testAccuracy: nil, testLoss: nil,
                                       learningRate: Double(rate), imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9))
            if options.evaluate, let test {
                let result = try Evaluation.run(model: session.exportModel(), path: session.modelPath, plan: test,
                                                threads: session.context.pool.threadCount)
                metrics.testAccuracy = result.accuracy; metrics.testLoss = result.loss
            }
            log.append(metrics.jsonLine)
            if let directory = options.checkpointDirectory {
                try checkpoint(epoch: epoch).write(to: Trainer.checkpointPath(directory))
            }
            epochDone(metrics)
        }
    }

    public static func checkpointPath(_ directory: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + "last.safetensors"
    }

    func checkpoint(epoch: Int) -> Checkpoint {
        var parameters: [String: [Float]] = [:], statistics: [String: [Float]] = [:]
        for (name, value) in session.parameters { parameters[name] = value.floats }
        for name in session.runningStatistics { statistics[name] = session.constant(name)?.floats ?? [] }
        return Checkpoint(epoch: epoch, step: step, seed: options.seed, batchSize: options.batchSize, optimizer: options.optimizer.rawValue,
                          parameters: parameters, statistics: statistics, optimizerState: sgd?.state ?? adamw?.state ?? [:],
                          metricsLog: log)
    }

    /// The loss on one batch and dL/d(parameter) for every parameter, in training mode (BN running
    /// statistics move, as in any training forward pass). Checks that both are finite.
    public func lossAndGradients(_ batch: Batch) throws -> (result: SoftmaxCrossEntropy.Result, gradients: [DenseTensor],
                                                              tape: TrainingSession.Tape, release: () -> Void) {
        session.step = step
        let images = DenseTensor(shape: batch.shape, floats: batch.images)
        let tape = try session.forward(images, training: true)
        let logits = tape.output
        let classes = logits.count / max(batch.count, 1)
        let gradient = session.context.buffers.tensor(logits.shape)
        let result = SoftmaxCrossEntropy.evaluate(logits: logits.pointer, rows: batch.count, classes: classes, labels: batch.labels,
                                                  gradient: gradient.pointer)
        guard result.loss.isFinite else {
            throw PareError(.invalid, place: "step \(step + 1)", "the loss became \(result.loss) (logits of '\(session.outputName)' are not finite)",
                            hint: "lower --lr, or add --clip-norm; the last checkpoint (if any) holds the last good epoch")
        }
        let gradients = try session.backward(tape, outputGradient: gradient)
        for (p, g) in zip(session.parameters, gradients) {
            let bad = UnsafeBufferPointer(start: g.pointer, count: g.count).contains { !$0.isFinite }
            if bad {
                throw PareError(.invalid, place: "step \(step + 1)", "the gradient of '\(p.name)' is not finite",
                                hint: "lower --lr, or add --clip-norm; the last checkpoint (if any) holds the last good epoch")
            }
        }
        let session = self.session
        return (result, gradients, tape, { session.recycle(tape, gradients + [gradient]) })
    }

    /// One optimizer step on one batch; returns the batch's mean loss and correct count.
    @discardableResult
    public func trainStep(_ batch: Batch, learningRate: Float) throws -> SoftmaxCrossEntropy.Result {
        let (result, gradients, tape, release) = try lossAndGradients(batch)
        try stepObserver?(step + 1, result, gradients, tape)
        if let maxNorm = options.clipNorm {
            clipGradientNorm(gradients.map { UnsafeMutableBufferPointer(start: $0.pointer, count: $0.count) }, maxNorm: maxNorm)
        }
        for (p, g) in zip(session.parameters, gradients) {
            let parameter = UnsafeMutableBufferPointer(start: p.value.pointer, count: p.value.count)
            let grad = UnsafeBufferPointer(start: g.pointer, count: g.count)
            sgd?.step(name: p.name, parameter: parameter, gradient: grad, learningRate: learningRate)
            adamw?.step(name: p.name, parameter: parameter, gradient: grad, learningRate: learningRate)
        }
        release()
        step += 1
        return result
    }
}
