import PareIR

/// Turns closed couplings into groups (§2.4): each union-find class that reaches a weight is a
/// channel; channels touching the same member slots form a group; groups are ordered by their
/// first member's node and channels by their position on the root member.
enum GroupFormation {
    static func form(_ state: CouplingState) -> DependencyAnalysis {
        var state = state
        let atomCount = state.sets.count
        var root = [Int](repeating: 0, count: atomCount)
        for a in 0..<atomCount { root[a] = state.sets.find(a) }
        var frozenReason: [Int: String] = [:]
        for (atom, reason) in state.frozen where frozenReason[root[atom]] == nil { frozenReason[root[atom]] = reason }

        // Member slot index → per class, its positions on that slot.
        let members = state.members
        var classMembers: [Int: [Int]] = [:]          // class → member indices (ascending)
        var classPositions: [Int: [Int: [Int]]] = [:] // class → member index → positions
        for (m, member) in members.enumerated() {
            guard let s = state.allSlots[member.slot] else { continue }
            for p in 0..<s.extent {
                let r = root[s.base + p]
                if classPositions[r, default: [:]][m] == nil { classMembers[r, default: []].append(m) }
                classPositions[r, default: [:]][m, default: []].append(p)
            }
        }
        // Group classes by member set.
        var byKey: [[Int]: [Int]] = [:]
        for (r, ms) in classMembers { byKey[ms, default: []].append(r) }
        struct Draft { var key: [Int]; var classes: [Int]; var rootMember: Int }
        var drafts: [Draft] = byKey.map { key, classes in
            let producer = key.first { members[$0].role == .producer } ?? key[0]
            let ordered = classes.sorted { classPositions[$0]![producer]![0] < classPositions[$1]![producer]![0] }
            return Draft(key: key, classes: ordered, rootMember: producer)
        }
        // Deterministic order (group ids must not change between runs): the root member's node,
        // name and axis, then its first position (one conv's outputs can feed several groups).
        func firstPosition(_ d: Draft) -> Int { classPositions[d.classes[0]]![d.rootMember]![0] }
        drafts.sort { a, b in
            let ma = members[a.rootMember], mb = members[b.rootMember]
            return (ma.node, ma.slot.value, ma.slot.axis, firstPosition(a)) < (mb.node, mb.slot.value, mb.slot.axis, firstPosition(b))
        }

        var groups: [ChannelGroup] = []
        var classToChannel: [Int: DependencyAnalysis.GroupChannel] = [:]
        for (id, draft) in drafts.enumerated() {
            let groupMembers = draft.key.map { m in
                GroupMember(tensor: members[m].slot.value, axis: members[m].slot.axis, role: members[m].role,
                            positions: draft.classes.map { runs(classPositions[$0]![m]!) }, operand: members[m].operand)
            }
            let hasProducer = draft.key.contains { members[$0].role == .producer }
            let frozen = draft.classes.lazy.compactMap { frozenReason[$0] }.first
            let reason = frozen ?? (hasProducer ? nil : "no weight computes these channels (no producer member)")
            groups.append(ChannelGroup(id: id, channels: draft.classes.count, prunable: reason == nil, reason: reason,
                                       members: groupMembers))
            for (c, r) in draft.classes.enumerated() { classToChannel[r] = .init(group: id, channel: c) }
        }
        var atomChannel = [DependencyAnalysis.GroupChannel?](repeating: nil, count: atomCount)
        for a in 0..<atomCount { atomChannel[a] = classToChannel[root[a]] }
        var slots: [Slot: Range<Int>] = [:]
        for (slot, s) in state.allSlots { slots[slot] = s.base..<(s.base + s.extent) }
        return DependencyAnalysis(groups: groups, rewrites: state.rewrites, slots: slots, atomChannel: atomChannel)
    }

    /// Ascending positions compressed into runs of equal stride.
    static func runs(_ positions: [Int]) -> [PositionRun] {
        var out: [PositionRun] = []
        var i = 0
        while i < positions.count {
            var run = PositionRun(start: positions[i])
            if i + 1 < positions.count {
                let stride = positions[i + 1] - positions[i]
                var j = i + 1
                while j < positions.count && positions[j] - positions[j - 1] == stride { j += 1 }
                run = PositionRun(start: positions[i], count: j - i, stride: stride)
                i = j
            } else {
                i += 1
            }
            out.append(run)
        }
        return out
    }
}
