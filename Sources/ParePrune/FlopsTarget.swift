import PareCore
import PareDepGraph
import PareIR

/// `--flops-reduction R`: the smallest channel ratio whose plan removes at least R of the MACs,
/// found by bisection. Each probe counts MACs analytically on a shapes-only copy of the pruned
/// graph (no weight is sliced), so probing costs milliseconds.
enum FlopsTarget {
    static func plan(model: Model, analysis: DependencyAnalysis, scores: [Int: [Double]], reduction: Double,
                     options: RankingOptions, file: String?) throws -> (plan: PrunePlan, notes: [Int: String]) {
        guard let dense = ModelCost.of(model).macs, dense > 0 else {
            throw PareError(.unsupported, file: file, "the model's MACs cannot be counted (an op without a shape rule)",
                            hint: "use --channel-ratio instead")
        }
        let shapesOnly = ShapesOnly.strip(model, keepingSmall: 4096)
        func reductionAt(_ ratio: Double) throws -> (Double, (plan: PrunePlan, notes: [Int: String])) {
            let planned = Ranking.plan(groups: analysis.groups, scores: scores, ratio: ratio, options: options)
            let pruned = try Surgery.apply(planned.plan, to: shapesOnly, analysis: analysis, file: file)
            let macs = ModelCost.of(pruned).macs ?? dense
            return (1 - Double(macs) / Double(dense), planned)
        }
        var low = 0.0, high = 1.0
        var best = try reductionAt(high)
        guard best.0 >= reduction else {
            throw PareError(.usage, file: file,
                            "at most \(Int(best.0 * 1000) / 10)% of the MACs can be removed within the limits (asked \(Int(reduction * 1000) / 10)%)",
                            hint: "lower --flops-reduction, or raise --max-ratio")
        }
        for _ in 0..<24 {
            let mid = (low + high) / 2
            let probe = try reductionAt(mid)
            if probe.0 >= reduction { high = mid; best = probe } else { low = mid }
        }
        return best.1
    }
}

/// A copy of a model whose large tensors keep their dims but drop their bytes, for counting.
enum ShapesOnly {
    static func strip(_ model: Model, keepingSmall limit: Int64) -> Model {
        guard var graph = model.graph else { return model }
        for i in graph.initializers.indices where (graph.initializers[i].elementCount ?? 0) > limit {
            let t = graph.initializers[i]
            graph.initializers[i] = Tensor(name: t.name, dataType: t.dataType, dims: t.dims)
        }
        var out = model
        out.graph = graph
        return out
    }
}
