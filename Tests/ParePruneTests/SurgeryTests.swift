import PareCheck
import PareCore
import PareDepGraph
import PareIR
import PareTestSupport
import Testing
@testable import ParePrune

/// Physical removal on small graphs: exact sliced values, rewritten constants and attributes,
/// valid results, and plans rejected before anything changes.
@Suite struct SurgeryTests {
    func tensor(_ m: Model, _ name: String) -> Tensor? { m.graph?.initializer(named: name) }

    func groupID(_ a: DependencyAnalysis, _ producer: String) -> Int {
        a.groups.first { $0.members.contains { $0.tensor == producer && $0.role == .producer } }!.id
    }

    func expectValid(_ m: Model) {
        var options = CheckOptions()
        options.fullCheck = true
        let errors = Checker.check(m, options: options).diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map { "\($0.rule) \($0.message)" })")
    }

    @Test func slicesProducerRowsNormEntriesAndConsumerColumns() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let c1 = n.conv("x", "c1", out: 3, in: 2, k: 1, bias: true)
        let out = n.conv(n.node("Relu", [n.batchNorm(c1, "bn", channels: 3)]), "c2", out: 2, in: 3, k: 1)
        let model = n.model(output: out)
        let a = try DependencyGraph.analyze(model)
        let pruned = try Surgery.apply(PrunePlan(removals: [groupID(a, "c1.weight"): [1]]), to: model, analysis: a)
        let w1 = try #require(tensor(pruned, "c1.weight")), original = try #require(tensor(model, "c1.weight"))
        #expect(w1.dims == [2, 2, 1, 1])
        #expect(w1.floatValues == [original.floatValues[0], original.floatValues[1], original.floatValues[4], original.floatValues[5]])
        #expect(tensor(pruned, "c1.bias")?.floatValues == [0.5, 2.5])
        #expect(tensor(pruned, "bn.running_var")?.floatValues == [4, 6])
        let w2 = try #require(tensor(pruned, "c2.weight")), o2 = try #require(tensor(model, "c2.weight"))
        #expect(w2.dims == [2, 2, 1, 1])
        #expect(w2.floatValues == [o2.floatValues[0], o2.floatValues[2], o2.floatValues[3], o2.floatValues[5]])
        expectValid(pruned)
        // Nothing else changes: node list and untouched tensors are identical.
        #expect(pruned.graph?.nodes == model.graph?.nodes)
        #expect(try Surgery.apply(PrunePlan(), to: model, analysis: a) == model)
    }

    @Test func rewritesDepthwiseGroupReshapeConstantAndSplitSizes() throws {
        var n = NetBuilder(dims: [1, 2, 2, 2])
        let c1 = n.conv("x", "c1", out: 4, in: 2, k: 1)
        let dw = n.conv(c1, "dw", out: 4, in: 4, group: 4)
        let parts = n.node("Split", [dw, n.ints("sizes", [2, 2])], outputs: 2, [.int("axis", 1)])
        let joined = n.node("Concat", [n.conv(parts + "_1", "br", out: 2, in: 2, k: 1), parts], [.int("axis", 1)])
        let flat = n.node("Reshape", [joined, n.ints("shape", [1, 16])])
        let fc = n.node("Gemm", [flat, n.weight("fc.weight", [3, 16])], [.int("transB", 1)])
        let model = n.model(output: fc, outputRank: 2)
        let a = try DependencyGraph.analyze(model)
        // c1's first two channels: depthwise, Split part 0, Concat offset 2, flattened into fc.
        let g = try #require(a.groups.first { $0.prunable && $0.members.contains { $0.tensor == "c1.weight" }
            && $0.members.contains { $0.tensor == "fc.weight" } })
        #expect(g.channels == 2 && g.members.first { $0.tensor == "fc.weight" }?.positions[0] == [PositionRun(start: 8, count: 4)])
        let pruned = try Surgery.apply(PrunePlan(removals: [g.id: [0]]), to: model, analysis: a)
        let nodes = try #require(pruned.graph?.nodes)
        #expect(nodes[1].int("group") == 3)
        #expect(tensor(pruned, "sizes")?.int64Values() == [1, 2])
        #expect(tensor(pruned, "shape")?.int64Values() == [1, 12])
        #expect(tensor(pruned, "fc.weight")?.dims == [3, 12])
        expectValid(pruned)
    }

    @Test func badPlansAreRejectedWithTheRule() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let out = n.conv(n.conv("x", "c1", out: 3, in: 2, k: 1), "c2", out: 2, in: 3, k: 1)
        let model = n.model(output: out)
        let a = try DependencyGraph.analyze(model)
        let g = groupID(a, "c1.weight"), frozen = groupID(a, "c2.weight")
        let cases: [([Int: [Int]], String)] = [
            ([99: [0]], "no such group"), ([g: [3]], "out of range"), ([g: [1, 1]], "listed twice"),
            ([g: [0, 1, 2]], "at least one must stay"), ([frozen: [0]], "frozen"),
        ]
        for (removals, message) in cases {
            let error = #expect(throws: PareError.self) { try Surgery.apply(PrunePlan(removals: removals), to: model, analysis: a) }
            #expect(error?.description.contains(message) == true, "\(removals): \(error?.description ?? "")")
        }
    }
}
