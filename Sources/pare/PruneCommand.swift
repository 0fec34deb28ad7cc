import ArgumentParser
import Foundation
import PareCore
import PareDepGraph
import PareIR
import PareONNX
import ParePrune

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove channels from an ONNX model and write a smaller, valid ONNX model.",
        discussion: """
        Channels go a whole group at a time (see `pare groups`): every coupled
        weight, bias, BatchNorm entry, shape constant, Split size and depthwise
        `group` changes together, so the result is valid and computes what the
        original computes with those channels zeroed. The output is checked
        (onnx's rules with full shape inference) before it is written; nothing
        is written on any error.

        Choose the channels with a plan file or a criterion:
          --plan PLAN.json
              {"groups":[{"member":"layer1.0.conv1.weight","remove":[0,5]}]}
              a member tensor names its group (a conv weight: its outputs;
              add "axis": 1 for its inputs, or give "group": ID instead);
              indices are the group's channels
          --method l1|l2|bn|random
              weight magnitude (Σ|w| or Σw² over every member slice, as
              Torch-Pruning), BatchNorm |γ|, or seeded chance, with
            --channel-ratio R     remove R of each group (--global: R of all)
            --flops-reduction R   remove channels until MACs drop by R
                                  (global ranking unless --local)

        Limits: --max-ratio R keeps at least (1 − R) of every group, in global
        ranking too; --round-to N keeps widths that are multiples of N (faster
        kernels); --keep WEIGHT leaves that weight's groups whole. Groups that
        keep more than asked are listed with the reason. The classifier's
        outputs are never pruned: graph outputs are frozen.

        Examples:
          pare prune resnet50.onnx --method l2 --channel-ratio 0.5 -o slim.onnx
          pare prune m.onnx --method l2 --flops-reduction 0.5 --max-ratio 0.8 \\
              --round-to 8 -o slim.onnx --report report.json
          pare prune m.onnx --plan plan.json -o slim.onnx
        """)

    @Argument(help: "The ONNX model to prune.") var model: String
    @Option(name: .shortAndLong, help: "Where to write the pruned model.") var output: String
    @Option(help: "A plan file naming the channels to remove.") var plan: String?
    @Option(help: "Ranking criterion: l1, l2, bn or random.") var method: String?
    @Option(name: .customLong("channel-ratio"), help: "Fraction of channels to remove (0…1).") var channelRatio: Double?
    @Option(name: .customLong("flops-reduction"), help: "Fraction of MACs to remove (0…1).") var flopsReduction: Double?
    @Option(name: .customLong("max-ratio"), help: "Most any one group may lose (0…1, default 1: all but one channel).") var maxRatio: Double = 1
    @Option(name: .customLong("round-to"), help: "Keep widths that are multiples of N.") var roundTo: Int?
    @Flag(help: "Rank channels across groups.") var global = false
    @Flag(help: "Rank channels within each group.") var local = false
    @Option(help: "Seed for --method random.") var seed: UInt64 = 0
    @Option(help: "Write a JSON report of widths, MACs and parameters before and after.") var report: String?
    @Option(name: .customLong("input-shape"), help: "Fix an input's shape for analysis (NAME=1x3x224x224); repeatable.")
    var inputShapes: [String] = []
    @Option(help: "Keep every group this weight belongs to whole (e.g. a detection head); repeatable.")
    var keep: [String] = []
    @Flag(help: "Prune a model that fails checker rules anyway.") var force = false

    func validate() throws {
        func inUnit(_ v: Double?, _ name: String, open: Bool) throws {
            guard let v else { return }
            guard v >= 0, open ? v < 1 : v <= 1 else { throw ValidationError("\(name) must be in [0, 1\(open ? ")" : "]"), got \(v)") }
        }
        try inUnit(channelRatio, "--channel-ratio", open: true)
        try inUnit(flopsReduction, "--flops-reduction", open: true)
        try inUnit(maxRatio, "--max-ratio", open: false)
        if let roundTo, roundTo < 1 { throw ValidationError("--round-to must be at least 1") }
        if global && local { throw ValidationError("choose --global or --local, not both") }
        switch (plan, method) {
        case (nil, nil): throw ValidationError("give --plan PLAN.json or --method l1|l2|bn|random")
        case (.some, .some): throw ValidationError("give --plan or --method, not both")
        case (.some, nil):
            if channelRatio != nil || flopsReduction != nil { throw ValidationError("--plan names the channels itself; drop the ratio") }
        case (nil, .some(let m)):
            guard Criterion(rawValue: m) != nil else { throw ValidationError("unknown method '\(m)'; use l1, l2, bn or random") }
            guard (channelRatio == nil) != (flopsReduction == nil) else {
                throw ValidationError("with --method give exactly one of --channel-ratio and --flops-reduction")
            }
        }
    }

    func run() throws {
        try AtomicFileWriter.checkDestination(output)
        if let report { try AtomicFileWriter.checkDestination(report, example: "report.json") }
        // `-o` may replace the model it is made from (the write is atomic); nothing else may.
        try DistinctFiles.check(outputs: [.init("-o", output)] + (report.map { [.init("--report", $0)] } ?? []),
                                inputs: [.init("the model", model)] + (plan.map { [.init("--plan", $0)] } ?? []),
                                inPlace: [DistinctFiles.pairKey("-o", "the model")])
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "prune")
        let source: PruneRequest.Source
        if let plan {
            source = .planFile(plan)
        } else {
            let target: PruneRequest.Target = channelRatio.map { .channelRatio($0) } ?? .flopsReduction(flopsReduction ?? 0)
            let isGlobal = global || (!local && flopsReduction != nil)
            source = .criterion(Criterion(rawValue: method ?? "")!, target: target,
                                options: RankingOptions(maxRatio: maxRatio, roundTo: roundTo, global: isGlobal), seed: seed)
        }
        let outcome: PruneOutcome
        do {
            outcome = try PruneSession.run(loaded, PruneRequest(source: source, inputShapes: try InputShapes.parse(inputShapes), keep: keep))
        } catch let error as PareError { throw error.file == nil ? error.inFile(model) : error }
        let start = Date()
        let written = try ONNXWriter.write(outcome.model, to: output, resolver: ExternalDataResolver(modelPath: model))
        let writeSeconds = Date().timeIntervalSince(start)
        print(PruneText.summary(outcome, input: model, output: output, bytes: written.modelBytes + written.dataBytes,
                                writeSeconds: writeSeconds))
        if let report {
            let json = try PruneReport.json(outcome, input: model, output: output)
            try writeFileAtomically(report, Array(json.utf8))
        }
    }
}
