import Foundation
import PareCore
import Testing
@testable import PareTorch

/// Pare's checkpoints read back equal in Pare and in PyTorch (TV-P27), with torch's layout.
@Suite struct WriterTests {
    static let fixtures = ["cnn.pt", "mixed_dtypes.pt", "shared_views.pt", "nested.pt", "big_endian.pt", "protocol4.pt"]

    @Test(arguments: fixtures)
    func roundTripsThroughPare(_ file: String) throws {
        let scratch = Scratch()
        let original = try TorchCheckpointReader.read(path: Fixtures.path("torch/\(file)"))
        let out = scratch.file("out.pt")
        try TorchCheckpointWriter.write(original, to: out)
        let back = try TorchCheckpointReader.load(path: out)
        #expect(back.weights.tensors == original.tensors)
        #expect(back.prefix == "archive")
        #expect(!back.diagnostics.contains { $0.rule == "PT-08" })  // every storage 64-byte aligned
    }

    /// Every fixture written by Pare (and once with Zip64 structures forced on a small file) loads
    /// in PyTorch with weights_only=True, with and without mmap, equal to what torch.save wrote.
    /// One Python process checks them all: importing torch dominates the time.
    @Test func torchLoadsWhatPareWrites() throws {
        let scratch = Scratch()
        var pairs: [String] = []
        for file in Self.fixtures {
            let out = scratch.file("pare-\(file)")
            try TorchCheckpointWriter.write(try TorchCheckpointReader.read(path: Fixtures.path("torch/\(file)")), to: out)
            pairs += [Fixtures.path("torch/\(file)"), out]
        }
        let original = try TorchCheckpointReader.read(path: Fixtures.path("torch/cnn.pt"))
        let zip64 = scratch.file("zip64.pt")
        try TorchCheckpointWriter.write(original, to: zip64, forceZip64: true)
        #expect(try TorchCheckpointReader.read(path: zip64).tensors == original.tensors)
        pairs += [Fixtures.path("torch/cnn.pt"), zip64]
        guard let python = Fixtures.venvPython else { return }  // CI always has the venv
        let (status, output) = try run(python, [Fixtures.path("torch/check_roundtrip.py")] + pairs)
        #expect(status == 0, "\(output)")
        #expect(output.contains("OK \(Self.fixtures.count + 1) checkpoints"))
    }

    @Test func tiedWeightsShareOneStorage() throws {
        let scratch = Scratch()
        let set = try TorchCheckpointReader.read(path: Fixtures.path("torch/shared_views.pt"))
        let out = scratch.file("tied.pt")
        try TorchCheckpointWriter.write(set, to: out)
        let back = try TorchCheckpointReader.load(path: out)
        #expect(back.aliases.contains { $0.name == "tied_b" && $0.of == "tied_a" })
        #expect(!back.aliases.contains { $0.name == "row" })  // views are written as their own storages
    }

    @Test func writesAtomicallyAndRefusesWhatTorchCannotHold() throws {
        let scratch = Scratch()
        let out = scratch.file("x.pt")
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        let int4 = WeightTensor(name: "q", dtype: .int4, shape: [4], data: TensorData(copying: [0, 0]))
        #expect { try TorchCheckpointWriter.write(WeightSet(tensors: [int4]), to: out) } throws: {
            ($0 as? PareError)?.message.contains("PT-10") == true
        }
        let short = WeightTensor(name: "s", dtype: .float, shape: [4], data: TensorData(copying: [0, 0]))
        #expect(throws: PareError.self) { try TorchCheckpointWriter.write(WeightSet(tensors: [short]), to: out) }
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "old")  // untouched on failure
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["x.pt"])  // no temp left
    }

    @Test func pickleUsesTorchIntegerEncodings() {
        var e = PickleEncoder()
        for v: Int64 in [0, 255, 256, 65535, 65536, -1, Int64(Int32.max) + 1, -(1 << 40), Int64.max] { e.int(v) }
        let expected: [UInt8] = [0x80, 0x02, 0x4B, 0, 0x4B, 255, 0x4D, 0, 1, 0x4D, 255, 255, 0x4A, 0, 0, 1, 0,
                                 0x4A, 255, 255, 255, 255, 0x8A, 5, 0, 0, 0, 0x80, 0, 0x8A, 6, 0, 0, 0, 0, 0, 0xFF,
                                 0x8A, 8, 255, 255, 255, 255, 255, 255, 255, 0x7F]
        #expect(e.bytes == expected)
    }
}
