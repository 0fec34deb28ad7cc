import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct AttributeAndValueInfoTests {
    func softmax(_ attr: Attribute) -> Model {
        Fixture.with([Node(op: "Softmax", inputs: ["x"], outputs: ["y"], attributes: [attr])])
    }

    @Test func attributeName() {
        #expect(check(softmax(.int("axis", 1))).isValid)
        #expect(check(softmax(.int("", 1))).has("ONNX-A01", .error))
    }

    @Test func attributeTypeRequiredFromIR2() {
        var a = Attribute.int("axis", 1)
        a.type = nil
        #expect(check(softmax(a)).has("ONNX-A02", .error))
    }

    @Test func valueFieldMatchesType() {
        var twoFields = Attribute.int("axis", 1)
        twoFields.floats = [1]
        #expect(check(softmax(twoFields)).has("ONNX-A03", .error))
        var mismatch = Attribute(name: "axis", type: .int)
        mismatch.f = 1
        #expect(check(softmax(mismatch)).has("ONNX-A03", .error))
        // Zero value fields is tolerated: a proto3 writer dropped a default.
        #expect(check(softmax(Attribute(name: "axis", type: .int))).isValid)
    }

    @Test func referenceWithValueInFunctionBody() {
        var m = Fixture.with([Node(op: "F", domain: "local", inputs: ["x"], outputs: ["y"], attributes: [.int("ax", 1)])])
        m.opsetImports.append(OpsetImport(domain: "local", version: 1))
        var ref = Attribute.int("axis", 1)
        ref.refAttrName = "ax"
        var f = Function(name: "F", domain: "local")
        f.inputs = ["a"]; f.outputs = ["b"]; f.attributeNames = ["ax"]
        f.nodes = [Node(op: "Softmax", inputs: ["a"], outputs: ["b"], attributes: [ref])]
        f.opsetImports = [OpsetImport(domain: "", version: 18)]
        m.functions = [f]
        #expect(check(m).has("ONNX-A04", .error))
        m.functions[0].nodes[0].attributes[0].i = nil
        #expect(check(m).isValid, "\(check(m).diagnostics.map(\.line))")
    }

    @Test func nestedValuesAreChecked() {
        var t = Fixture.floats("v", [1])
        t.dataType = 0
        let constant = Node(op: "Constant", inputs: [], outputs: ["y"], attributes: [.tensor("value", t)])
        #expect(check(Fixture.with([constant], inputs: [])).has("ONNX-T01", .error))
        let unnamed = Graph(name: "", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        #expect(check(Fixture.with([Fixture.ifNode(then: unnamed)], inputs: Fixture.ifInputs)).has("ONNX-G01", .error))
    }

    @Test func referenceOutsideFunction() {
        var a = Attribute(name: "axis", type: .int)
        a.refAttrName = "outer"
        #expect(check(softmax(a)).has("ONNX-X09", .error))
    }

    @Test func valueNamesRequired() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], outputs: [Fixture.vi("y"), Fixture.vi("")])
        #expect(check(m).has("ONNX-V01", .error))
    }

    @Test func mainGraphTypesComplete() {
        #expect(check(Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], inputs: [Fixture.vi("x", .float, nil)]))
            .has("ONNX-V02", .error))
        #expect(check(Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], inputs: [ValueInfo(name: "x", type: nil)]))
            .has("ONNX-V02", .error))
        // Subgraph inputs and outputs only need a name.
        let untyped = Graph(name: "then", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["t"])], outputs: [ValueInfo(name: "t", type: nil)])
        #expect(check(Fixture.with([Fixture.ifNode(then: untyped)], inputs: Fixture.ifInputs)).isValid)
    }

    @Test func unknownTypeCase() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], outputs: [ValueInfo(name: "y", type: ValueTypeBox(.none))])
        #expect(check(m).has("ONNX-V03", .error))
    }

    @Test func negativeDimsWarn() {
        let m = Fixture.with([Node(op: "Relu", inputs: ["x"], outputs: ["y"])], outputs: [Fixture.vi("y", .float, [-1])])
        #expect(check(m).has("ONNX-X08", .warning))
        #expect(check(m) { $0.strict = true }.has("ONNX-X08", .error))
    }
}
