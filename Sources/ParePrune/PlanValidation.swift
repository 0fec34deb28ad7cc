import PareCore
import PareDepGraph

/// Checks a plan against the groups before anything is touched (dependency-graph.md §6 step 1):
/// every error names the group, the channel and the rule it breaks.
enum PlanValidation {
    static func validate(_ plan: PrunePlan, groups: [ChannelGroup], file: String?) throws {
        let byId = Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0) })
        for (id, channels) in plan.removals.sorted(by: { $0.key < $1.key }) where !channels.isEmpty {
            guard let group = byId[id] else {
                throw PareError(.usage, file: file, place: "group \(id)", "there is no such group",
                                hint: "`pare groups MODEL` lists the groups")
            }
            let root = group.members.first?.tensor ?? "?"
            guard group.prunable else {
                throw PareError(.usage, file: file, place: "group \(id) (\(root))",
                                "the group is frozen and cannot be pruned: \(group.reason ?? "")")
            }
            var seen = Set<Int>()
            for c in channels {
                guard c >= 0 && c < group.channels else {
                    throw PareError(.usage, file: file, place: "group \(id) (\(root))",
                                    "channel \(c) is out of range (the group has \(group.channels) channels, 0…\(group.channels - 1))")
                }
                guard seen.insert(c).inserted else {
                    throw PareError(.usage, file: file, place: "group \(id) (\(root))", "channel \(c) is listed twice")
                }
            }
            guard seen.count < group.channels else {
                throw PareError(.usage, file: file, place: "group \(id) (\(root))",
                                "the plan removes all \(group.channels) channels; at least one must stay")
            }
        }
    }
}
