import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct FunctionRuleTests {
    static func function(_ name: String = "F", nodes: [Node] = [Node(op: "Relu", inputs: ["a"], outputs: ["b"])],
                         inputs: [String] = ["a"], opset: Int64 = 18) -> Function {
        var f = Function(name: name, domain: "local")
        f.inputs = inputs
        f.outputs = ["b"]
        f.nodes = nodes
        f.opsetImports = [OpsetImport(domain: "", version: opset)]
        return f
    }

    /// Main graph calls local::F once.
    static func calling(_ functions: [Function]) -> Model {
        var m = Fixture.with([Node(op: "F", domain: "local", inputs: ["x"], outputs: ["y"])])
        m.opsetImports.append(OpsetImport(domain: "local", version: 1))
        m.functions = functions
        return m
    }

    @Test func validFunction() {
        let report = check(Self.calling([Self.function()]))
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map(\.line))")
    }

    @Test func tooManyFunctions() {
        let many = (0...10_000).map { Self.function("F\($0)") }
        #expect(check(Self.calling(many)).has("ONNX-F01", .error))
    }

    @Test func uniqueIds() {
        #expect(check(Self.calling([Self.function(), Self.function()])).has("ONNX-F02", .error))
    }

    @Test func noRecursion() {
        var f = Self.function(nodes: [Node(op: "G", domain: "local", inputs: ["a"], outputs: ["b"])])
        var g = Self.function("G", nodes: [Node(op: "F", domain: "local", inputs: ["a"], outputs: ["b"])])
        f.opsetImports.append(OpsetImport(domain: "local", version: 1))
        g.opsetImports.append(OpsetImport(domain: "local", version: 1))
        #expect(check(Self.calling([f, g])).has("ONNX-F03", .error))
    }

    @Test func nameAndDomain() {
        var f = Self.function()
        f.domain = nil
        #expect(check(Self.calling([f])).has("ONNX-F04", .error))
    }

    @Test func uniqueSignatureNames() {
        var f = Self.function(inputs: ["a", "a"])
        #expect(check(Self.calling([f])).has("ONNX-F05", .error))
        f = Self.function()
        f.outputs = ["b", "b"]
        #expect(check(Self.calling([f])).has("ONNX-F05", .error))
        f = Self.function()
        f.attributeNames = ["k", "k"]
        #expect(check(Self.calling([f])).has("ONNX-F05", .error))
    }

    @Test func bodyTopologicallySorted() {
        let f = Self.function(nodes: [Node(op: "Relu", inputs: ["z"], outputs: ["b"])])
        #expect(check(Self.calling([f])).has("ONNX-F06", .error))
    }

    @Test func opsetCompatibility() {
        // Relu changed at 14: opset 13 in the function vs 18 in the model resolves differently.
        let f = Self.function(opset: 13)
        #expect(check(Self.calling([f])).has("ONNX-F07", .error))
        #expect(!check(Self.calling([f])) { $0.skipOpsetCompatibility = true }.ids().contains("ONNX-F07"))
        #expect(check(Self.calling([Self.function(opset: 14)])).isValid)
    }

    @Test func functionImportsItsDomains() {
        var f = Self.function()
        f.opsetImports = []
        #expect(check(Self.calling([f])).has("ONNX-F08", .error))
    }

    @Test func nodeRulesApplyInside() {
        let f = Self.function(nodes: [Node(op: "Relu", inputs: ["a"], outputs: ["b"], attributes: [.int("bogus", 1)])])
        #expect(check(Self.calling([f])).has("ONNX-N11", .error))
    }

    @Test func bodySingleAssignment() {
        let f = Self.function(nodes: [Node(op: "Relu", inputs: ["a"], outputs: ["b"]), Node(op: "Relu", inputs: ["a"], outputs: ["b"])])
        #expect(check(Self.calling([f])).has("ONNX-F10", .error))
    }

    @Test func experimentalInsideFunction() {
        let f = Self.function(nodes: [Node(op: "Scale", inputs: ["a"], outputs: ["b"])])
        #expect(check(Self.calling([f])).has("ONNX-F11", .warning))
    }

    @Test func functionsIgnoredBeforeIR8() {
        var m = Self.calling([Self.function(nodes: [Node(op: "Relu", inputs: ["z"], outputs: ["b"])])])
        m.irVersion = 7
        m.opsetImports = [OpsetImport(domain: "", version: 12), OpsetImport(domain: "local", version: 1)]
        #expect(!check(m).ids().contains("ONNX-F06"))
    }

    @Test func trainingBindings() {
        var m = Fixture.with([Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])], initializers: [Fixture.floats("w", [1, 2])])
        var info = TrainingInfo()
        info.algorithm = Graph(name: "algo", nodes: [Node(op: "Identity", inputs: ["w"], outputs: ["w2"])], outputs: [Fixture.vi("w2")])
        info.updateBinding = [StringPair(key: "w", value: "w2")]
        m.trainingInfo = [info]
        #expect(!check(m).ids().contains("ONNX-X16"))
        m.trainingInfo[0].updateBinding = [StringPair(key: "nope", value: "w2")]
        #expect(check(m).has("ONNX-X16", .error))
        m.trainingInfo[0].updateBinding = [StringPair(key: "w", value: "nope")]
        #expect(check(m).has("ONNX-X16", .error))
    }
}
