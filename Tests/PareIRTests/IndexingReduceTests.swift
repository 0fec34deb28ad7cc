import PareCore
import Testing
@testable import PareIR

@Suite struct IndexingReduceTests {
    @Test func gatherFamily() {
        let r = G.infer([
            G.node("Gather", ["x", "i"], ["g"], [.int("axis", 1)]),
            G.node("Gather", ["x", "k"], ["g0"]),
            G.node("GatherElements", ["x", "ie"], ["ge"]),
            G.node("GatherND", ["x", "ind"], ["gnd"]),
            G.node("ScatterND", ["x", "ind", "upd"], ["snd"]),
        ], inputs: [G.input("x", ["N", 5, 6]), G.input("ie", ["N", 2, 6], elem: G.i64),
                    G.input("ind", [4, 2], elem: G.i64), G.input("upd", [4, 6])],
           initializers: [G.ints("i", [0, 2, 4, 1], dims: [2, 2]), G.ints("k", [0], dims: [])])
        #expect(r.dims("g") == "[N, 2, 2, 6]")
        #expect(r.dims("g0") == "[5, 6]")
        #expect(r.dims("ge") == "[N, 2, 6]")
        #expect(r.dims("gnd") == "[4, 6]")
        #expect(r.dims("snd") == "[N, 5, 6]")
    }

    @Test func sliceInputsAndAttributes() {
        let r = G.infer([
            G.node("Slice", ["x", "st", "en", "ax", "sp"], ["s"]),
            G.node("Slice", ["x", "st2", "en2"], ["neg"]),
        ], inputs: [G.input("x", [10, 20, "N"])],
           initializers: [G.ints("st", [1, -1]), G.ints("en", [Int64.max, -9]), G.ints("ax", [0, 1]),
                          G.ints("sp", [2, -3]), G.ints("st2", [0, 0, 0]), G.ints("en2", [-2, 100, Int64.max])])
        // axis 0: 1..<10 step 2 → 5; axis 1: 19 down to 11 (exclusive) step −3 → 19, 16, 13.
        #expect(r.dims("s") == "[5, 3, N]")
        #expect(r.dims("neg") == "[8, 20, N]")
        let old = G.infer([G.node("Slice", ["x"], ["s"], [.ints("starts", [2]), .ints("ends", [5]), .ints("axes", [1])])],
                          inputs: [G.input("x", [10, 20])], opset: 9)
        #expect(old.dims("s") == "[10, 3]")
    }

    @Test func sliceWithUnknownBoundsKeepsRank() {
        let r = G.infer([G.node("Slice", ["x", "st", "en", "ax"], ["s"])],
                        inputs: [G.input("x", [10, 20]), G.input("st", [1], elem: G.i64), G.input("en", [1], elem: G.i64)],
                        initializers: [G.ints("ax", [1])])
        #expect(r.dims("s") == "[10, ?]")
    }

    @Test func concatSplitPad() {
        let r = G.infer([
            G.node("Concat", ["a", "b"], ["c"], [.int("axis", 1)]),
            G.node("Concat", ["n", "a"], ["cn"], [.int("axis", 0)]),
            G.node("Split", ["a", "sp"], ["s1", "s2"], [.int("axis", 1)]),
            G.node("Split", ["b"], ["e1", "e2", "e3"], [.int("axis", 1), .int("num_outputs", 3)]),
            G.node("Pad", ["a", "pads"], ["p"]),
        ], inputs: [G.input("a", [2, 6]), G.input("b", [2, 10]), G.input("n", ["N", 6])],
           initializers: [G.ints("sp", [2, 4]), G.ints("pads", [1, 0, 2, 3])])
        #expect(r.dims("c") == "[2, 16]")
        #expect(r.dims("cn") == "[?, 6]")   // no symbolic arithmetic: N + 2 is a new unknown
        #expect(r.dims("s1") == "[2, 2]")
        #expect(r.dims("s2") == "[2, 4]")
        #expect(r.dims("e1") == "[2, 4]")   // ceil(10 / 3), the last chunk smaller
        #expect(r.dims("e3") == "[2, 2]")
        #expect(r.dims("p") == "[5, 9]")
    }

    @Test func splitAndPadBeforeTheirInputForms() {
        let r = G.infer([
            G.node("Split", ["a"], ["s1", "s2"], [.int("axis", 1), .ints("split", [1, 5])]),
            G.node("Split", ["a"], ["h1", "h2"], [.int("axis", 1)]),
            G.node("Pad", ["a"], ["p"], [.ints("pads", [0, 1, 0, 1])]),
        ], inputs: [G.input("a", [2, 6])], opset: 10)
        #expect(r.dims("s2") == "[2, 5]")
        #expect(r.dims("h1") == "[2, 3]")
        #expect(r.dims("p") == "[2, 8]")
    }

    @Test func reductions() {
        let r = G.infer([
            G.node("ReduceMean", ["x", "ax"], ["m"]),
            G.node("ReduceSum", ["x", "ax"], ["s"], [.int("keepdims", 0)]),
            G.node("ReduceMax", ["x"], ["all"], [.int("keepdims", 0)]),
            G.node("ReduceL2", ["x"], ["noop"], [.int("noop_with_empty_axes", 1)]),
            G.node("ArgMax", ["x"], ["am"], [.int("axis", -1), .int("keepdims", 0)]),
            G.node("ArgMin", ["x"], ["an"], [.int("axis", 1)]),
            G.node("TopK", ["x", "k"], ["v", "i"], [.int("axis", 1)]),
        ], inputs: [G.input("x", ["N", 4, 5])], initializers: [G.ints("ax", [-1, 1]), G.ints("k", [2])])
        #expect(r.dims("m") == "[N, 1, 1]")
        #expect(r.dims("s") == "[N]")
        #expect(r.dims("all") == "[]")
        #expect(r.dims("noop") == "[N, 4, 5]")
        #expect(r.dims("am") == "[N, 4]")
        #expect(r.elem("am") == G.i64)
        #expect(r.dims("an") == "[N, 1, 5]")
        #expect(r.dims("v") == "[N, 2, 5]")
        #expect(r.elem("i") == G.i64)
    }

    @Test func reduceAxesAttributeBeforeOpset18() {
        let r = G.infer([
            G.node("ReduceMean", ["x"], ["m"], [.ints("axes", [2, 3])]),
            G.node("ReduceSum", ["x"], ["s"], [.ints("axes", [1])]),
        ], inputs: [G.input("x", [1, 8, 7, 7])], opset: 12)
        #expect(r.dims("m") == "[1, 8, 1, 1]")
        #expect(r.dims("s") == "[1, 1, 7, 7]")
    }
}
