import ArgumentParser
import Foundation
import PareCore
import PareEngine
import PareKernels
import PareONNX
import PareRuntime

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time inference (or, with --train, training steps) of an ONNX model on Pare's engine.",
        discussion: """
        Inputs are seeded random values of the declared shape. Free dimensions
        take --batch for axis 0; give any other with --shape. The first run
        for a shape plans the graph (folds shape subgraphs); warm-up runs are
        not timed.

        With --train, each timed run is one whole training step as `pare train`
        takes it: forward in training mode, cross-entropy on random labels,
        backward, and an SGD step (momentum 0.9, weight decay 5e-4) on every
        weight; items/s is then training images per second.

        Examples:
          pare bench resnet18.onnx --threads 2
          pare bench model.onnx --batch 128 --shape input=128x3x32x32 --json
            {"median_ms":…, "p90_ms":…, "items_per_s":…, "threads":…}
          pare bench resnet56.onnx --train --batch 128 --threads 2 --json
        """)

    @Argument(help: "The ONNX model.") var model: String
    @Option(help: "Batch size for a free first dimension.") var batch = 1
    @Option(help: "Threads for the engine and OpenBLAS (1–256).") var threads = 1
    @Option(name: .customLong("shape"), help: "NAME=D1xD2x… for an input; repeatable.") var shapes: [String] = []
    @Option(help: "Timed runs (1–100000).") var runs = 20
    @Option(help: "Untimed runs first (0–100000).") var warmup = 3

    static let maximumRuns = 100_000
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Benchmark a model that fails checker rules anyway.") var force = false
    @Flag(help: "Also print the time spent per op type over the timed runs.") var profile = false
    @Flag(help: "Also print the time spent per node (name and op type) over the timed runs.") var profileNodes = false
    @Flag(help: "Time training steps (forward, backward, SGD step) instead of inference.") var train = false

    func run() throws {
        try ThreadLimit.check(threads)
        guard threads >= 1, batch >= 1, runs >= 1, warmup >= 0 else {
            throw PareError(.usage, "--threads, --batch and --runs must be at least 1, --warmup at least 0")
        }
        // Every timed run keeps its latency; a mistyped count would otherwise run for days.
        guard runs <= Self.maximumRuns, warmup <= Self.maximumRuns else {
            throw PareError(.usage, place: runs > Self.maximumRuns ? "--runs" : "--warmup",
                            "at most \(Self.maximumRuns) runs", hint: "medians settle within a few hundred runs")
        }
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "benchmark")
        if train {
            guard !profile && !profileNodes else {
                throw PareError(.usage, place: profile ? "--profile" : "--profile-nodes", "is for inference only", hint: "drop it or --train")
            }
            let r = try TrainBench.run(model: model, loaded: loaded, batch: batch, threads: threads, shapes: try InputShapes.parse(shapes, flag: "--shape"),
                                       runs: runs, warmup: warmup)
            report(r.latency, items: r.batch, what: "training steps")
            return
        }
        let session = try InferenceSession(model: loaded.model, path: model, threads: threads)
        let fixed = try InputShapes.parse(shapes, flag: "--shape")
        for name in fixed.keys where !session.inputs.contains(where: { $0.name == name }) {
            throw PareError(.usage, place: "--shape \(name)", "the model has no such input",
                            hint: "its inputs are: \(session.inputs.map(\.name).joined(separator: ", "))")
        }
        var random = SeededRandom(seed: 1)
        var feeds: [String: DenseTensor] = [:]
        for input in session.inputs {
            let shape: [Int]
            if let given = fixed[input.name] {
                shape = given.map { Int($0) }
            } else if let dims = input.dims {
                shape = try dims.enumerated().map { i, d in
                    if let d { return d }
                    if i == 0 { return batch }
                    throw PareError(.usage, place: "input '\(input.name)'", "dimension \(i) is free",
                                    hint: "give its shape: --shape \(input.name)=\(input.shapeText.dropFirst().dropLast().replacingOccurrences(of: ", ", with: "x"))")
                }
            } else {
                throw PareError(.usage, place: "input '\(input.name)'", "its rank is not declared", hint: "give its shape with --shape")
            }
            let kind = DenseTensor.kind(of: input.dtype)!
            try InputBudget.check(shape, input: input.name, bytesPerElement: kind == .float32 ? 4 : kind == .int64 ? 8 : 1)
            let n = shape.reduce(1, *)
            switch kind {
            case .float32: feeds[input.name] = DenseTensor(shape: shape, floats: (0..<n).map { _ in Float(Double(random.next() >> 11) / Double(1 << 53) * 2 - 1) })
            case .int64: feeds[input.name] = DenseTensor(shape: shape, int64s: Array(repeating: 0, count: n))
            case .bool: feeds[input.name] = DenseTensor(shape: shape, bools: Array(repeating: false, count: n))
            }
        }
        for _ in 0..<max(warmup, 1) { _ = try session.run(feeds) }
        if profile || profileNodes { session.profile = [:]; session.profileNodes = profileNodes }
        let latency = try Latency.measure(runs: runs) { _ = try session.run(feeds) }
        let items = feeds.values.first.map { $0.shape.first ?? 1 } ?? 1
        report(latency, items: items, what: "inference")
        if let spent = session.profile {
            let total = spent.values.reduce(UInt64(0)) { $0 + $1.nanoseconds }
            for (op, entry) in spent.sorted(by: { $0.value.nanoseconds > $1.value.nanoseconds }) {
                let name = op.count >= 24 ? op : op + String(repeating: " ", count: 24 - op.count)
                print(name.withCString { String(format: "  %s %8.2f ms/run  %5.1f%%  (%d calls/run)", $0,
                             Double(entry.nanoseconds) / 1e6 / Double(runs), 100 * Double(entry.nanoseconds) / Double(max(total, 1)),
                             entry.calls / runs) })
            }
        }
    }

    private func report(_ latency: Latency, items: Int, what: String) {
        let median = latency.median, p90 = latency.p90, perSecond = Double(items) / (median / 1000)
        if json {
            print(String(format: "{\"median_ms\":%.3f, \"p90_ms\":%.3f, \"items_per_s\":%.2f, \"threads\":%d, \"batch\":%d, \"runs\":%d, \"mode\":\"%@\", \"blas\":\"%@\", \"conv_kernels\":\"%@\"}",
                         median, p90, perSecond, threads, items, runs, train ? "train" : "inference", Gemm.backendDescription,
                         Conv2D.kernelDescription))
        } else {
            print(String(format: "%@: %@, median %.2f ms, p90 %.2f ms, %.1f items/s (batch %d, %d threads, %d runs)",
                         model, what, median, p90, perSecond, items, threads, runs))
            print("GEMM: \(Gemm.backendDescription); conv kernels: \(Conv2D.kernelDescription)")
        }
    }
}
