import ArgumentParser
import PareCore
import PareONNX

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Re-serialise a model, optionally moving its weights into or out of external data.",
        discussion: """
        Reads IN and writes OUT losslessly: metadata, doc strings, value_info, functions, subgraphs,
        training info and unknown fields all survive. OUT is written atomically; IN is never touched.

        By default tensors stay where they were; external tensors go to a new data file named
        after OUT (OUT.data). A model too big for one protobuf message (2 GiB) is switched to
        external data automatically.

        Examples:
          pare convert big.onnx big-ext.onnx --external-data   weights ≥ 1 KiB into big-ext.onnx.data
          pare convert big-ext.onnx single.onnx --inline       everything back into one file
        """)

    @Argument(help: "The model to read (.onnx).") var input: String
    @Argument(help: "Where to write the converted model.") var output: String
    @Flag(help: "Store every tensor of at least --threshold bytes in OUT.data.") var externalData = false
    @Flag(help: "Store every tensor inside OUT (fails above 2 GiB).") var inline = false
    @Option(help: "Smallest tensor, in bytes, moved to external data.") var threshold = 1024
    @Option(help: "Alignment of tensor offsets in the data file, in bytes.") var alignment: Int64 = 4096

    func validate() throws {
        if externalData && inline { throw ValidationError("--external-data and --inline exclude each other") }
        if threshold < 0 { throw ValidationError("--threshold must be 0 or more") }
        if alignment < 1 { throw ValidationError("--alignment must be at least 1") }
    }

    func run() throws {
        let loaded = try ONNXReader.read(path: input)
        var options = ONNXWriteOptions()
        options.externalData = externalData ? .external : inline ? .inline : .keep
        options.threshold = threshold
        options.alignment = alignment
        let summary = try ONNXWriter.write(loaded.model, to: output, resolver: ExternalDataResolver(modelPath: input),
                                           options: options)
        var line = "wrote \(output) (\(summary.modelBytes) bytes)"
        if let data = summary.dataFile {
            line += " and \(data) (\(summary.dataBytes) bytes, \(summary.externalTensors) tensors)"
        }
        print(line)
    }
}
