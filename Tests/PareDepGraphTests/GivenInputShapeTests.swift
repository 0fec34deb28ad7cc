import PareCore
import PareIR
import PareTestSupport
import Testing
@testable import PareDepGraph

/// `--input-shape` (prune, groups) may fill in only what the model leaves open.
@Suite struct GivenInputShapeTests {
    /// A 1×1 conv net whose input declares a free batch axis: x[N, 3, 4, 4].
    static func model() -> Model {
        var n = NetBuilder(dims: [1, 3, 4, 4])
        let c1 = n.conv("x", "c1", out: 4, in: 3, k: 1)
        var model = n.model(output: n.conv(c1, "c2", out: 2, in: 4, k: 1))
        model.graph!.inputs[0].type = .tensor(DType.float.rawValue, Shape([.symbol("N"), .known(3), .known(4), .known(4)]))
        return model
    }

    static func refusal(_ shapes: [String: [Int64]]) -> String? {
        do {
            _ = try DependencyGraph.analyze(model(), inputShapes: shapes)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func freeAxesAreFilledIn() throws {
        let analysis = try DependencyGraph.analyze(Self.model(), inputShapes: ["x": [8, 3, 4, 4]])
        #expect(analysis.groups.contains { g in g.prunable && g.members.contains { $0.tensor == "c1.weight" } })
    }

    @Test func contradictionsAreRefusedNamingTheInput() throws {
        let unknown = try #require(Self.refusal(["image": [1, 3, 4, 4]]))
        #expect(unknown.contains("'image'") && unknown.contains("no such input") && unknown.contains("x"))
        let rank = try #require(Self.refusal(["x": [1, 3, 4]]))
        #expect(rank.contains("rank 3") && rank.contains("[?, 3, 4, 4]"))
        let fixed = try #require(Self.refusal(["x": [1, 5, 4, 4]]))
        #expect(fixed.contains("axis 1") && fixed.contains("5"))
    }
}
