import Foundation
import PareCheck
import PareCore
import PareDepGraph
import PareIR
import PareONNX

/// One `pare prune` run as a library call: analyse, plan (from a file or a criterion), cut,
/// verify, and report. The CLI only maps arguments onto it.
public struct PruneRequest: Sendable {
    public enum Source: Sendable {
        case planFile(String)
        case criterion(Criterion, target: Target, options: RankingOptions, seed: UInt64)
    }
    public enum Target: Sendable {
        case channelRatio(Double)
        case flopsReduction(Double)
    }
    public var source: Source
    public var inputShapes: [String: [Int64]]
    /// Tensors whose groups stay whole (Torch-Pruning's `ignored_layers`, by weight name).
    public var keep: [String]
    public init(source: Source, inputShapes: [String: [Int64]] = [:], keep: [String] = []) {
        self.source = source; self.inputShapes = inputShapes; self.keep = keep
    }
}

public struct PruneOutcome: Sendable {
    public var model: Model
    public var analysis: DependencyAnalysis
    public var plan: PrunePlan
    /// Why groups kept more than the target asked (frozen, limits, rounding).
    public var notes: [Int: String]
    public var before: (macs: Int64?, parameters: Int64)
    public var after: (macs: Int64?, parameters: Int64)
    public var seconds: [(phase: String, seconds: Double)]
}

public enum PruneSession {
    public static func run(_ loaded: LoadedModel, _ request: PruneRequest) throws -> PruneOutcome {
        var timer = PhaseTimer()
        var model = loaded.model
        var analysis = try DependencyGraph.analyze(model, inputShapes: request.inputShapes)
        try KeepList.apply(request.keep, to: &analysis, file: loaded.path)
        timer.lap("graph")
        model = try ExternalWeights.inline(model, names: analysis.memberStorages, modelPath: loaded.path)
        let plan: PrunePlan
        var notes: [Int: String] = [:]
        switch request.source {
        case .planFile(let path):
            plan = try PlanFile.read(path: path, analysis: analysis)
        case let .criterion(criterion, target, options, seed):
            var scores: [Int: [Double]] = [:]
            let cache = MagnitudeCache()
            for g in analysis.groups {
                guard g.prunable else { notes[g.id] = "frozen: \(g.reason ?? "")"; continue }
                scores[g.id] = try Importance.scores(g, criterion: criterion, model: model, seed: seed, cache: cache)
            }
            let planned: (plan: PrunePlan, notes: [Int: String])
            switch target {
            case .channelRatio(let ratio):
                planned = Ranking.plan(groups: analysis.groups, scores: scores, ratio: ratio, options: options)
            case .flopsReduction(let reduction):
                planned = try FlopsTarget.plan(model: model, analysis: analysis, scores: scores, reduction: reduction,
                                               options: options, file: loaded.path)
            }
            plan = planned.plan
            notes.merge(planned.notes) { a, _ in a }
        }
        timer.lap("plan")
        let pruned = try Surgery.apply(plan, to: model, analysis: analysis, file: loaded.path)
        timer.lap("surgery")
        let report = Checker.check(pruned, path: loaded.path, options: { var o = CheckOptions(); o.fullCheck = true; return o }())
        if let first = report.diagnostics.first(where: { $0.severity == .error }) {
            throw PareError(.invalid, file: loaded.path, "internal error: the pruned model fails \(first.rule) at \(first.location): \(first.message); nothing was written",
                            hint: "please report this model")
        }
        timer.lap("check")
        let before = ModelCost.of(model), after = ModelCost.of(pruned)
        return PruneOutcome(model: pruned, analysis: analysis, plan: plan, notes: notes, before: before, after: after,
                            seconds: timer.laps)
    }
}

/// `--keep NAME`: every group with NAME as a member stays whole, as if frozen.
enum KeepList {
    static func apply(_ names: [String], to analysis: inout DependencyAnalysis, file: String?) throws {
        for name in names {
            let hits = analysis.groups.indices.filter { analysis.groups[$0].members.contains { $0.tensor == name } }
            guard !hits.isEmpty else {
                throw PareError(.usage, file: file, "--keep '\(name)' is not a member of any group",
                                hint: "name a weight tensor listed by `pare groups`")
            }
            for g in hits where analysis.groups[g].prunable {
                analysis.groups[g].prunable = false
                analysis.groups[g].reason = "kept whole by --keep \(name)"
            }
        }
    }
}

/// MACs (Torch-Pruning's convention, per sample) and parameter count, as `pare inspect` reports them.
enum ModelCost {
    static func of(_ model: Model) -> (macs: Int64?, parameters: Int64) {
        let summary = ModelSummary(model: model, file: "", fileBytes: 0, largest: 0)
        return (summary.macs, summary.parameters)
    }
}

struct PhaseTimer {
    private var last = Date()
    private(set) var laps: [(phase: String, seconds: Double)] = []
    mutating func lap(_ phase: String) {
        let now = Date()
        laps.append((phase, now.timeIntervalSince(last)))
        last = now
    }
}

/// Member tensors stored as external data are read into memory before slicing, so the pruned
/// model never points into the original's data file.
enum ExternalWeights {
    static func inline(_ model: Model, names: Set<String>, modelPath: String) throws -> Model {
        guard var graph = model.graph, graph.initializers.contains(where: { $0.isExternal && names.contains($0.name ?? "") }) else {
            return model
        }
        let resolver = ExternalDataResolver(modelPath: modelPath)
        for i in graph.initializers.indices where graph.initializers[i].isExternal && names.contains(graph.initializers[i].name ?? "") {
            let t = graph.initializers[i]
            let bytes = try resolver.bytes(of: t, place: "initializer '\(t.name ?? "")'")
            var inline = Tensor(name: t.name ?? "", type: t.dtype ?? .float, dims: t.dims, raw: bytes)
            inline.docString = t.docString
            graph.initializers[i] = inline
        }
        var out = model
        out.graph = graph
        return out
    }
}
