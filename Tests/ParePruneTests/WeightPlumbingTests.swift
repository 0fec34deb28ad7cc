import PareCore
import PareDepGraph
import PareIR
import PareTestSupport
import Testing
@testable import ParePrune

/// Weights held in Constant nodes or reached through Identity, and the cost of one channel.
@Suite struct WeightPlumbingTests {
    @Test func constantAndIdentityWeightsAreSlicedWhereTheyLive() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let c1 = n.conv("x", "c1", out: 3, in: 2, k: 1)
        // c2's weight is a Constant node's value, passed through an Identity.
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        var w = Tensor(name: "", type: .float, dims: [2, 3, 1, 1], raw: values.withUnsafeBytes { TensorData(copying: $0) })
        w.name = nil
        var constantAttribute = Attribute(name: "value", type: .tensor)
        constantAttribute.t = w
        let constant = n.node("Constant", [], [constantAttribute])
        let alias = n.node("Identity", [constant])
        let out = n.node("Conv", [c1, alias], [.ints("kernel_shape", [1, 1])])
        let model = n.model(output: out)
        let a = try DependencyGraph.analyze(model)
        let g = try #require(a.groups.first { $0.prunable })
        #expect(g.members.contains { $0.tensor == constant && $0.axis == 1 && $0.role == .consumer })
        let pruned = try Surgery.apply(PrunePlan(removals: [g.id: [1]]), to: model, analysis: a)
        let sliced = try #require(pruned.graph?.nodes.first { $0.op == "Constant" }?.attribute("value")?.t)
        #expect(sliced.dims == [2, 2, 1, 1] && sliced.floatValues == [1, 3, 4, 6])
        #expect(sliced.name == nil)
    }

    @Test func oneChannelCostsWhatTheCounterSaysItSaves() throws {
        var n = NetBuilder(dims: [1, 2, 4, 4])
        let c1 = n.conv("x", "c1", out: 3, in: 2, k: 3, bias: true)
        let out = n.conv(n.node("Relu", [c1]), "c2", out: 5, in: 3, k: 3)
        let model = n.model(output: out)
        let a = try DependencyGraph.analyze(model)
        let costs = try GroupCost.perChannel(model, analysis: a)
        let g = try #require(a.groups.first { $0.prunable })
        let cost = try #require(costs.first { $0.group == g.id })
        // c1 row: 4·4 outputs × 2·3·3; its ReLU: 16; c2 column: 4·4 × 5·3·3. Parameters: 18 + 1 bias + 45.
        #expect(cost.macs.map(Int.init) == 16 * 18 + 16 + 16 * 45)
        #expect(cost.parameters == 18 + 1 + 45)
    }
}
