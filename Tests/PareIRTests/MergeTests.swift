import PareCore
import Testing
@testable import PareIR

/// The merge rules of formats.md §3.2 and the SHAPE-01…05 findings.
@Suite struct MergeTests {
    func merge(_ a: ValueTypeBox, _ b: ValueTypeBox) -> (ValueTypeBox, [String]) {
        let (m, c) = TypeMerge.merge(existing: a, inferred: b)
        return (m, c.map(\.rule))
    }

    @Test func dimRules() {
        let existing = ValueTypeBox.tensor(G.f32, Shape([.known(1), .symbol("N"), .symbol("A"), .unknown, .symbol("S")]))
        let inferred = ValueTypeBox.tensor(nil, Shape([.symbol("B"), .known(4), .symbol("C"), .symbol("D"), .unknown]))
        let (m, rules) = merge(existing, inferred)
        #expect(rules.isEmpty)
        // value wins; value wins; existing symbol kept; symbol wins over unknown (both ways).
        #expect(m.tensorInfo?.shape?.dims.map(\.value) == [.known(1), .known(4), .symbol("A"), .symbol("D"), .symbol("S")])
        #expect(m.tensorInfo?.elemType == G.f32)
    }

    @Test func conflicts() {
        #expect(merge(.tensor(G.f32, nil), .tensor(G.i64, nil)).1 == ["SHAPE-01"])
        #expect(merge(.tensor(G.f32, nil), ValueTypeBox(.sequence(nil))).1 == ["SHAPE-01"])
        #expect(merge(.tensor(G.f32, Shape(known: [1, 2])), .tensor(G.f32, Shape(known: [1]))).1 == ["SHAPE-02"])
        #expect(merge(.tensor(G.f32, Shape(known: [1, 2])), .tensor(G.f32, Shape(known: [1, 3]))).1 == ["SHAPE-03"])
        #expect(merge(.tensor(G.f32, nil), .tensor(G.f32, Shape(known: [3]))).0.tensorInfo?.shape == Shape(known: [3]))
        let seq = merge(ValueTypeBox(.sequence(.tensor(G.f32, nil))), ValueTypeBox(.sequence(.tensor(G.i64, nil))))
        #expect(seq.1 == ["SHAPE-01"])
    }

    @Test func declaredOutputConflictIsReported() {
        let r = G.infer([G.node("Relu", ["x"], ["y"])], inputs: [G.input("x", [2, 3])],
                        outputs: [G.input("y", [2, 4]), ])
        #expect(r.rules() == ["SHAPE-03"])
        #expect(r.findings.first?.location.contains("output 'y'") == true)
        let rank = G.infer([G.node("Relu", ["x"], ["y"])], inputs: [G.input("x", [2, 3])], outputs: [G.input("y", [6])])
        #expect(rank.rules() == ["SHAPE-02"])
        let elem = G.infer([G.node("Relu", ["x"], ["y"])], inputs: [G.input("x", [2, 3])],
                           outputs: [G.input("y", [2, 3], elem: G.i64)])
        #expect(elem.rules() == ["SHAPE-01"])
    }

    @Test func declaredOutputSymbolIsKept() {
        let r = G.infer([G.node("NonZero", ["x"], ["y"])], inputs: [G.input("x", [2, 3])],
                        outputs: [G.input("y", [2, "count"], elem: G.i64)])
        #expect(r.dims("y") == "[2, count]")
        #expect(r.findings.isEmpty)
    }

    @Test func inputInitializerConflict() {
        let r = G.infer([], inputs: [G.input("w", [3, 3])], initializers: [G.weight("w", [3, 4])])
        #expect(r.rules() == ["SHAPE-03"])
    }

    @Test func valueInfoIsNotAnInferenceSource() {
        var g = Graph(name: "g", nodes: [G.node("FancyOp", ["x"], ["a"], domain: "x"), G.node("Relu", ["a"], ["b"])],
                      inputs: [G.input("x", [1]), ValueInfo(name: "u", type: .tensor(G.f32, nil))])
        g.valueInfo = [G.input("a", [7]), G.input("u", [5, 5])]
        let r = ShapeInference.infer(graph: g, opsets: ["": 18])
        #expect(r.types["b"] == nil)       // value_info of 'a' is not used
        #expect(r.dims("u") == "[5, 5]")   // but fills in a graph input that declares no shape
    }

    @Test func subgraphInitializerBeforeInputIsShape05() {
        var body = Graph(name: "then", nodes: [G.node("Add", ["k", "z"], ["t"])],
                         inputs: [G.input("k", [1]), G.input("z", [1])], outputs: [ValueInfo(name: "t", type: nil)],
                         initializers: [G.weight("k", [1])])
        body.name = "then"
        let r = G.infer([G.node("If", ["c"], ["y"], [.graph("then_branch", body), .graph("else_branch", body)])],
                        inputs: [G.input("c", [], elem: DType.bool.rawValue)])
        #expect(r.rules().filter { $0 == "SHAPE-05" }.count == 2)
    }
}
