import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct NodeRuleTests {
    func one(_ node: Node, opset: Int64 = 18) -> CheckReport { check(Fixture.with([node], opset: opset)) }

    @Test func opTypeRequired() {
        #expect(one(Node(op: "", inputs: ["x"], outputs: ["y"])).has("ONNX-N01", .error))
    }

    @Test func nodeNeedsSomeOperand() {
        var m = Fixture.base()
        m.graph!.nodes.append(Node(op: "Relu", inputs: [], outputs: []))
        #expect(check(m).has("ONNX-N02", .error))
    }

    @Test func domainNeedsImport() {
        #expect(one(Node(op: "Foo", domain: "com.x", inputs: ["x"], outputs: ["y"])).has("ONNX-N03", .error))
        // Like onnx: a node domain "ai.onnx" does not match an import of "".
        #expect(one(Node(op: "Relu", domain: "ai.onnx", inputs: ["x"], outputs: ["y"])).has("ONNX-N03", .error))
        // The other way round onnx falls back: node "" finds an "ai.onnx" import.
        var m = Fixture.base()
        m.opsetImports = [OpsetImport(domain: "ai.onnx", version: 18)]
        #expect(check(m).isValid, "\(check(m).diagnostics.map(\.line))")
    }

    @Test func attributeNamesUnique() {
        #expect(one(Node(op: "Softmax", inputs: ["x"], outputs: ["y"], attributes: [.int("axis", 0), .int("axis", 1)]))
            .has("ONNX-N04", .error))
    }

    @Test func attributesAreChecked() {
        var a = Attribute.int("axis", 0)
        a.f = 1
        #expect(one(Node(op: "Softmax", inputs: ["x"], outputs: ["y"], attributes: [a])).has("ONNX-A03", .error))
    }

    @Test func builtinOperatorsNeedSchemas() {
        #expect(one(Node(op: "Reluu", inputs: ["x"], outputs: ["y"])).has("ONNX-N06", .error))
        #expect(one(Node(op: "Gelu", inputs: ["x"], outputs: ["y"]), opset: 18).has("ONNX-N06", .error))
        #expect(one(Node(op: "Gelu", inputs: ["x"], outputs: ["y"]), opset: 20).isValid)
    }

    @Test func customDomainsAreNotedOnceUnlessRequired() {
        var m = Fixture.with([Node(op: "Foo", domain: "com.x", inputs: ["x"], outputs: ["t"]),
                              Node(op: "Foo", domain: "com.x", inputs: ["t"], outputs: ["y"])])
        m.opsetImports.append(OpsetImport(domain: "com.x", version: 1))
        let report = check(m)
        #expect(report.isValid)
        #expect(report.diagnostics.filter { $0.rule == "ONNX-X15" && $0.severity == .info }.count == 1)
        #expect(check(m) { $0.checkCustomDomains = true }.has("ONNX-N06", .error))
    }

    @Test func localFunctionCallsAreAccepted() {
        var m = Fixture.with([Node(op: "F", domain: "local", inputs: ["x"], outputs: ["y"])])
        m.opsetImports.append(OpsetImport(domain: "local", version: 1))
        var f = Function(name: "F", domain: "local")
        f.inputs = ["a"]; f.outputs = ["b"]
        f.nodes = [Node(op: "Relu", inputs: ["a"], outputs: ["b"])]
        f.opsetImports = [OpsetImport(domain: "", version: 18)]
        m.functions = [f]
        let report = check(m) { $0.checkCustomDomains = true }
        #expect(report.isValid, "\(report.diagnostics.map(\.line))")
        #expect(!report.ids().contains("ONNX-X15"))
    }

    @Test func deprecatedOperators() {
        let m = Fixture.with([Node(op: "Upsample", inputs: ["x", "s"], outputs: ["y"])], inputs: [Fixture.vi("x"), Fixture.vi("s")], opset: 10)
        #expect(check(m).has("ONNX-N07", .error))
    }

    @Test func operandCounts() {
        #expect(one(Node(op: "Add", inputs: ["x"], outputs: ["y"])).has("ONNX-N08", .error))
        #expect(one(Node(op: "Relu", inputs: ["x", "x"], outputs: ["y"])).has("ONNX-N09", .error))
        // BatchNormalization-9 allows 1 or 5 outputs, nothing in between.
        let bn = { (outs: [String]) in
            check(Fixture.with([Node(op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: outs)],
                               inputs: ["x", "s", "b", "m", "v"].map { Fixture.vi($0) },
                               outputs: outs.map { Fixture.vi($0) }, opset: 9))
        }
        #expect(bn(["y"]).isValid)
        #expect(bn(["y", "m2"]).has("ONNX-N08", .error))
        // Variadic inputs take any count ≥ the minimum.
        #expect(one(Node(op: "Sum", inputs: ["x", "x", "x", "x"], outputs: ["y"])).isValid)
    }

    @Test func requiredOperandsCannotBeEmpty() {
        #expect(one(Node(op: "Add", inputs: ["x", ""], outputs: ["y"])).has("ONNX-N10", .error))
        // An empty optional input is fine (Clip's min).
        #expect(one(Node(op: "Clip", inputs: ["x", ""], outputs: ["y"])).isValid)
    }

    @Test func unknownAttributes() {
        #expect(one(Node(op: "Relu", inputs: ["x"], outputs: ["y"], attributes: [.int("foo", 1)])).has("ONNX-N11", .error))
        #expect(one(Node(op: "Relu", inputs: ["x"], outputs: ["y"], attributes: [.int("__internal", 1)])).isValid)
    }

    @Test func attributeTypesAndRequiredAttributes() {
        #expect(one(Node(op: "Softmax", inputs: ["x"], outputs: ["y"], attributes: [.float("axis", 1)])).has("ONNX-N12", .error))
        #expect(one(Node(op: "Cast", inputs: ["x"], outputs: ["y"])).has("ONNX-N12", .error))
        #expect(one(Node(op: "Cast", inputs: ["x"], outputs: ["y"], attributes: [.int("to", 1)])).isValid)
        // A TENSOR attribute must carry its tensor.
        let empty = Attribute(name: "value", type: .tensor)
        let constant = Node(op: "Constant", inputs: [], outputs: ["y"], attributes: [empty])
        #expect(check(Fixture.with([constant], inputs: [])).has("ONNX-N12", .error))
    }
}
