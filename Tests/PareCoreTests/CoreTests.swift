import Foundation
import Testing
@testable import PareCore

@Suite struct CoreTests {
    @Test func byteCountsFollowTheONNXTable() {
        #expect(DType.float.byteCount(elements: 10) == 40)
        #expect(DType.int4.byteCount(elements: 5) == 3)
        #expect(DType.uint2.byteCount(elements: 5) == 2)
        #expect(DType.complex128.byteCount(elements: 2) == 32)
        #expect(DType.string.byteCount(elements: 2) == nil)
        #expect(DType.double.byteCount(elements: Int64.max / 4) == nil, "overflow must be reported, not trap")
    }

    @Test func elementCountRejectsNegativeAndOverflow() {
        #expect(Checked.elementCount([2, 3, 4]) == 24)
        #expect(Checked.elementCount([]) == 1)
        #expect(Checked.elementCount([3, -1]) == nil)
        #expect(Checked.elementCount([Int64.max, 2]) == nil)
    }

    @Test func errorsAreOneLine() {
        let e = PareError(.invalid, file: "m.onnx", place: "node 3", "bad\nthing", hint: "fix it")
        #expect(e.description == "m.onnx: node 3: bad thing (fix it)")
    }

    @Test func atomicWriterCommitsOrLeavesNothing() throws {
        let dir = NSTemporaryDirectory() + "pare-core-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/out.bin"
        try writeFileAtomically(target, [1, 2, 3])
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([1, 2, 3]))
        let w = try AtomicFileWriter(destination: target)
        try w.write([9, 9, 9, 9])
        try w.pad(toMultipleOf: 4096)
        #expect(w.offset == 4096)
        w.abandon()
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([1, 2, 3]), "abandoned write must not touch the file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
        #expect(throws: PareError.self) { try writeFileAtomically(dir + "/missing/out.bin", [1]) }
    }

    @Test func mappedFileRefusesNonRegularFiles() {
        #expect(throws: PareError.self) { _ = try MappedFile(path: "/dev/zero") }
        #expect(throws: PareError.self) { _ = try MappedFile(path: "/tmp") }
        #expect(throws: PareError.self) { _ = try MappedFile(path: "/nonexistent/file.onnx") }
    }
}

@Suite struct PareErrorRuleTests {
    @Test func ruleIsReadFromTheMessage() {
        #expect(PareError(.invalid, "offsets overlap (rule ST-06)").rule == "ST-06")
        #expect(PareError(.invalid, "no rule here").rule == nil)
        #expect(PareError(.invalid, "(rule PK-04) first").rule == "PK-04")
    }
}
