import Foundation
import PareCore
import Testing
@testable import PareTorch

/// The ZIP layer on its own and every valid fixture under damage (TV-X01, TV-X02).
@Suite struct ZipTests {
    @Test func crc32KnownAnswer() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let long = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let split = long.withUnsafeBytes { b in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[500...]), continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[..<500])))
        }
        #expect(split == CRC32.checksum(long))
    }

    @Test func writerAlignsEveryRecordTheWayTorchDoes() throws {
        let scratch = Scratch()
        let set = try TorchCheckpointReader.read(path: Fixtures.path("torch/mixed_dtypes.pt"))
        try TorchCheckpointWriter.write(set, to: scratch.file("m.pt"))
        let file = try MappedFile(path: scratch.file("m.pt"))
        let dir = try ZipDirectory.read(file.bytes, path: "m.pt")
        #expect(dir.entries.map(\.name).prefix(4) == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment", "archive/byteorder"])
        #expect(dir.entries.last?.name == "archive/version")
        for e in dir.entries { #expect(e.dataOffset % 64 == 0 && e.isStored, "\(e.name)") }
        #expect(dir.diagnostics.isEmpty)
    }

    @Test func appendedBytesAreAWarning() throws {
        let scratch = Scratch()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/cnn.pt"))))
        bytes += Array("trailing".utf8)
        let ckpt = try TorchCheckpointReader.load(path: try bytes.write(in: scratch, "t.pt"))
        #expect(ckpt.diagnostics.contains { $0.rule == "ZIP-13" })
        #expect(ckpt.weights.tensors.count == 11)
    }

    /// TV-X01: every fixture cut at every byte (small files) or 300 points (larger ones): a
    /// clean error each time, never a trap.
    @Test(arguments: ["cnn.pt", "mixed_dtypes.pt", "shared_views.pt", "nested.pt", "big_endian.pt", "deflated_pickle.pt"])
    func truncationsAreCleanErrors(_ file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/\(file)"))))
        var rng = SystemRandomNumberGenerator()
        let cuts = bytes.count <= 3_000 ? Array(0..<bytes.count) : (0..<300).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        for cut in cuts {
            let holder = TensorData(copying: bytes[0..<cut])
            do {
                _ = try TorchCheckpointReader.load(bytes: holder.bytes, owner: holder, path: "cut.pt")
                Issue.record("\(file) cut at \(cut) was accepted")
            } catch is PareError {}
        }
    }

    /// TV-X02: 1,000 single-bit flips per fixture: a clean error or a valid parse.
    @Test(arguments: ["cnn.pt", "shared_views.pt", "deflated_pickle.pt"])
    func bitFlipsAreErrorsOrValidParses(_ file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/\(file)"))))
        var state: UInt64 = 0x5EED
        for _ in 0..<1_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var m = bytes
            let bit = Int(state >> 33) % (m.count * 8)
            m[bit / 8] ^= UInt8(1 << (bit % 8))
            let holder = TensorData(copying: m)
            do { _ = try TorchCheckpointReader.load(bytes: holder.bytes, owner: holder, path: "flip.pt") } catch is PareError {}
        }
    }
}

/// Damage inside a storage record is caught by its CRC (ZIP-11): small records are always
/// checked, large ones on request.
@Suite struct StorageCRCTests {
    @Test func corruptedStorageIsRefused() throws {
        let scratch = Scratch()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/cnn.pt"))))
        let file = try bytes.withUnsafeBytes { try ZipDirectory.read($0, path: "cnn.pt") }
        let storage = try #require(file.entries.first { $0.name.hasSuffix("/data/0") })
        bytes[storage.dataOffset] ^= 0x01
        #expect { _ = try TorchCheckpointReader.load(path: try bytes.write(in: scratch, "c.pt")) } throws: {
            ($0 as? PareError)?.message.contains("(rule ZIP-11)") == true
        }
    }
}
