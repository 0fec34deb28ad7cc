import PareCore
import PareIR
import PareTestSupport
import Testing
@testable import PareDepGraph

/// Pad arguments built the way torch's exporter builds them for F.pad(x, (1, 1, 2, 2)).
@Suite struct ConstantEvaluatorTests {
    @Test func exporterBuiltPadsAreEvaluatedAndKeepChannelsPrunable() throws {
        var n = NetBuilder(dims: [1, 3, 4, 4])
        let c1 = n.conv("x", "c1", out: 4, in: 3, k: 1)
        // [1, 1, 2, 2] padded with zeros to 8 entries, reshaped to [-1, 2], reversed, transposed, flattened.
        let filler = n.node("ConstantOfShape", [n.ints("four", [4])])
        let all = n.node("Concat", [n.ints("given", [1, 1, 2, 2]), filler], [.int("axis", 0)])
        let pairs = n.node("Reshape", [all, n.ints("pairs", [-1, 2])])
        let reversed = n.node("Slice", [pairs, n.ints("start", [-1]), n.ints("end", [Int64.min + 1]), n.ints("ax", [0]), n.ints("step", [-1])])
        let columns = n.node("Transpose", [reversed], [.ints("perm", [1, 0])])
        let pads = n.node("Reshape", [columns, n.ints("flat", [-1])])
        let padded = n.node("Pad", [c1, pads])
        let out = n.conv(padded, "c2", out: 2, in: 4, k: 1)
        let model = n.model(output: out)
        let view = try GraphView(model: model, inputShapes: [:])
        #expect(ConstantEvaluator.ints(pads, in: view) == [0, 0, 2, 1, 0, 0, 2, 1])
        let a = try DependencyGraph.analyze(model)
        let g = try #require(a.groups.first { $0.members.contains { $0.tensor == "c1.weight" && $0.role == .producer } })
        #expect(g.prunable && g.members.contains { $0.tensor == "c2.weight" && $0.axis == 1 })
    }

    @Test func anythingElseIsUnknownNotGuessed() throws {
        var n = NetBuilder(dims: [1, 3, 4, 4])
        let c1 = n.conv("x", "c1", out: 4, in: 3, k: 1)
        let shape = n.node("Shape", [c1])
        let model = n.model(output: c1)
        let view = try GraphView(model: model, inputShapes: [:])
        #expect(ConstantEvaluator.ints(shape, in: view) == nil)
        #expect(ConstantEvaluator.ints("nonexistent", in: view) == nil)
    }
}
