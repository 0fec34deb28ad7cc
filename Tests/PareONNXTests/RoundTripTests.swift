import Foundation
import PareCore
import PareIR
import Testing
@testable import PareONNX

/// A fresh temporary folder per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "pare-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

@Suite struct RoundTripTests {
    @Test func everyFieldSurvivesWriteThenRead() throws {
        let dir = TempDir()
        let model = ModelFactory.everything()
        _ = try ONNXWriter.write(model, to: dir.file("m.onnx"), resolver: nil)
        let back = try ONNXReader.read(path: dir.file("m.onnx"))
        #expect(back.model == model)
        #expect(back.readFindings.isEmpty)
    }

    @Test func secondWriteIsByteIdentical() throws {
        let dir = TempDir()
        _ = try ONNXWriter.write(ModelFactory.everything(), to: dir.file("a.onnx"), resolver: nil)
        let a = try ONNXReader.read(path: dir.file("a.onnx"))
        _ = try ONNXWriter.write(a.model, to: dir.file("b.onnx"), resolver: ExternalDataResolver(modelPath: dir.file("a.onnx")))
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: dir.file("a.onnx")))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: dir.file("b.onnx")))
        #expect(bytesA == bytesB)
    }

    @Test func largeRawDataIsAViewIntoTheMappedFile() throws {
        let dir = TempDir()
        let model = ModelFactory.convRelu(channels: 64)  // 64·27·4 = 6912 bytes of weights
        _ = try ONNXWriter.write(model, to: dir.file("m.onnx"), resolver: nil)
        let file = try MappedFile(path: dir.file("m.onnx"))
        let back = try ONNXReader.read(file.bytes, path: file.path, owner: file)
        let weight = try #require(back.model.graph?.initializer(named: "conv.weight")?.rawData)
        let base = UInt(bitPattern: file.bytes.baseAddress!)
        let start = UInt(bitPattern: weight.bytes.baseAddress!)
        #expect(start >= base && start < base + UInt(file.count), "weight bytes must point into the mapping")
        #expect(weight == model.graph!.initializer(named: "conv.weight")!.rawData!)
        // Small tensors are copied out instead.
        let bias = try #require(back.model.graph?.initializer(named: "conv.bias")?.rawData)
        let bStart = UInt(bitPattern: bias.bytes.baseAddress!)
        #expect(!(bStart >= base && bStart < base + UInt(file.count)))
    }

    @Test func writeFailureLeavesDestinationUntouched() throws {
        let dir = TempDir()
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir.file("out.onnx")))
        var model = ModelFactory.convRelu()
        // An external tensor whose data file does not exist makes the write fail part-way.
        var t = Tensor(name: "ext", dataType: DType.float.rawValue, dims: [4])
        t.dataLocation = 1
        t.externalData = [StringPair(key: "location", value: "missing.bin")]
        model.graph!.initializers.append(t)
        #expect(throws: PareError.self) {
            _ = try ONNXWriter.write(model, to: dir.file("out.onnx"), resolver: ExternalDataResolver(modelPath: dir.file("in.onnx")))
        }
        #expect(try String(contentsOfFile: dir.file("out.onnx"), encoding: .utf8) == "keep me")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "out.onnx" }
        #expect(leftovers.isEmpty, "temporary files must be removed: \(leftovers)")
    }
}
