import PareDepGraph

/// Turns per-channel scores into a plan (dependency-graph.md §5): the lowest-scored channels go,
/// per group (local) or across groups (global), never below one kept channel, never past the
/// maximum ratio (in global ranking too), and with kept widths rounded up to multiples of N.
public struct RankingOptions: Sendable {
    public var maxRatio: Double = 1
    public var roundTo: Int?
    public var global = false
    public init(maxRatio: Double = 1, roundTo: Int? = nil, global: Bool = false) {
        self.maxRatio = maxRatio; self.roundTo = roundTo; self.global = global
    }
}

public enum Ranking {
    /// The plan removing `ratio` of the channels. `scores[g]` holds group g's normalised scores;
    /// groups without scores (frozen) are skipped. Returns the plan and, per skipped or limited
    /// group, why it kept more than asked.
    public static func plan(groups: [ChannelGroup], scores: [Int: [Double]], ratio: Double,
                            options: RankingOptions) -> (plan: PrunePlan, notes: [Int: String]) {
        var notes: [Int: String] = [:]
        var removeCount: [Int: Int] = [:]
        let candidates = groups.filter { scores[$0.id] != nil }
        func cap(_ g: ChannelGroup) -> Int { min(g.channels - 1, Int((options.maxRatio * Double(g.channels)).rounded(.down))) }
        if options.global {
            var pool: [(score: Double, group: Int, channel: Int)] = []
            for g in candidates { for (c, s) in scores[g.id]!.enumerated() { pool.append((s, g.id, c)) } }
            pool.sort { ($0.score, $0.group, $0.channel) < ($1.score, $1.group, $1.channel) }
            let target = Int((ratio * Double(pool.count)).rounded(.down))
            let caps = Dictionary(uniqueKeysWithValues: candidates.map { ($0.id, cap($0)) })
            var taken = 0
            for entry in pool where taken < target {
                guard removeCount[entry.group, default: 0] < caps[entry.group]! else {
                    notes[entry.group] = "reached its maximum ratio"
                    continue
                }
                removeCount[entry.group, default: 0] += 1
                taken += 1
            }
        } else {
            for g in candidates {
                let wanted = Int((ratio * Double(g.channels)).rounded(.down))
                removeCount[g.id] = min(wanted, cap(g))
                if wanted > cap(g) { notes[g.id] = "limited by the maximum ratio (keeps at least one channel)" }
            }
        }
        var plan = PrunePlan()
        for g in candidates {
            var n = removeCount[g.id] ?? 0
            if let step = options.roundTo, step > 1, n > 0 {
                let perChannel = g.members.first { $0.role == .producer }?.positions.first?.reduce(0) { $0 + $1.count } ?? 1
                let unit = step / gcd(step, perChannel)
                var kept = g.channels - n
                if kept % unit != 0 { kept += unit - kept % unit }
                if kept >= g.channels {
                    notes[g.id] = "kept whole: no smaller width is a multiple of \(step)"
                    n = 0
                } else {
                    n = g.channels - kept
                }
            }
            guard n > 0 else { continue }
            let order = scores[g.id]!.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }
            // Global ranking decides how many go from each group; either way they are its lowest.
            plan.removals[g.id] = order.prefix(n).map(\.offset).sorted()
        }
        return (plan, notes)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
