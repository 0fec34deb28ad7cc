import PareDepGraph
import PareIR

/// What one channel of each group costs (dependency-graph.md §8.3): the MACs and parameters that
/// removing a single channel saves, at the dense widths. Counted on a shapes-only copy of the
/// pruned graph (no weight is sliced), with the same counter as `pare inspect`, so the numbers
/// agree with Torch-Pruning's `count_ops_and_params` convention.
public struct ChannelCost: Sendable, Equatable {
    public var group: Int
    public var macs: Int64?
    public var parameters: Int64
}

public enum GroupCost {
    public static func perChannel(_ model: Model, analysis: DependencyAnalysis) throws -> [ChannelCost] {
        let shapes = ShapesOnly.strip(model, keepingSmall: 4096)
        let dense = ModelCost.of(shapes)
        return try analysis.groups.filter(\.prunable).map { g in
            let one = try Surgery.apply(PrunePlan(removals: [g.id: [0]]), to: shapes, analysis: analysis)
            let cost = ModelCost.of(one)
            return ChannelCost(group: g.id, macs: dense.macs.flatMap { d in cost.macs.map { d - $0 } },
                               parameters: dense.parameters - cost.parameters)
        }
    }
}
