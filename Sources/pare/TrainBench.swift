import PareCore
import PareData
import PareEngine
import PareONNX
import PareRuntime

/// `pare bench --train`: images per second of whole training steps — forward in training mode,
/// cross-entropy, backward, and an SGD step (momentum 0.9, weight decay 5e-4) on every weight —
/// on one seeded random batch with random labels, repeated. What `pare train` spends per step
/// apart from data preparation (which runs on a background thread there).
enum TrainBench {
    struct Result {
        var latency: Latency, batch: Int
    }

    static func run(model path: String, loaded: LoadedModel, batch: Int, threads: Int, shapes: [String: [Int64]],
                    runs: Int, warmup: Int) throws -> Result {
        let session = try TrainingSession(model: loaded.model, path: path, threads: threads)
        for name in shapes.keys where name != session.input.name {
            throw PareError(.usage, place: "--shape \(name)", "the model has no such input", hint: "its input is '\(session.input.name)'")
        }
        let shape = try imageShape(session.input, given: shapes[session.input.name], batch: batch)
        try InputBudget.check(shape, input: session.input.name)
        var random = SeededRandom(seed: 1)
        let images = (0..<shape.reduce(1, *)).map { _ in Float(Double(random.next() >> 11) / Double(1 << 53) * 2 - 1) }
        let probe = try session.forward(DenseTensor(shape: shape, floats: images), training: false)
        let classes = probe.output.count / shape[0]
        session.recycle(probe)
        guard probe.output.rank == 2, classes >= 1 else {
            throw PareError(.usage, file: path, place: "graph output '\(session.outputName)'",
                            "gives \(probe.output.shape) for a batch of \(shape[0]); training needs logits N×classes")
        }
        let labels = (0..<shape[0]).map { _ in Int32(random.below(classes)) }
        let batchData = Batch(images: images, labels: labels, indices: Array(0..<shape[0]),
                              channels: shape[1], height: shape[2], width: shape[3])
        let dataset = ImageDataset(source: "random batch", count: shape[0], channels: shape[1], height: shape[2], width: shape[3],
                                   pixels: .floats(images), labels: labels, classCount: classes)
        var options = TrainingOptions()
        options.batchSize = shape[0]; options.learningRate = 1e-3; options.evaluate = false
        let trainer = try Trainer(session: session, train: BatchPlan(dataset: dataset, batchSize: shape[0], shuffle: false, seed: 0),
                                  test: nil, options: options)
        for _ in 0..<max(warmup, 1) { try trainer.trainStep(batchData, learningRate: 1e-3) }
        let latency = try Latency.measure(runs: runs) { try trainer.trainStep(batchData, learningRate: 1e-3) }
        return Result(latency: latency, batch: shape[0])
    }

    /// N×C×H×W from the declared input: a free batch dimension takes --batch, any other free
    /// dimension must come from --shape.
    private static func imageShape(_ input: GraphInput, given: [Int64]?, batch: Int) throws -> [Int] {
        if let given {
            guard given.count == 4 else {
                throw PareError(.usage, place: "--shape \(input.name)", "training needs an image batch N×C×H×W, got \(given.count) dims")
            }
            return given.map { Int($0) }
        }
        guard let dims = input.dims, dims.count == 4 else {
            throw PareError(.unsupported, place: "input '\(input.name)'",
                            "training needs an image input N×C×H×W, the model declares \(input.shapeText)")
        }
        return try dims.enumerated().map { i, d in
            if i == 0 { return d ?? batch }
            guard let d else {
                throw PareError(.usage, place: "input '\(input.name)'", "dimension \(i) is free",
                                hint: "give the shape: --shape \(input.name)=\(batch)x3x32x32 (for example)")
            }
            return d
        }
    }
}
