import Foundation
import PareCore
import PareDepGraph
import PareIR
import PareTestSupport
import Testing
@testable import ParePrune

@Suite struct RankingTests {
    func group(_ id: Int, _ channels: Int, positionsPerChannel: Int = 1) -> ChannelGroup {
        let producer = GroupMember(tensor: "w\(id)", axis: 0, role: .producer,
                                   positions: (0..<channels).map { c in [PositionRun(start: c * positionsPerChannel, count: positionsPerChannel)] },
                                   operand: 1)
        return ChannelGroup(id: id, channels: channels, prunable: true, reason: nil, members: [producer])
    }

    @Test func localRatioRemovesEachGroupsLowestChannels() {
        let groups = [group(0, 8), group(1, 4)]
        let scores: [Int: [Double]] = [0: [5, 1, 7, 3, 8, 2, 6, 4], 1: [0.5, 0.1, 0.9, 0.3]]
        let (plan, _) = Ranking.plan(groups: groups, scores: scores, ratio: 0.5, options: RankingOptions())
        #expect(plan.removals == [0: [1, 3, 5, 7], 1: [1, 3]])
    }

    @Test func maxRatioHoldsInGlobalRankingAndOneChannelAlwaysStays() {
        let groups = [group(0, 4), group(1, 4)]
        let scores: [Int: [Double]] = [0: [0.1, 0.2, 0.3, 0.4], 1: [5, 6, 7, 8]]
        let (plan, notes) = Ranking.plan(groups: groups, scores: scores, ratio: 0.5, options: RankingOptions(maxRatio: 0.5, global: true))
        #expect(plan.removals[0] == [0, 1])
        #expect(plan.removals[1] == [0, 1])
        #expect(notes[0] == "reached its maximum ratio")
        let (all, _) = Ranking.plan(groups: groups, scores: scores, ratio: 0.99, options: RankingOptions(global: true))
        #expect(all.removals.values.allSatisfy { $0.count == 3 })
    }

    @Test func roundToKeepsMultiplesCountingPositionsPerChannel() {
        let (plan, _) = Ranking.plan(groups: [group(0, 20)], scores: [0: (0..<20).map(Double.init)], ratio: 0.5,
                                     options: RankingOptions(roundTo: 8))
        #expect(plan.removals[0]?.count == 4)  // keeps 16
        // A grouped conv folds 2 positions per channel: 8 | 2·kept needs kept to be a multiple of 4.
        let (folded, _) = Ranking.plan(groups: [group(0, 10, positionsPerChannel: 2)], scores: [0: (0..<10).map(Double.init)],
                                       ratio: 0.5, options: RankingOptions(roundTo: 8))
        #expect(folded.removals[0]?.count == 2)  // keeps 8 channels = 16 positions
        let (none, notes) = Ranking.plan(groups: [group(0, 6)], scores: [0: (0..<6).map(Double.init)], ratio: 0.3,
                                         options: RankingOptions(roundTo: 8))
        #expect(none.removals.isEmpty && notes[0]?.contains("multiple of 8") == true)
    }

    @Test func magnitudeScoresSumEveryScoredSliceAndNormalise() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let c1 = n.conv("x", "c1", out: 2, in: 2, k: 1)  // weight values 0, 1, 2, 3
        let out = n.conv(c1, "c2", out: 1, in: 2, k: 1)   // weight values 100, 101
        let model = n.model(output: out)
        let a = try DependencyGraph.analyze(model)
        let g = try #require(a.groups.first { $0.prunable })
        let l1 = try Importance.scores(g, criterion: .l1, model: model, seed: 0)
        // channel 0: (0 + 1 + 100) / 2 members; channel 1: (2 + 3 + 101) / 2; then ÷ mean.
        let raw = [101.0 / 2, 106.0 / 2], mean = (raw[0] + raw[1]) / 2
        #expect(abs(l1[0] - raw[0] / mean) < 1e-9 && abs(l1[1] - raw[1] / mean) < 1e-9)
        let l2 = try Importance.scores(g, criterion: .l2, model: model, seed: 0)
        #expect(l2[0] < l2[1])
        #expect(throws: PareError.self) { try Importance.scores(g, criterion: .bn, model: model, seed: 0) }
        let r1 = try Importance.scores(g, criterion: .random, model: model, seed: 7)
        #expect(r1 == (try Importance.scores(g, criterion: .random, model: model, seed: 7)))
        #expect(r1 != (try Importance.scores(g, criterion: .random, model: model, seed: 8)))
    }

    @Test func planFilesResolveMembersAndRejectAmbiguity() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let c1 = n.conv("x", "c1", out: 3, in: 2, k: 1)
        let out = n.conv(n.conv(c1, "c2", out: 3, in: 3, k: 1), "c3", out: 1, in: 3, k: 1)
        let a = try DependencyGraph.analyze(n.model(output: out))
        let plan = try PlanFile.parse(Data(#"{"groups":[{"member":"c2.weight","remove":[2]}]}"#.utf8), path: "p", analysis: a)
        let c2Group = try #require(a.groups.first { $0.members.contains { $0.tensor == "c2.weight" && $0.role == .producer } })
        #expect(plan.removals == [c2Group.id: [2]])  // a weight names the group of its outputs
        let byAxis = try PlanFile.parse(Data(#"{"groups":[{"member":"c2.weight","axis":1,"remove":[0]}]}"#.utf8), path: "p", analysis: a)
        #expect(byAxis.removals.keys.first != c2Group.id)
        #expect(throws: PareError.self) { try PlanFile.parse(Data(#"{"groups":[{"member":"nope","remove":[0]}]}"#.utf8), path: "p", analysis: a) }
        #expect(throws: PareError.self) { try PlanFile.parse(Data(#"{"groups":[{"member":"c2.weight","remove":[true]}]}"#.utf8), path: "p", analysis: a) }
        #expect(throws: PareError.self) { try PlanFile.parse(Data(#"{"groups":[{"member":"c2.weight","remove":[1]},{"member":"c2.weight","remove":[0]}]}"#.utf8), path: "p", analysis: a) }
    }
}
