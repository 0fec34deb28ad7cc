import ArgumentParser
import Foundation
import PareCore
import PareIR
import PareONNX

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what is inside a model: versions, inputs and outputs, ops, parameters, MACs.")

    @Argument(help: "The model to inspect (.onnx).") var model: String
    @Flag(help: "Print a machine-readable summary.") var json = false
    @Option(help: "How many of the largest tensors to list.") var top = 10
    @Flag(help: "List every node of the main graph with its output shape and MACs.") var nodes = false

    func run() throws {
        let loaded = try ONNXReader.read(path: model)
        var summary = ModelSummary(model: loaded.model, file: model, fileBytes: loaded.fileSize, largest: top)
        // Per-node costs are long: only with --nodes, in text and JSON alike.
        let nodeList = summary.nodesText
        if !nodes { summary.macsByNode = nil }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
            if nodes { print(nodeList) }
        }
    }
}
