import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareSafetensors

@Suite struct SafetensorsWriterTests {
    func tensor(_ name: String, _ dtype: DType, _ shape: [Int64], _ bytes: [UInt8]) -> WeightTensor {
        WeightTensor(name: name, dtype: dtype, shape: shape, data: TensorData(copying: bytes))
    }

    @Test func roundTripKeepsEverything() throws {
        let dir = TempDir()
        for name in ["mixed", "names", "empty", "zero-size-shared", "f4", "unpadded"] {
            let original = try SafetensorsReader.read(path: Repo.fixtures + "/\(name).safetensors")
            try SafetensorsWriter.write(original, to: dir.file("\(name).safetensors"))
            let back = try SafetensorsReader.load(path: dir.file("\(name).safetensors"))
            #expect(back.diagnostics.isEmpty)
            #expect(Dictionary(uniqueKeysWithValues: back.weights.tensors.map { ($0.name, $0) })
                    == Dictionary(uniqueKeysWithValues: original.tensors.map { ($0.name, $0) }), "\(name)")
            #expect(back.weights.metadata == original.metadata)
        }
    }

    @Test func layoutFollowsTheReferenceWriter() throws {
        let set = WeightSet(tensors: [
            tensor("b", .uint8, [3], [1, 2, 3]), tensor("a", .float, [1], [0, 0, 0x80, 0x3F]),
            tensor("z", .int64, [1], [7, 0, 0, 0, 0, 0, 0, 0]), tensor("m", .bool, [1], [1]),
            tensor("c", .float, [2], [UInt8](repeating: 0, count: 8)), tensor("i", .int32, [1], [9, 0, 0, 0]),
        ], metadata: ["format": "pt"])
        let (header, order) = try SafetensorsWriter.layout(set, path: "x")
        // I64, then F32 (a before c), I32, U8, BOOL: the reference's rank order, widest first.
        #expect(order.map { set.tensors[$0].name } == ["z", "a", "c", "i", "b", "m"])
        #expect((8 + header.count) % 64 == 0)
        let text = String(decoding: header, as: UTF8.self)
        #expect(text.hasPrefix(#"{"__metadata__":{"format":"pt"},"z":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":"#))
        #expect(text.trimmingCharacters(in: .whitespaces).hasSuffix(#""m":{"dtype":"BOOL","shape":[1],"data_offsets":[27,28]}}"#))
    }

    /// Without metadata, the header is the reference's byte for byte, up to the padding.
    @Test func headerMatchesTheReferenceBytes() throws {
        let path = Repo.fixtures + "/names.safetensors"
        let reference = try Repo.bytes(path)
        let n = reference[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let (header, _) = try SafetensorsWriter.layout(try SafetensorsReader.read(path: path), path: "x")
        let trim: ([UInt8]) -> [UInt8] = { Array($0.reversed().drop { $0 == 0x20 }.reversed()) }
        #expect(trim(header) == trim(Array(reference[8..<(8 + n)])))
    }

    @Test func refusalsLeaveNoFile() throws {
        let dir = TempDir()
        let out = dir.file("out.safetensors")
        let cases: [(WeightSet, String)] = [
            (WeightSet(tensors: [tensor("c", .complex128, [1], [UInt8](repeating: 0, count: 16))]), "no COMPLEX128"),
            (WeightSet(tensors: [tensor("s", .float, [2], [0, 0, 0, 0])]), "ST-09"),
            (WeightSet(tensors: [tensor("d", .uint8, [1], [0]), tensor("d", .uint8, [1], [1])]), "ST-12"),
            (WeightSet(tensors: [tensor("q", .float4e2m1, [3], [0, 0])]), "ST-07, ST-08"),
            (WeightSet(tensors: [tensor("__metadata__", .uint8, [1], [0])]), "reserved"),
        ]
        for (set, why) in cases {
            do {
                try SafetensorsWriter.write(set, to: out)
                Issue.record("accepted: \(why)")
            } catch let e as PareError {
                #expect(e.description.contains(why.replacingOccurrences(of: "no ", with: "")), "\(e)")
            }
            #expect(dir.contents.isEmpty)
        }
    }

    @Test func overwritingAnInputThatIsMappedIsSafe() throws {
        // TV-X04: the output path equals the input path while the input is mapped.
        let dir = TempDir()
        let path = dir.file("m.safetensors")
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/mixed.safetensors", toPath: path)
        let set = try SafetensorsReader.read(path: path)
        try SafetensorsWriter.write(set, to: path)
        #expect(try SafetensorsReader.read(path: path) == set)
        #expect(dir.contents == ["m.safetensors"])
    }

    @Test func symlinkAtTheOutputIsReplacedNotFollowed() throws {
        // TV-X03: the rename replaces the link itself; the file it pointed to keeps its bytes.
        let dir = TempDir()
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir.file("target")))
        try FileManager.default.createSymbolicLink(atPath: dir.file("out.safetensors"), withDestinationPath: dir.file("target"))
        try SafetensorsWriter.write(try SafetensorsReader.read(path: Repo.fixtures + "/names.safetensors"), to: dir.file("out.safetensors"))
        #expect(try String(contentsOfFile: dir.file("target"), encoding: .utf8) == "keep")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("out.safetensors"))) == nil)
    }

    @Test(.enabled(if: Python.available, "needs .venv/bin/python with safetensors and torch"))
    func referenceReaderLoadsPareOutput() throws {
        let dir = TempDir()
        var pairs: [String] = []
        for name in ["mixed", "names", "empty", "zero-size-shared"] {
            let reference = Repo.fixtures + "/\(name).safetensors"
            let out = dir.file("\(name).safetensors")
            try SafetensorsWriter.write(try SafetensorsReader.read(path: reference), to: out)
            pairs += [out, reference]
        }
        let (status, output) = try Python.run([Repo.fixtures + "/verify_written.py"] + pairs)
        #expect(status == 0, "\(output)")
    }
}
