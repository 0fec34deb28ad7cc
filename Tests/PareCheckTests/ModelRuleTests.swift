import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct ModelRuleTests {
    @Test func validBaseReportsNothing() {
        let report = check(Fixture.base())
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map(\.line))")
        #expect(report.isValid)
    }

    @Test func irVersionMustBeSet() {
        var m = Fixture.base()
        m.irVersion = 0
        #expect(check(m).has("ONNX-M01", .error))
        m.irVersion = nil
        #expect(check(m).has("ONNX-M01", .error))
    }

    @Test func irVersionNewerThanKnown() {
        var m = Fixture.base()
        m.irVersion = 14
        #expect(!check(m).ids().contains("ONNX-M02"))
        m.irVersion = 15
        #expect(check(m).has("ONNX-M02", .error))
        #expect(check(m) { $0.allowNewerIR = true }.has("ONNX-M02", .warning))
    }

    @Test func modelMetadataKeysUnique() {
        var m = Fixture.base()
        m.metadata = [StringPair(key: "a", value: "1"), StringPair(key: "b", value: "2")]
        #expect(!check(m).ids().contains("ONNX-M03"))
        m.metadata.append(StringPair(key: "a", value: "3"))
        #expect(check(m).has("ONNX-M03", .error))
    }

    @Test func opsetVersionFitsInt32() {
        var m = Fixture.base()
        m.opsetImports = [OpsetImport(domain: "", version: Int64(Int32.max) + 1)]
        #expect(check(m).has("ONNX-M04", .error))
    }

    @Test func opsetImportPresenceDependsOnIR() {
        var m = Fixture.base()
        m.opsetImports = []
        #expect(check(m).has("ONNX-M05", .error))
        // IR 1-2 imply the default domain at version 1 and forbid explicit imports.
        m.irVersion = 2
        #expect(!check(m).ids().contains("ONNX-M05"))
        m.opsetImports = [OpsetImport(domain: "", version: 1)]
        #expect(check(m).has("ONNX-M05", .error))
    }

    @Test func irVersionBelowOpsetRequirement() {
        var m = Fixture.base()
        m.irVersion = 3  // opset 18 needs IR 8
        m.graph!.initializers = []
        let report = check(m)
        #expect(report.has("ONNX-X17", .warning))
        #expect(check(m) { $0.strict = true }.has("ONNX-X17", .error))
    }

    @Test func duplicateAndNonPositiveOpsets() {
        var m = Fixture.base()
        m.opsetImports = [OpsetImport(domain: "", version: 18), OpsetImport(domain: "ai.onnx", version: 18),
                          OpsetImport(domain: "com.x", version: 0)]
        let report = check(m)
        #expect(report.has("ONNX-X21", .warning))
        #expect(report.has("ONNX-X22", .warning))
    }

    @Test func newestOnnxOpsetAndTypesAreKnown() {
        // onnx 1.23 has opset 28 and the FLOAT6 types 27/28; none of them is an error.
        var m = Fixture.with([Node(op: "Cast", inputs: ["w"], outputs: ["y"], attributes: [.int("to", 1)])],
                             inputs: [], opset: 28)
        var w = Tensor(name: "w", dataType: 27, dims: [3])
        w.rawData = TensorData(copying: [0x3F, 0x0F, 0x00])  // 18 bits in 3 bytes, top 6 bits clear
        m.graph!.initializers = [w]
        m.irVersion = 14
        let report = check(m)
        #expect(report.isValid, "\(report.diagnostics.map(\.line))")
    }
}
