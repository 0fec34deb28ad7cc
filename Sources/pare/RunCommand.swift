import ArgumentParser
import Foundation
import PareCore
import PareEngine
import PareONNX
import PareRuntime

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on Pare's CPU engine and write its outputs as .npy files.",
        discussion: """
        Each input is a .npy array or a serialized TensorProto (.pb, the layout
        of onnx's backend test data). The element type must be the one the
        model declares, and fixed dimensions must match. Every graph output is
        written to DIR/<output name>.npy (float32, int64 or bool) and its
        shape is printed.

        The model is checked first (as `pare check` does; --force runs an invalid
        one anyway). Unsupported ops are all reported, with node names, before
        anything runs.

        Examples:
          pare run model.onnx --input input=x.npy
          pare run model.onnx --input x=input_0.pb --output-dir out/
          pare run --list-ops
        """)

    @Argument(help: "The ONNX model.") var model: String?
    @Option(name: .customLong("input"), help: "NAME=FILE (.npy or .pb); one per graph input.") var inputs: [String] = []
    @Option(name: .customLong("output-dir"), help: "Where to write the outputs (default: the current folder).")
    var outputDir = "."
    @Option(help: "Threads for the engine and OpenBLAS (1–256).") var threads = 1
    @Flag(name: .customLong("list-ops"), help: "Print the supported ONNX ops and exit.") var listOps = false
    @Flag(help: "Run a model that fails checker rules anyway.") var force = false

    func run() throws {
        if listOps {
            print(InferenceSession.supportedOps.joined(separator: " "))
            return
        }
        guard let model else { throw PareError(.usage, "name a model", hint: "pare run MODEL --input NAME=FILE") }
        try ThreadLimit.check(threads)
        guard threads >= 1 else { throw PareError(.usage, "--threads must be at least 1") }
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "run")
        let session = try InferenceSession(model: loaded.model, path: model, threads: threads)
        let feeds = try TensorFiles.feeds(inputs, session: session)
        // Where each output goes, known before running so that an output file named like one
        // of the inputs (`--input x=logits.npy` for an output `logits`) is refused, not replaced.
        var used = Set<String>()
        let destinations = session.outputNames.map { name -> (name: String, path: String) in
            var file = TensorFiles.fileName(for: name)
            while !used.insert(file).inserted { file = "_" + file }
            return (name, (outputDir as NSString).appendingPathComponent(file))
        }
        let inputFiles = try inputs.map { DistinctFiles.Role("the input file", try TensorFiles.pair($0).path) }
        try DistinctFiles.check(outputs: destinations.map { .init("output '\($0.name)'", $0.path) },
                                inputs: [.init("the model", model)] + inputFiles, hint: "write the outputs elsewhere with --output-dir")
        let outputs = try session.run(feeds)
        try Folders.make(outputDir, purpose: "output folder")
        for (name, path) in destinations {
            guard let value = outputs[name] else { continue }
            try TensorFiles.write(value, name: name, to: path)
            print("\(name): \(value.kind.rawValue) \(value.shape) → \(path)")
        }
    }
}
