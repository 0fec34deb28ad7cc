import PareCore
import PareIR

/// The channel dependency graph of a model (dependency-graph.md §2): every op rule couples atoms
/// (one per channel position of every feature map and weight axis), union-find closes the
/// couplings, graph inputs and outputs freeze, and equal member sets form groups.
public enum DependencyGraph {
    /// Analyses the main graph. `inputShapes` fixes symbolic input dims (e.g. a batch size) when
    /// the model's own declarations leave channel or spatial extents unknown.
    public static func analyze(_ model: Model, inputShapes: [String: [Int64]] = [:]) throws -> DependencyAnalysis {
        let view = try GraphView(model: model, inputShapes: inputShapes)
        var state = CouplingState(view: view)
        for index in view.graph.nodes.indices { OpRules.apply(node: index, to: &state) }
        if let slot = state.overBudget {
            throw PareError(.unsupported, place: "value '\(slot.value)' axis \(slot.axis)",
                            "the model declares more than \(CouplingState.atomBudget) channel positions in all; Pare will not analyse it",
                            hint: "check the tensor shapes (`pare check`); this is far beyond any real network")
        }
        for name in view.graphInputs.sorted() where (view.rank(name) ?? 0) >= 2 {
            state.freeze(Slot(name, 1), "graph input '\(name)'")
        }
        for name in view.graphOutputs.sorted() where (view.rank(name) ?? 0) >= 2 {
            state.freeze(Slot(name, 1), "graph output '\(name)'")
        }
        return GroupFormation.form(state)
    }
}

/// Everything later steps need: the groups, and for the surgery the atoms of every slot, which
/// group channel each atom belongs to, and the constants to rewrite.
public struct DependencyAnalysis: Sendable {
    public var groups: [ChannelGroup]
    /// Shape constants and attributes that follow pruned widths.
    public var rewrites: [Rewrite]
    /// Atom range of every slot that has channels (activations and weight axes).
    var slots: [Slot: Range<Int>]
    /// Per atom: the group and channel it belongs to, or nil when it is in no group.
    var atomChannel: [GroupChannel?]
    /// Weight members' storage names (initializers or Constant outputs), for callers that slice.
    public var memberStorages: Set<String> { Set(groups.flatMap { $0.members.map(\.tensor) }) }

    struct GroupChannel: Sendable, Hashable {
        var group: Int
        var channel: Int
    }

    /// The groups that have `tensor` as a member (a conv weight is in two: its output channels'
    /// group on axis 0 and its input channels' group on axis 1).
    public func groups(containing tensor: String, axis: Int? = nil) -> [(group: ChannelGroup, member: GroupMember)] {
        groups.compactMap { g in
            g.members.first { $0.tensor == tensor && (axis == nil || $0.axis == axis) }.map { (g, $0) }
        }
    }

    /// The group a plan means by a member name: the only group with that member, else the one
    /// where it is a producer (a conv weight names its output channels), else nil (ambiguous).
    public func group(named tensor: String, axis: Int? = nil) -> (group: ChannelGroup, member: GroupMember)? {
        let all = groups(containing: tensor, axis: axis)
        if all.count == 1 { return all[0] }
        let producers = all.filter { $0.member.role == .producer }
        return producers.count == 1 ? producers[0] : nil
    }

    /// For every slot that loses positions, the positions it keeps (ascending).
    public func keptPositions(removing removals: [Int: [Int]]) -> [Slot: [Int]] {
        var removed = Set<GroupChannel>()
        for (group, channels) in removals { for c in channels { removed.insert(GroupChannel(group: group, channel: c)) } }
        guard !removed.isEmpty else { return [:] }
        var kept: [Slot: [Int]] = [:]
        for (slot, range) in slots {
            var keep: [Int] = []
            var lost = false
            for (position, atom) in range.enumerated() {
                if let gc = atomChannel[atom], removed.contains(gc) { lost = true } else { keep.append(position) }
            }
            if lost { kept[slot] = keep }
        }
        return kept
    }

    /// The extent a slot had before pruning.
    public func extent(of slot: Slot) -> Int? { slots[slot]?.count }

}
