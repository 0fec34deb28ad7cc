import PareCore
import PareIR
import PareTestSupport
import Testing
@testable import PareDepGraph

/// Groups on small graphs whose couplings are known by construction.
@Suite struct GroupTests {
    func group(_ a: DependencyAnalysis, producer tensor: String) -> ChannelGroup? {
        a.groups.first { $0.members.contains { $0.tensor == tensor && $0.role == .producer } }
    }

    func positions(_ g: ChannelGroup, _ tensor: String, axis: Int) -> [[Int]]? {
        g.members.first { $0.tensor == tensor && $0.axis == axis }.map { $0.positions.map { $0.flatMap(\.indices) } }
    }

    @Test func convBatchNormConvIsOneGroupWithEveryMember() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let c1 = n.conv("x", "c1", out: 4, in: 3, bias: true)
        let r = n.node("Relu", [n.batchNorm(c1, "bn", channels: 4)])
        let out = n.conv(r, "c2", out: 5, in: 4)
        let a = try DependencyGraph.analyze(n.model(output: out))
        let g = try #require(group(a, producer: "c1.weight"))
        #expect(g.prunable && g.channels == 4)
        #expect(Set(g.members.map { "\($0.tensor)@\($0.axis):\($0.role.rawValue)" }) == [
            "c1.weight@0:producer", "c1.bias@0:producer", "bn.weight@0:norm", "bn.bias@0:norm",
            "bn.running_mean@0:norm", "bn.running_var@0:norm", "c2.weight@1:consumer"])
        #expect(positions(g, "c2.weight", axis: 1) == [[0], [1], [2], [3]])
        let last = try #require(group(a, producer: "c2.weight"))
        #expect(!last.prunable && last.reason?.contains("graph output") == true)
        let input = try #require(a.groups.first { $0.members.contains { $0.tensor == "c1.weight" && $0.axis == 1 } })
        #expect(!input.prunable && input.reason?.contains("graph input") == true)
    }

    @Test func residualAddTiesBothBranches() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let stem = n.conv("x", "stem", out: 6, in: 3)
        let branch = n.conv(n.node("Relu", [n.conv(stem, "b1", out: 6, in: 6)]), "b2", out: 6, in: 6)
        let sum = n.node("Add", [stem, branch])
        let output = n.conv(sum, "head", out: 2, in: 6)
        let a = try DependencyGraph.analyze(n.model(output: output))
        let g = try #require(group(a, producer: "stem.weight"))
        #expect(g.members.filter { $0.role == .producer }.map(\.tensor).sorted() == ["b2.weight", "stem.weight"])
        #expect(Set(g.members.filter { $0.role == .consumer }.map(\.tensor)) == ["b1.weight", "head.weight"])
        #expect(group(a, producer: "b1.weight")?.channels == 6)
    }

    @Test func depthwiseConvPassesChannelsAndGroupedConvTiesInGroupPositions() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let c1 = n.conv("x", "c1", out: 8, in: 3)
        let dw = n.conv(c1, "dw", out: 8, in: 8, group: 8)
        let grouped = n.conv(dw, "g", out: 6, in: 8, group: 2)
        let output = n.conv(grouped, "head", out: 2, in: 6)
        let a = try DependencyGraph.analyze(n.model(output: output))
        let g = try #require(group(a, producer: "c1.weight"))
        // Input position j of each of the 2 groups is one channel: 4 channels, 2 positions each.
        #expect(g.channels == 4)
        #expect(positions(g, "c1.weight", axis: 0) == [[0, 4], [1, 5], [2, 6], [3, 7]])
        #expect(positions(g, "dw.weight", axis: 0) == [[0, 4], [1, 5], [2, 6], [3, 7]])
        #expect(positions(g, "g.weight", axis: 1) == [[0], [1], [2], [3]])
        #expect(a.rewrites.contains(.convGroup(node: 1, slot: Slot(c1, 1))))
        let out = try #require(group(a, producer: "g.weight"))
        #expect(out.channels == 3 && positions(out, "g.weight", axis: 0) == [[0, 3], [1, 4], [2, 5]])
    }

    @Test func concatOffsetsAndConcatOfTheSameValueTwice() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let a3 = n.conv("x", "a", out: 3, in: 3)
        let b5 = n.conv("x", "b", out: 5, in: 3)
        let cat = n.node("Concat", [a3, b5, a3], [.int("axis", 1)])
        let output = n.conv(cat, "c", out: 2, in: 11)
        let an = try DependencyGraph.analyze(n.model(output: output))
        let ga = try #require(group(an, producer: "a.weight"))
        #expect(positions(ga, "c.weight", axis: 1) == [[0, 8], [1, 9], [2, 10]])
        let gb = try #require(group(an, producer: "b.weight"))
        #expect(positions(gb, "c.weight", axis: 1) == [[3], [4], [5], [6], [7]])
    }

    @Test func flattenIntoGemmGivesBlocksOfPositions() throws {
        var n = NetBuilder(dims: [1, 3, 2, 2])
        let c = n.conv("x", "c", out: 4, in: 3)
        let flat = n.node("Flatten", [c], [.int("axis", 1)])
        let w = n.weight("fc.weight", [10, 16])
        let output = n.node("Gemm", [flat, w], [.int("transB", 1)])
        let a = try DependencyGraph.analyze(n.model(output: output))
        let g = try #require(group(a, producer: "c.weight"))
        #expect(positions(g, "fc.weight", axis: 1) == (0..<4).map { c in Array((4 * c)..<(4 * c + 4)) })
        #expect(g.members.first { $0.tensor == "fc.weight" }?.positions[1] == [PositionRun(start: 4, count: 4, stride: 1)])
    }

    @Test func unknownOpsFreezeWhatTheyTouchWithTheReason() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let c1 = n.conv("x", "c1", out: 4, in: 3)
        let odd = n.node("MysteryOp", [c1], domain: "com.example")
        let c2 = n.conv(n.node("LRN", [n.conv(odd, "c2", out: 4, in: 4)], [.int("size", 3)]), "c3", out: 2, in: 4)
        let a = try DependencyGraph.analyze(n.model(output: c2))
        let g1 = try #require(group(a, producer: "c1.weight"))
        #expect(!g1.prunable && g1.reason?.contains("custom domain 'com.example'") == true)
        let g2 = try #require(group(a, producer: "c2.weight"))
        #expect(!g2.prunable && g2.reason?.contains("no channel rule for LRN") == true)
    }

    @Test func squeezeExcitationGateSharesTheFeatureChannels() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let f = n.conv("x", "f", out: 6, in: 3)
        let pooled = n.node("GlobalAveragePool", [f])
        let gate = n.node("HardSigmoid", [n.conv(n.node("Relu", [n.conv(pooled, "se1", out: 2, in: 6, k: 1, bias: true)]),
                                                 "se2", out: 6, in: 2, k: 1, bias: true)])
        let scaled = n.node("Mul", [f, gate])
        let output = n.conv(scaled, "head", out: 2, in: 6)
        let a = try DependencyGraph.analyze(n.model(output: output))
        let g = try #require(group(a, producer: "f.weight"))
        #expect(Set(g.members.filter { $0.role == .producer }.map(\.tensor)) == ["f.weight", "se2.weight", "se2.bias"])
        #expect(Set(g.members.filter { $0.role == .consumer }.map(\.tensor)) == ["se1.weight", "head.weight"])
    }

    @Test func analysisIsDeterministic() throws {
        var n = NetBuilder(dims: [1, 3, 8, 8])
        let stem = n.conv("x", "stem", out: 8, in: 3)
        let parts = n.node("Split", [stem, n.ints("sizes", [4, 4])], outputs: 2, [.int("axis", 1)])
        let cat = n.node("Concat", [n.conv(parts + "_1", "br", out: 4, in: 4), parts], [.int("axis", 1)])
        let head = n.conv(cat, "head", out: 2, in: 8)
        let model = n.model(output: head)
        let first = try DependencyGraph.analyze(model).groups
        for _ in 0..<5 { #expect(try DependencyGraph.analyze(model).groups == first) }
        #expect(first.filter { $0.members.contains { $0.tensor == "stem.weight" && $0.role == .producer } }.count == 2)
    }
}
