import PareCore
import Testing
@testable import PareIR

/// Data propagation through the shape-computing chains exporters emit, unknown ops, control flow.
@Suite struct PropagationTests {
    /// torch's `x.view(x.size(0), -1)`: Shape → Gather → Unsqueeze → Concat → Reshape.
    @Test func shapeGatherConcatReshapeFoldsToStatic() {
        let r = G.infer([
            G.node("Shape", ["x"], ["shape"]),
            G.node("Gather", ["shape", "zero"], ["batch"], [.int("axis", 0)]),
            G.node("Unsqueeze", ["batch", "axes"], ["batch1"]),
            G.node("Concat", ["batch1", "minus1"], ["target"], [.int("axis", 0)]),
            G.node("Reshape", ["x", "target"], ["y"]),
        ], inputs: [G.input("x", [8, 512, 7, 7])],
           initializers: [G.ints("zero", [0], dims: []), G.ints("axes", [0]), G.ints("minus1", [-1])])
        #expect(r.constants["shape"] == [8, 512, 7, 7])
        #expect(r.constants["batch"] == [8])
        #expect(r.constants["target"] == [8, -1])
        #expect(r.dims("y") == "[8, 25088]")
        #expect(r.findings.isEmpty)
    }

    @Test func symbolicBatchSurvivesTheChain() {
        let r = G.infer([
            G.node("Shape", ["x"], ["shape"]),
            G.node("Gather", ["shape", "zero"], ["batch"]),
            G.node("Unsqueeze", ["batch", "axes"], ["batch1"]),
            G.node("Concat", ["batch1", "minus1"], ["target"], [.int("axis", 0)]),
            G.node("Reshape", ["x", "target"], ["y"]),
        ], inputs: [G.input("x", ["N", 512, 7, 7])],
           initializers: [G.ints("zero", [0], dims: []), G.ints("axes", [0]), G.ints("minus1", [-1])])
        #expect(r.dims("y") == "[N, 25088]")
        #expect(r.constants["target"] == nil)   // N is not a number
    }

    /// Attention-style arithmetic: heads = d / 8 via Div, Slice of a shape, Cast, Mul, Expand.
    @Test func arithmeticSliceCastExpand() {
        let r = G.infer([
            G.node("Shape", ["x"], ["s"]),
            G.node("Slice", ["s", "one", "three"], ["sd"]),          // [seq, d] = [10, 64]
            G.node("Cast", ["sd"], ["sd32"], [.int("to", Int64(DType.int32.rawValue))]),
            G.node("Cast", ["sd32"], ["sd64"], [.int("to", Int64(G.i64))]),
            G.node("Div", ["sd64", "eight"], ["q"]),                // [1, 8]
            G.node("Mul", ["q", "two"], ["m"]),                     // [2, 16]
            G.node("Sub", ["m", "two"], ["d"]),                     // [0, 14]
            G.node("Add", ["d", "two"], ["a"]),                     // [2, 16]
            G.node("Squeeze", ["ones", "zeroAxis"], ["sq"]),        // scalar 1
            G.node("Equal", ["a", "minus"], ["eq"]),                // [false, false]
            G.node("Where", ["eq", "one2", "a"], ["w"]),            // [2, 16]
            G.node("Expand", ["v", "w"], ["e"]),
        ], inputs: [G.input("x", [3, 10, 64]), G.input("v", [1, 16])],
           initializers: [G.ints("one", [1]), G.ints("three", [3]), G.ints("eight", [8], dims: []),
                          G.ints("two", [2], dims: []), G.ints("ones", [1]), G.ints("zeroAxis", [0]),
                          G.ints("minus", [-1], dims: []), G.ints("one2", [1, 1])])
        #expect(r.constants["sd"] == [10, 64])
        #expect(r.constants["sd64"] == [10, 64])
        #expect(r.constants["q"] == [1, 8])
        #expect(r.constants["d"] == [0, 14])
        #expect(r.constants["sq"] == [1])
        #expect(r.dims("sq") == "[]")
        #expect(r.constants["eq"] == [0, 0])
        #expect(r.constants["w"] == [2, 16])
        #expect(r.dims("e") == "[2, 16]")
    }

    @Test func constantNodeFeedsReshape() {
        let r = G.infer([
            G.node("Constant", [], ["shape"], [.tensor("value", G.ints("", [2, -1]))]),
            G.node("Reshape", ["x", "shape"], ["y"]),
        ], inputs: [G.input("x", [4, 6])])
        #expect(r.dims("y") == "[2, 12]")
    }

    @Test func inputsThatAreInitializersAreNotConstants() {
        // An initializer listed as an input may be fed another value at run time.
        let r = G.infer([G.node("Reshape", ["x", "shape"], ["y"])],
                        inputs: [G.input("x", [4, 6]), G.input("shape", [2], elem: G.i64)],
                        initializers: [G.ints("shape", [2, -1])])
        #expect(r.dims("y") == "[?, ?]")
    }

    @Test func unknownOpStopsPropagationWithShape04() {
        let r = G.infer([
            G.node("Relu", ["x"], ["a"]),
            G.node("FancyOp", ["a"], ["b"], domain: "com.example"),
            G.node("Relu", ["b"], ["c"]),
            G.node("Add", ["a", "c"], ["d"]),
            G.node("LSTM", ["a"], ["e"]),
        ], inputs: [G.input("x", [1, 3])])
        #expect(r.rules() == ["SHAPE-04", "SHAPE-04"])
        #expect(r.findings.allSatisfy { $0.severity == .info })
        #expect(r.findings[0].message.contains("com.example::FancyOp"))
        #expect(r.dims("a") == "[1, 3]")
        #expect(r.types["b"] == nil)
        #expect(r.types["c"] == nil)
        #expect(r.shape("d") == nil)
    }

    @Test func freshSymbolsForUnknownDims() {
        let r = G.infer([G.node("NonZero", ["x"], ["nz"]), G.node("Transpose", ["nz"], ["t"])],
                        inputs: [G.input("x", [3, 4])])
        let nz = r.shape("nz")?.dims.last?.symbolName
        #expect(nz?.hasPrefix("unk__") == true)
        #expect(r.shape("t")?.dims.first?.symbolName == nz)
    }

    @Test func symbolBindings() {
        let r = G.infer([G.node("Relu", ["x"], ["y"])], inputs: [G.input("x", ["batch", 3])],
                        options: .init(symbolBindings: ["batch": 1]))
        #expect(r.dims("y") == "[1, 3]")
    }

    @Test func ifBranchesUnion() {
        let thenG = Graph(name: "then", nodes: [G.node("Relu", ["x"], ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        let elseG = Graph(name: "else", nodes: [G.node("Transpose", ["x"], ["e"])], outputs: [ValueInfo(name: "e", type: nil)])
        let r = G.infer([G.node("If", ["c"], ["y"], [.graph("then_branch", thenG), .graph("else_branch", elseG)])],
                        inputs: [G.input("x", [4, 4, 3]), G.input("c", [], elem: DType.bool.rawValue)])
        #expect(r.dims("y") == "[?, 4, ?]")   // [4, 4, 3] or [3, 4, 4]
        #expect(r.dims("t") == "[4, 4, 3]")   // values inside subgraphs are reported too
    }

    @Test func loopBody() {
        let body = Graph(name: "body", nodes: [
            G.node("Identity", ["cond_in"], ["cond_out"]),
            G.node("Add", ["acc_in", "x"], ["acc_out"]),
            G.node("Relu", ["x"], ["scan_out"]),
        ], inputs: [ValueInfo(name: "i", type: nil), ValueInfo(name: "cond_in", type: nil), ValueInfo(name: "acc_in", type: nil)],
           outputs: ["cond_out", "acc_out", "scan_out"].map { ValueInfo(name: $0, type: nil) })
        let r = G.infer([G.node("Loop", ["m", "", "acc0"], ["acc", "stack"], [.graph("body", body)])],
                        inputs: [G.input("x", [2, 3]), G.input("acc0", [2, 3]), G.input("m", [], elem: G.i64)])
        #expect(r.dims("acc") == "[2, 3]")
        #expect(r.dims("stack") == "[?, 2, 3]")
        #expect(r.findings.isEmpty)
    }

    @Test func scanBody() {
        let body = Graph(name: "body", nodes: [
            G.node("Add", ["s_in", "row"], ["s_out"]),
            G.node("Identity", ["row"], ["y"]),
        ], inputs: [ValueInfo(name: "s_in", type: nil), ValueInfo(name: "row", type: nil)],
           outputs: [ValueInfo(name: "s_out", type: nil), ValueInfo(name: "y", type: nil)])
        let r = G.infer([G.node("Scan", ["s0", "seq"], ["s", "ys"], [.graph("body", body), .int("num_scan_inputs", 1),
                                                                    .ints("scan_output_axes", [1])])],
                        inputs: [G.input("s0", [5]), G.input("seq", [7, 5])])
        #expect(r.dims("s") == "[5]")
        #expect(r.dims("ys") == "[5, 7]")
    }

    @Test func modelLocalFunctionIsExpanded() {
        var f = Function(name: "Double", domain: "local")
        f.inputs = ["a"]
        f.outputs = ["b"]
        f.attributeNames = ["perm"]
        var ref = Attribute(name: "perm", type: .ints)
        ref.refAttrName = "p"
        f.nodes = [G.node("Transpose", ["a"], ["t"], [ref]), G.node("Add", ["t", "t"], ["b"])]
        f.opsetImports = [OpsetImport(domain: "", version: 18)]
        let g = Graph(name: "g", nodes: [G.node("Double", ["x"], ["y"], [.ints("p", [1, 0])], domain: "local")],
                      inputs: [G.input("x", [2, 5])])
        let r = ShapeInference.infer(graph: g, opsets: ["": 18, "local": 1], functions: [f])
        #expect(r.dims("y") == "[5, 2]")
        #expect(r.findings.isEmpty)
    }
}
