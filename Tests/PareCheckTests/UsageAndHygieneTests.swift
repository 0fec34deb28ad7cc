import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct UsageAndHygieneTests {
    @Test func unusedInitializer() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], initializers: [Fixture.floats("w", [1])])
        #expect(check(m).has("ONNX-X02", .warning))
    }

    @Test func initializerUsedInsideSubgraphCounts() {
        let then = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["w"], outputs: ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        let m = Fixture.with([Fixture.ifNode(then: then)], inputs: Fixture.ifInputs, initializers: [Fixture.floats("w", [1, 2])])
        let r = check(m)
        #expect(!r.ids().contains("ONNX-X02"), "\(r.diagnostics.map(\.line))")
        #expect(r.isValid)
    }

    @Test func deadNode() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"]), Node(op: "Relu", inputs: ["x"], outputs: ["unused"])])
        let dead = check(m).diagnostics.filter { $0.rule == "ONNX-X03" }
        #expect(dead.count == 1 && dead[0].location.contains("node 1"))
    }

    @Test func duplicateNodeNames() {
        let m = Fixture.with([Node(op: "Relu", name: "n", inputs: ["x"], outputs: ["t"]), Node(op: "Relu", name: "n", inputs: ["t"], outputs: ["y"])])
        #expect(check(m).has("ONNX-X04", .warning))
    }

    @Test func unusedInput() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], inputs: [Fixture.vi("x"), Fixture.vi("spare")])
        #expect(check(m).has("ONNX-X06", .warning))
    }

    @Test func graphWithoutOutputs() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], outputs: [])
        #expect(check(m).has("ONNX-X07", .warning))
    }

    @Test func nonIdentifierNamesAreSummarisedOnce() {
        let m = Fixture.with([Node(op: "Relu", name: "/relu/Relu", inputs: ["x"], outputs: ["y.1"])], outputs: [Fixture.vi("y.1")])
        let x11 = check(m).diagnostics.filter { $0.rule == "ONNX-X11" }
        #expect(x11.count == 1 && x11[0].severity == .info)
    }

    @Test func duplicateMetadataBelowModel() {
        var m = Fixture.base()
        m.graph!.nodes[0].metadata = [StringPair(key: "k", value: "1"), StringPair(key: "k", value: "2")]
        #expect(check(m).has("ONNX-X20", .warning))
    }

    @Test func unknownFieldsAreNoted() {
        var m = Fixture.base()
        m.graph!.nodes[0].unknownFields = [UnknownField(fieldNumber: 99, wireType: 0, payload: [1])]
        #expect(check(m).has("ONNX-X23", .info))
    }

    @Test func readerFindingsArePassedThrough() {
        let finding = Diagnostic("ONNX-X18", .error, at: "byte 3", "name is not UTF-8")
        let r = Checker.check(Fixture.base(), readFindings: [finding])
        #expect(r.has("ONNX-X18", .error) && !r.isValid)
    }
}
