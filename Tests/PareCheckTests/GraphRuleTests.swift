import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct GraphRuleTests {
    @Test func graphNeedsName() {
        var m = Fixture.base()
        m.graph!.name = ""
        #expect(check(m).has("ONNX-G01", .error))
        m.graph = nil
        #expect(check(m).has("ONNX-G01", .error))
    }

    @Test func inputNamesUnique() {
        let m = Fixture.with([Node(op: "Add", inputs: ["x", "x"], outputs: ["y"])], inputs: [Fixture.vi("x"), Fixture.vi("x")])
        #expect(check(m).has("ONNX-G03", .error))
    }

    @Test func initializerNamesNonEmptyAndUnique() {
        let add = Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])
        let ok = Fixture.with([add], initializers: [Fixture.floats("w", [1, 2])])
        #expect(check(ok).diagnostics.isEmpty, "\(check(ok).diagnostics.map(\.line))")
        let dup = Fixture.with([add], initializers: [Fixture.floats("w", [1, 2]), Fixture.floats("w", [1, 2])])
        #expect(check(dup).has("ONNX-G04", .error))
        let unnamed = Fixture.with([add], initializers: [Fixture.floats("w", [1, 2]), Fixture.floats("", [1, 2])])
        #expect(check(unnamed).has("ONNX-G04", .error))
    }

    @Test func initializerTensorRulesApply() {
        var w = Fixture.floats("w", [1])
        w.dims = [2]
        let m = Fixture.with([Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])], initializers: [w])
        #expect(check(m).has("ONNX-T08", .error))
    }

    @Test func irThreeInitializersMustBeInputs() {
        var m = Fixture.with([Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])], initializers: [Fixture.floats("w", [1, 2])], opset: 8)
        m.irVersion = 3
        #expect(check(m).has("ONNX-G06", .error))
        m.graph!.inputs.append(Fixture.vi("w"))
        #expect(!check(m).ids().contains("ONNX-G06"))
    }

    @Test func sparseInitializerNeedsNamedValues() {
        var m = Fixture.base()
        m.graph!.sparseInitializers = [SparseTensor(values: Tensor(name: "", dataType: 1, dims: [0]), indices: nil, dims: [4])]
        #expect(check(m).has("ONNX-G07", .error))
    }

    @Test func nodesMustBeTopologicallySorted() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["t"], outputs: ["y"]), Node(op: "Relu", inputs: ["x"], outputs: ["t"])])
        #expect(check(m).has("ONNX-G08", .error))
    }

    @Test func subgraphSeesOuterNamesOnlyBeforeItsNode() {
        let early = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        let ok = Fixture.with([Fixture.ifNode(then: early)], inputs: Fixture.ifInputs)
        #expect(check(ok).isValid, "\(check(ok).diagnostics.map(\.line))")
        let late = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["z"], outputs: ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        let bad = Fixture.with([Fixture.ifNode(then: late), Node(op: "Relu", inputs: ["x"], outputs: ["z"])],
                               inputs: Fixture.ifInputs, outputs: [Fixture.vi("y"), Fixture.vi("z")])
        #expect(check(bad).has("ONNX-G08", .error))
    }

    @Test func experimentalOpsWarn() {
        let m = Fixture.with([Node(op: "Scale", inputs: ["x"], outputs: ["y"])])
        let report = check(m)
        #expect(report.has("ONNX-G09", .warning))
        #expect(report.isValid)
    }

    @Test func singleStaticAssignment() {
        let twice = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"]), Node(op: "Relu", inputs: ["x"], outputs: ["y"])])
        #expect(check(twice).has("ONNX-G10", .error))
        // A subgraph may not redefine an outer name either.
        let shadow = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["c"])], outputs: [ValueInfo(name: "c", type: nil)])
        #expect(check(Fixture.with([Fixture.ifNode(then: shadow)], inputs: Fixture.ifInputs)).has("ONNX-G10", .error))
    }

    @Test func outputsMustBeDefinedInTheirGraph() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["t"])])
        #expect(check(m).has("ONNX-G11", .error))
        let passThrough = Graph(name: "then", outputs: [ValueInfo(name: "x", type: nil)])
        #expect(check(Fixture.with([Fixture.ifNode(then: passThrough)], inputs: Fixture.ifInputs)).has("ONNX-G11", .error))
    }

    @Test func inputAndInitializerMustAgree() {
        let add = Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])
        let same = Fixture.with([add], inputs: [Fixture.vi("x"), Fixture.vi("w")], initializers: [Fixture.floats("w", [1, 2])])
        #expect(!check(same).ids().contains("ONNX-X05"))
        let other = Fixture.with([add], inputs: [Fixture.vi("x"), Fixture.vi("w", .float, [3])], initializers: [Fixture.floats("w", [1, 2])])
        #expect(check(other).has("ONNX-X05", .error))
    }

    @Test func subgraphInputHidingOuterNameWarns() {
        let body = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["t"])],
                         inputs: [ValueInfo(name: "x", type: nil)], outputs: [ValueInfo(name: "t", type: nil)])
        let report = check(Fixture.with([Fixture.ifNode(then: body)], inputs: Fixture.ifInputs))
        #expect(report.has("ONNX-X10", .warning))
    }

    @Test func locationsNameTheNodeAndAttribute() {
        let m = Fixture.with([Node(op: "Relu", name: "r1", inputs: ["x"], outputs: ["y"], attributes: [.int("bogus", 1)])])
        let d = check(m).diagnostics.first { $0.rule == "ONNX-N11" }
        #expect(d?.location == "graph 'main' → node 0 'r1' (Relu) → attribute 'bogus'")
        #expect(d?.hint != nil)
    }
}
