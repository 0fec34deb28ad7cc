import ArgumentParser
import PareCore
import PareFormats
import PareONNX

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between ONNX, safetensors, PyTorch checkpoints and NumPy archives.",
        discussion: """
        The input format is decided by the file's content, never by its extension; the output
        format by --to or OUT's extension (.safetensors, .pt/.pth/.bin, .npz, .onnx). Names and
        dtypes are kept. Outputs are written atomically; the input is never touched, and a
        failure leaves no output behind.

        ONNX → ONNX re-serialises losslessly (metadata, functions, subgraphs, unknown fields all
        survive). By default tensors stay where they were; a model too big for one protobuf
        message (2 GiB) is switched to external data (OUT.data) automatically.

        Examples:
          pare convert model.pt model.safetensors               PyTorch state_dict → safetensors
          pare convert model.safetensors weights.npz --dtype f16
          pare convert model.onnx weights.safetensors           ONNX initializers → safetensors
          pare convert big.onnx big-ext.onnx --external-data    weights ≥ 1 KiB into big-ext.onnx.data
          pare convert trained.pt --into model.onnx -o updated.onnx
                                  write a state_dict into an ONNX model: by name, and by graph
                                  structure for exporter-renamed or BN-folded initializers;
                                  prints a table of what matched and what did not
        """)

    @Argument(help: "The file to read.") var input: String
    @Argument(help: "Where to write (or use -o).") var positionalOutput: String?
    @Option(name: .shortAndLong, help: "Where to write.") var output: String?
    @Option(help: "Output weights format: safetensors, pytorch or npz (default: from OUT's extension).")
    var to: WeightsFormat?
    @Option(help: "Cast float32/float16/bfloat16 tensors: f32, f16 or bf16.") var dtype: CastTarget?
    @Option(help: "An ONNX model whose initializers receive the weights of INPUT.") var into: String?
    @Option(help: "BatchNorm epsilon used when folding BN into a Conv for --into.") var bnEpsilon: Float = 1e-5
    @Flag(help: "Convert an ONNX model even if `pare check` finds errors in it.") var force = false
    @Flag(help: "ONNX output: store every tensor of at least --threshold bytes in OUT.data.") var externalData = false
    @Flag(help: "ONNX output: store every tensor inside OUT (fails above 2 GiB).") var inline = false
    @Option(help: "ONNX output: smallest tensor, in bytes, moved to external data.") var threshold = 1024
    @Option(help: "ONNX output: alignment of tensor offsets in the data file, in bytes.") var alignment: Int64 = 4096

    enum CastTarget: String, ExpressibleByArgument {
        case f32, f16, bf16
        var dtype: DType { self == .f32 ? .float : self == .f16 ? .float16 : .bfloat16 }
    }

    var destination: String { output ?? positionalOutput ?? "" }

    func validate() throws {
        if output != nil && positionalOutput != nil { throw ValidationError("give OUT either as an argument or with -o, not both") }
        if output == nil && positionalOutput == nil { throw ValidationError("missing the output file (OUT or -o OUT)") }
        if externalData && inline { throw ValidationError("--external-data and --inline exclude each other") }
        if threshold < 0 { throw ValidationError("--threshold must be 0 or more") }
        // Offsets are padded up to the alignment, so a huge one mostly writes zeros (1 GiB of them
        // per tensor at 2^30); 16 MiB covers page, huge-page and mapping granularities.
        if alignment < 1 || alignment > 1 << 24 || alignment & (alignment - 1) != 0 {
            throw ValidationError("--alignment must be a power of two from 1 to 16777216 (16 MiB), got \(alignment)")
        }
        if !(bnEpsilon >= 0 && bnEpsilon.isFinite) { throw ValidationError("--bn-epsilon must be finite and not negative, got \(bnEpsilon)") }
        if into != nil && to != nil { throw ValidationError("--into writes an ONNX model; --to does not apply") }
    }

    var onnxOptions: ONNXWriteOptions {
        var options = ONNXWriteOptions()
        options.externalData = externalData ? .external : inline ? .inline : .keep
        options.threshold = threshold
        options.alignment = alignment
        return options
    }

    func run() throws {
        try AtomicFileWriter.checkDestination(destination)
        // The input is never touched (see the discussion above); an --into model may be updated in place.
        try DistinctFiles.check(outputs: [.init(output == nil ? "OUT" : "-o", destination)],
                                inputs: [.init("the input", input)] + (into.map { [.init("--into", $0)] } ?? []),
                                inPlace: [DistinctFiles.pairKey(output == nil ? "OUT" : "-o", "--into")],
                                hint: "convert to a new file; the input is never replaced")
        if let into { return try runInto(model: into) }
        let format = try FormatDetector.detect(path: input)
        let target = to ?? WeightsFormat.fromExtension(destination)
        if target == nil && (format == .onnx || format == .unknown) {
            return try runONNX()
        }
        guard let target else {
            throw PareError(.usage, file: destination, "cannot tell the output format from the file name",
                            hint: "use --to safetensors|pytorch|npz, or an extension .safetensors/.pt/.npz")
        }
        var (_, set) = try WeightsIO.read(path: input)
        if let dtype { set = WeightsCast.cast(set, to: dtype.dtype) }
        try WeightsIO.write(set, to: destination, format: target)
        let bytes = set.tensors.reduce(Int64(0)) { $0 + Int64($1.data.count) }
        print("wrote \(destination): \(set.tensors.count) tensors, \(bytes) bytes (\(target.rawValue))")
        if !set.otherValues.isEmpty {
            print("not written (not tensors):")
            for v in set.otherValues { print("  \(v.name): \(v.description)") }
        }
    }

    func runONNX() throws {
        if dtype != nil {
            throw PareError(.usage, "--dtype applies to weights outputs (.safetensors, .pt, .npz)",
                            hint: "convert the ONNX initializers with `pare convert model.onnx weights.safetensors --dtype f16`")
        }
        let loaded = try ONNXReader.read(path: input)
        try Validation.requireValid(loaded, force: force)
        let summary = try ONNXWriter.write(loaded.model, to: destination, resolver: ExternalDataResolver(modelPath: input),
                                           options: onnxOptions)
        printSummary(summary)
    }

    func runInto(model: String) throws {
        var (_, set) = try WeightsIO.read(path: input)
        if let dtype { set = WeightsCast.cast(set, to: dtype.dtype) }
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force)
        let (updated, table) = IntoONNX.apply(set, to: loaded.model, batchNormEpsilon: bnEpsilon)
        let width = max(12, table.map(\.initializer.count).max() ?? 0)
        print("initializer".padding(width) + "  how         source")
        for row in table {
            print(row.initializer.padding(width) + "  " + row.how.rawValue.padding(10) + "  " + row.source
                  + (row.note.isEmpty ? "" : "  (\(row.note))"))
        }
        let matched = table.filter { [.name, .structure, .foldedBatchNorm].contains($0.how) }.count
        let used = Set(table.filter { [.name, .structure, .foldedBatchNorm].contains($0.how) }.flatMap(\.inputs))
        let unused = set.tensors.filter { !used.contains($0.name) }.map(\.name)
        print("\(matched) of \(table.count) initializers replaced; \(table.count - matched) kept; \(unused.count) tensors of \(input) not used")
        if !unused.isEmpty {
            print("not used: " + unused.prefix(8).joined(separator: ", ") + (unused.count > 8 ? ", … (+\(unused.count - 8) more)" : ""))
        }
        let summary = try ONNXWriter.write(updated, to: destination, resolver: ExternalDataResolver(modelPath: model),
                                           options: onnxOptions)
        printSummary(summary)
    }

    func printSummary(_ summary: WriteSummary) {
        var line = "wrote \(destination) (\(summary.modelBytes) bytes)"
        if let data = summary.dataFile {
            line += " and \(data) (\(summary.dataBytes) bytes, \(summary.externalTensors) tensors)"
        }
        print(line)
    }
}

extension WeightsFormat: ExpressibleByArgument {}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
