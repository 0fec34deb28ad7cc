import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct ExternalDataRuleTests {
    /// A model in `dir` whose initializers are external FLOAT[2] tensors with these entries.
    func model(_ entries: [[(String, String)]], in dir: ScratchDir) -> (Model, String) {
        var inits: [Tensor] = []
        var node = Node(op: "Sum", inputs: ["x"], outputs: ["y"])
        for (i, list) in entries.enumerated() {
            var t = Tensor(name: "w\(i)", dataType: DType.float.rawValue, dims: [2])
            t.dataLocation = 1
            t.externalData = list.map { StringPair(key: $0.0, value: $0.1) }
            inits.append(t)
            node.inputs.append("w\(i)")
        }
        return (Fixture.with([node], initializers: inits), dir.file("m.onnx"))
    }

    func report(_ entries: [[(String, String)]], files: [String: [UInt8]] = ["w.bin": [UInt8](repeating: 1, count: 8)]) throws -> CheckReport {
        let dir = ScratchDir()
        for (name, bytes) in files { try dir.write(name, bytes) }
        let (m, path) = model(entries, in: dir)
        return check(m, path: path)
    }

    @Test func validExternalTensor() throws {
        let r = try report([[("location", "w.bin")]])
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics.map(\.line))")
    }

    @Test func unknownKeyWarns() throws {
        #expect(try report([[("location", "w.bin"), ("colour", "blue")]]).has("ONNX-E01", .warning))
    }

    @Test func resolverRulesKeepTheirIds() throws {
        #expect(try report([[("offset", "0")]]).has("ONNX-T03", .error))
        #expect(try report([[("location", "../w.bin")]]).has("ONNX-T03", .error))
        #expect(try report([[("location", "missing.bin")]]).has("ONNX-T03", .error))
        #expect(try report([[("location", "w.bin"), ("location", "w.bin")]]).has("ONNX-E02", .error))
        #expect(try report([[("location", "w.bin"), ("offset", "+4")]]).has("ONNX-E03", .error))
        #expect(try report([[("location", "w.bin"), ("offset", "9")]]).has("ONNX-E04", .error))
        #expect(try report([[("location", "w.bin"), ("length", "4")]]).has("ONNX-E05", .error))
        #expect(try report([[("location", "#mem")]]).has("ONNX-E10", .error))
    }

    @Test func stringTensorsCannotBeExternal() throws {
        let dir = ScratchDir()
        try dir.write("s.bin", [1, 2])
        var t = Tensor(name: "s", dataType: DType.string.rawValue, dims: [1])
        t.dataLocation = 1
        t.externalData = [StringPair(key: "location", value: "s.bin")]
        var m = Fixture.with([Node(op: "Identity", inputs: ["s"], outputs: ["y"])], inputs: [], outputs: [Fixture.vi("y", .string, [1])])
        m.graph!.initializers = [t]
        #expect(check(m, path: dir.file("m.onnx")).has("ONNX-E11", .error))
    }

    @Test func checksumIsSHA1OfTheWholeFile() throws {
        let bytes = [UInt8](repeating: 1, count: 8)
        let good = "c0357a32ed1f6a03be92dd094476f7f1a2e214ec"
        #expect(try report([[("location", "w.bin"), ("checksum", good)]], files: ["w.bin": bytes]).ids(.error).isEmpty)
        #expect(try report([[("location", "w.bin"), ("checksum", good.uppercased())]], files: ["w.bin": bytes]).ids(.error).isEmpty)
        #expect(try report([[("location", "w.bin"), ("checksum", String(repeating: "0", count: 40))]], files: ["w.bin": bytes])
            .has("ONNX-E06", .error))
    }

    @Test func overlappingRegions() throws {
        let r = try report([[("location", "w.bin"), ("offset", "0"), ("length", "8")],
                            [("location", "w.bin"), ("offset", "4096"), ("length", "8")],
                            [("location", "w.bin"), ("offset", "4100"), ("length", "8")]],
                           files: ["w.bin": [UInt8](repeating: 0, count: 4108)])
        #expect(r.has("ONNX-E07", .warning))
        #expect(r.has("ONNX-E08", .info))  // 4100 is not page-aligned
        #expect(r.isValid)
    }

    @Test func hiddenBytes() throws {
        let r = try report([[("location", "w.bin"), ("length", "8")]], files: ["w.bin": [UInt8](repeating: 0, count: 8 + 70_000)])
        #expect(r.has("ONNX-E09", .info))
    }

    @Test func entriesOnInlineTensorIgnored() {
        var t = Fixture.floats("w", [1, 2])
        t.externalData = [StringPair(key: "location", value: "w.bin")]
        let r = check(Fixture.with([Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])], initializers: [t]))
        #expect(r.has("ONNX-E12", .warning) && r.isValid)
    }
}
