import Foundation
import Testing
@testable import PareFormats

@Suite struct FormatDetectorTests {
    func detect(_ bytes: [UInt8]) throws -> FileFormat {
        let path = NSTemporaryDirectory() + "pare-detect-" + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try FormatDetector.detect(path: path)
    }

    @Test func magicBytesDecide() throws {
        #expect(try detect([0x93] + Array("NUMPY".utf8) + [1, 0]) == .npy)
        #expect(try detect(Array("GGUF".utf8) + [3, 0, 0, 0]) == .gguf)
        #expect(try detect(Array("version https://git-lfs.github.com/spec/v1\n".utf8)) == .gitLFSPointer)
        #expect(try detect(Array("  <!DOCTYPE html>".utf8)) == .html)
        let header = Array("{\"__metadata__\":{}}".utf8)
        var st: [UInt8] = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xFF) }
        st += header
        #expect(try detect(st) == .safetensors)
        #expect(try detect([0x08, 0x08, 0x12, 0x00]) == .onnx)
        #expect(try detect([0x01, 0x02]) == .unknown)
    }

    /// A ZIP is classified by its members, read with libzip.
    @Test func zipMembersDecide() throws {
        let dir = NSTemporaryDirectory() + "pare-zip-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/archive", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0x80, 0x02]).write(to: URL(fileURLWithPath: dir + "/archive/data.pkl"))
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        zip.arguments = ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.write(sys.argv[2],'archive/data.pkl'); z.close()",
                         dir + "/ckpt.pt", dir + "/archive/data.pkl"]
        try zip.run()
        zip.waitUntilExit()
        #expect(try FormatDetector.detect(path: dir + "/ckpt.pt") == .pytorch)
        #expect(try FormatDetector.zipEntries(dir + "/ckpt.pt") == ["archive/data.pkl"])
    }
}
