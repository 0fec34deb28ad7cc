import Foundation
import PareCore
import PareIR
import Testing
@testable import PareONNX

@Suite struct ExternalDataTests {
    @Test func externalWriteAlignsAndReadsBack() throws {
        let dir = TempDir()
        let model = ModelFactory.convRelu(channels: 64)
        let summary = try ONNXWriter.write(model, to: dir.file("m.onnx"), resolver: nil,
                                           options: { var o = ONNXWriteOptions(); o.externalData = .external; return o }())
        #expect(summary.externalTensors == 1)  // only the 6912-byte weight is ≥ 1 KiB
        #expect(summary.dataFile == dir.file("m.onnx.data"))
        let back = try ONNXReader.read(path: dir.file("m.onnx"))
        let w = try #require(back.model.graph?.initializer(named: "conv.weight"))
        #expect(w.isExternal && w.rawData == nil)
        #expect(w.externalValue("location") == "m.onnx.data")
        #expect(Int(w.externalValue("offset")!)! % 4096 == 0)
        let resolver = ExternalDataResolver(modelPath: dir.file("m.onnx"))
        #expect(try resolver.bytes(of: w, place: "w") == model.graph!.initializer(named: "conv.weight")!.rawData!)

        // And back inline: equal to the original model.
        _ = try ONNXWriter.write(back.model, to: dir.file("inline.onnx"), resolver: resolver,
                                 options: { var o = ONNXWriteOptions(); o.externalData = .inline; return o }())
        #expect(try ONNXReader.read(path: dir.file("inline.onnx")).model == model)
    }

    func resolverError(_ entries: [(String, String)], dims: [Int64] = [4], setup: (TempDir) throws -> Void = { _ in }) throws -> String {
        let dir = TempDir()
        try setup(dir)
        var t = Tensor(name: "t", dataType: DType.float.rawValue, dims: dims)
        t.dataLocation = 1
        t.externalData = entries.map { StringPair(key: $0.0, value: $0.1) }
        do {
            _ = try ExternalDataResolver(modelPath: dir.file("m.onnx")).bytes(of: t, place: "t")
            return "no error"
        } catch let e as PareError {
            return e.description
        }
    }

    @Test func pathTraversalIsRefused() throws {
        #expect(try resolverError([("location", "../etc/passwd")]).contains("ONNX-T03"))
        #expect(try resolverError([("location", "/etc/passwd")]).contains("ONNX-T03"))
        #expect(try resolverError([("location", "a/../../x")]).contains("ONNX-T03"))
        #expect(try resolverError([("location", "#memory")]).contains("ONNX-E10"))
        #expect(try resolverError([]).contains("ONNX-T03"))
    }

    @Test func symlinkIsRefused() throws {
        let message = try resolverError([("location", "link.bin")]) { dir in
            try FileManager.default.createSymbolicLink(atPath: dir.file("link.bin"), withDestinationPath: "/etc/hostname")
        }
        #expect(message.contains("symbolic link"))
    }

    @Test func boundsAndSizesAreChecked() throws {
        let make: (TempDir) throws -> Void = { dir in try Data(count: 16).write(to: URL(fileURLWithPath: dir.file("d.bin"))) }
        #expect(try resolverError([("location", "d.bin"), ("offset", "12abc")], setup: make).contains("ONNX-E03"))
        #expect(try resolverError([("location", "d.bin"), ("offset", "-1")], setup: make).contains("ONNX-E03"))
        #expect(try resolverError([("location", "d.bin"), ("offset", "8"), ("length", "16")], setup: make).contains("ONNX-E04"))
        #expect(try resolverError([("location", "d.bin"), ("offset", "99")], setup: make).contains("ONNX-E04"))
        #expect(try resolverError([("location", "d.bin"), ("length", "12")], setup: make).contains("ONNX-E05"))
        #expect(try resolverError([("location", "d.bin"), ("location", "d.bin")], setup: make).contains("ONNX-E02"))
        #expect(try resolverError([("location", "d.bin"), ("length", "16")], setup: make) == "no error")
    }
}

@Suite struct LargeModelTests {
    /// Above the inline limit `keep` switches large tensors to external data by itself (the real
    /// limit is 1.8 GB; lowered here so the test stays small).
    @Test func keepModeExternalizesWhenTheModelWouldBeTooBig() throws {
        let dir = TempDir()
        var options = ONNXWriteOptions()
        options.inlineLimit = 4_000
        let model = ModelFactory.convRelu(channels: 64)  // 6.9 KB of weights
        let summary = try ONNXWriter.write(model, to: dir.file("big.onnx"), resolver: nil, options: options)
        #expect(summary.externalTensors == 1)
        let back = try ONNXReader.read(path: dir.file("big.onnx"))
        #expect(back.model.graph?.initializer(named: "conv.weight")?.isExternal == true)
        #expect(back.model.graph?.initializer(named: "conv.bias")?.isExternal == false, "tensors under 1 KiB stay inline")
    }

    @Test func inlineModeRefusesMoreThan2GiB() throws {
        // A tensor claiming 3 GB of raw bytes would need a protobuf message over 2 GiB. TensorData
        // views let the test declare it without allocating: the size check runs before packing.
        let dir = TempDir()
        var model = ModelFactory.convRelu()
        let fake = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 0x1000), count: 3_000_000_000)
        model.graph!.initializers.append(Tensor(name: "huge", type: .uint8, dims: [3_000_000_000],
                                                raw: TensorData(view: fake, owner: dir)))
        var options = ONNXWriteOptions()
        options.externalData = .inline
        #expect {
            _ = try ONNXWriter.write(model, to: dir.file("x.onnx"), resolver: nil, options: options)
        } throws: { ($0 as? PareError)?.message.contains("2 GiB") == true }
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.onnx")))
    }
}
