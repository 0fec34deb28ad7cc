import PareCore
import Testing
@testable import PareIR

/// Sizes and structures a hostile file can claim: inference must report or give up, never trap,
/// allocate without bound, or recurse without bound.
@Suite struct HostileTests {
    @Test func overflowingSizesAreFindingsNotTraps() {
        let big = Int64.max / 2
        let r = G.infer([
            G.node("Conv", ["x", "w"], ["c"], [.ints("dilations", [big]), .ints("kernel_shape", [big])]),
            G.node("ConvTranspose", ["x", "w"], ["t"], [.ints("strides", [big])]),
            G.node("MaxPool", ["x"], ["p"], [.ints("kernel_shape", [1]), .ints("pads", [big, big])]),
            G.node("Pad", ["x", "pads"], ["pd"]),
            G.node("Range", ["lo", "hi", "d"], ["r"]),
            G.node("Slice", ["x", "s", "e", "a", "st"], ["sl"]),
            G.node("DepthToSpace", ["x4"], ["ds"], [.int("blocksize", big)]),
            G.node("Split", ["x"], ["s1", "s2"], [.int("axis", 2), .ints("split", [big, big])]),
        ], inputs: [G.input("x", [1, 1, 8]), G.input("x4", [1, 4, 2, 2])],
           initializers: [G.weight("w", [1, 1, 3]), G.ints("pads", [0, 0, .max, 0, 0, .max]),
                          G.ints("lo", [Int64.min], dims: []), G.ints("hi", [Int64.max], dims: []), G.ints("d", [1], dims: []),
                          G.ints("s", [0]), G.ints("e", [1]), G.ints("a", [2]), G.ints("st", [Int64.min])], opset: 11)
        #expect(r.findings.allSatisfy { $0.rule == "SHAPE-06" })
        #expect(r.findings.count == 8, "\(r.findings.map(\.line))")
    }

    @Test func hugeClaimedRanksAreNotAllocated() {
        let r = G.infer([
            G.node("Reshape", ["x", "shape"], ["y"]),
            G.node("ConstantOfShape", ["shape"], ["c"]),
            G.node("Expand", ["x", "shape"], ["e"]),
        ], inputs: [G.input("x", [2]), G.input("shape", [9_223_372_036_854_775_807], elem: G.i64)])
        #expect(r.shape("y") == nil)
        #expect(r.shape("c") == nil)
        #expect(r.shape("e") == nil)
    }

    @Test func recursiveAndExponentialFunctionsAreBounded() {
        // F calls itself; G0 calls G1 twice, G1 calls G2 twice, … 30 levels deep.
        var f = Function(name: "F", domain: "d")
        f.inputs = ["a"]; f.outputs = ["b"]
        f.nodes = [G.node("F", ["a"], ["b"], domain: "d")]
        var functions = [f]
        for level in 0..<30 {
            var g = Function(name: "G\(level)", domain: "d")
            g.inputs = ["a"]; g.outputs = ["c"]
            g.nodes = level == 29 ? [G.node("Relu", ["a"], ["c"])]
                : [G.node("G\(level + 1)", ["a"], ["b"], domain: "d"), G.node("G\(level + 1)", ["b"], ["c"], domain: "d")]
            functions.append(g)
        }
        let graph = Graph(name: "g", nodes: [G.node("F", ["x"], ["y"], domain: "d"), G.node("G0", ["x"], ["z"], domain: "d")],
                          inputs: [G.input("x", [3])])
        let r = ShapeInference.infer(graph: graph, opsets: ["": 18, "d": 1], functions: functions)
        #expect(r.shape("y") == nil)
        #expect(r.dims("z") == "[3]")   // 2^29 call paths, but one expansion per distinct call
    }
}
