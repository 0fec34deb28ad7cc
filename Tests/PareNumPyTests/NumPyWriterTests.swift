import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareNumPy

@Suite struct NumPyWriterTests {
    static let littleEndianFixtures = NumPyFixtureTests.expected.keys.filter { $0.hasPrefix("c-") }.sorted()

    /// What NumPy wrote, Pare writes: the same bytes for every little-endian C-ordered array.
    @Test(arguments: littleEndianFixtures)
    func npyBytesMatchNumPy(_ name: String) throws {
        let dir = TempDir()
        let set = try NpyReader.read(path: Repo.fixtures + "/" + name)
        try NpyWriter.write(set, to: dir.file(name))
        #expect(try Repo.bytes(dir.file(name)) == Repo.bytes(Repo.fixtures + "/" + name))
    }

    @Test func npzRoundTrip() throws {
        let dir = TempDir()
        for source in ["stored.npz", "deflated.npz", "positional.npz"] {
            let original = try NpzReader.read(path: Repo.fixtures + "/" + source)
            for compression in [NpzWriter.Compression.stored, .deflated] {
                let out = dir.file("\(compression)-\(source)")
                try NpzWriter.write(original, to: out, compression: compression)
                let back = try NpzReader.load(path: out)
                #expect(back.weights == original)
                #expect(back.diagnostics.isEmpty)
            }
        }
        #expect(!dir.contents.contains { $0.hasPrefix(".") })  // no temporary files left
    }

    @Test func emptySetWritesAnEmptyArchive() throws {
        let dir = TempDir()
        try NpzWriter.write(WeightSet(), to: dir.file("e.npz"))
        #expect(try NpzReader.read(path: dir.file("e.npz")).tensors.isEmpty)
    }

    @Test func refusalsLeaveNoFile() throws {
        let dir = TempDir()
        func set(_ name: String, _ dtype: DType, _ bytes: [UInt8]) -> WeightSet {
            WeightSet(tensors: [WeightTensor(name: name, dtype: dtype, shape: [Int64(bytes.count / 2)], data: TensorData(copying: bytes))])
        }
        let cases: [(WeightSet, String)] = [
            (set("b", .bfloat16, [0, 0]), "no BFLOAT16"),
            (set("../x", .int16, [0, 0]), "ZIP-09"),
            (set("/x", .int16, [0, 0]), "ZIP-09"),
            (set("a\\b", .int16, [0, 0]), "ZIP-09"),
            (set("s", .int16, [0, 0, 0]), "does not match"),
        ]
        for (weights, why) in cases {
            do {
                try NpzWriter.write(weights, to: dir.file("out.npz"))
                Issue.record("accepted: \(why)")
            } catch let e as PareError {
                #expect(e.description.contains(why), "\(e)")
            }
            #expect(dir.contents.isEmpty)
        }
        #expect(throws: PareError.self) {
            try NpyWriter.write(WeightSet(tensors: set("a", .int8, [0, 0]).tensors + set("b", .int8, [0, 0]).tensors), to: dir.file("two.npy"))
        }
        #expect(dir.contents.isEmpty)
    }

    @Test func symlinkAtTheOutputIsReplacedNotFollowed() throws {
        // TV-X03: the rename replaces the link itself; the file it pointed to keeps its bytes.
        let dir = TempDir()
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir.file("target")))
        for out in ["out.npz", "out.npy"] {
            try FileManager.default.createSymbolicLink(atPath: dir.file(out), withDestinationPath: dir.file("target"))
        }
        try NpzWriter.write(try NpzReader.read(path: Repo.fixtures + "/stored.npz"), to: dir.file("out.npz"))
        try NpyWriter.write(try NpyReader.read(path: Repo.fixtures + "/c-f4.npy"), to: dir.file("out.npy"))
        #expect(try String(contentsOfFile: dir.file("target"), encoding: .utf8) == "keep")
        for out in ["out.npz", "out.npy"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file(out))) == nil)
        }
    }

    @Test(.enabled(if: Python.available, "needs .venv/bin/python with numpy"))
    func numpyLoadsPareOutput() throws {
        let dir = TempDir()
        var triples: [String] = []
        for source in ["stored.npz", "deflated.npz", "positional.npz", "with-readme.npz"] {
            let original = try NpzReader.read(path: Repo.fixtures + "/" + source)
            for (compression, method) in [(NpzWriter.Compression.stored, "stored"), (.deflated, "deflated")] {
                let out = dir.file("\(method)-\(source)")
                try NpzWriter.write(original, to: out, compression: compression)
                // The non-array readme of with-readme.npz is not a tensor and is not written.
                triples += [out, source == "with-readme.npz" ? dir.file("\(method)-ref.npz") : Repo.fixtures + "/" + source, method]
                if source == "with-readme.npz" { try NpzWriter.write(original, to: dir.file("\(method)-ref.npz"), compression: compression) }
            }
        }
        for name in ["f-be-f4.npy", "be-c16.npy", "v3.npy", "py2-header.npy", "c-scalar.npy"] {
            let out = dir.file(name)
            try NpyWriter.write(try NpyReader.read(path: Repo.fixtures + "/" + name), to: out)
            triples += [out, Repo.fixtures + "/" + name, "stored"]
        }
        let (status, output) = try Python.run([Repo.fixtures + "/verify_written.py"] + triples)
        #expect(status == 0, "\(output)")
    }
}
