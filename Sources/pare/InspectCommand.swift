import ArgumentParser
import Foundation
import PareCore
import PareFormats
import PareIR
import PareONNX

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what is inside a model or weights file.",
        discussion: """
        ONNX: IR version, opsets, producer, inputs and outputs with inferred shapes, op histogram,
        parameters and bytes per dtype, MACs (per sample when the batch dim is symbolic), and the
        largest tensors. Reads no weight bytes, so it is fast on large models. Exits 1 (after
        printing) when the model has checker errors.

        safetensors, PyTorch checkpoints, .npy and .npz: every tensor with dtype, shape and bytes,
        the file's metadata, and values that are not tensors.
        """)

    @Argument(help: "The file to inspect (format detected by content).") var model: String
    @Flag(help: "Print a machine-readable summary.") var json = false
    @Option(help: "How many of the largest tensors to list.") var top = 10
    @Flag(help: "List every node of the main graph with its output shape and MACs.") var nodes = false

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more, got \(top)") }
    }

    func run() throws {
        let format = try FormatDetector.detect(path: model)
        if format != .onnx && format != .unknown {
            let (detected, set) = try WeightsIO.read(path: model)
            let summary = WeightsSummary(file: model, format: detected, set: set)
            print(json ? try Self.encode(summary) : summary.text)
            return
        }
        let loaded = try ONNXReader.read(path: model)
        var summary = ModelSummary(model: loaded.model, file: model, fileBytes: loaded.fileSize, largest: top)
        // Per-node costs are long: only with --nodes, in text and JSON alike.
        let nodeList = summary.nodesText
        if !nodes { summary.macsByNode = nil }
        if json {
            print(try Self.encode(summary))
        } else {
            print(summary.text)
            if nodes { print(nodeList) }
        }
        if let (count, first) = Validation.errorSummary(loaded) {
            FileHandleStderr.write("pare: \(model): the model is invalid (\(count) error(s); first: \(first)) (run `pare check` for all of them)\n")
            throw ExitCode(1)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(value), as: UTF8.self)
    }
}
