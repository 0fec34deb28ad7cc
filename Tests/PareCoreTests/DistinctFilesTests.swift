import Foundation
import Testing
@testable import PareCore
import PareTestSupport

@Suite struct DistinctFilesTests {
    /// A fresh folder holding `model.onnx`, removed after `body`.
    func inFolder(_ body: (String) throws -> Void) throws {
        let dir = TempDir(prefix: "pare-distinct-")
        try #require(FileManager.default.createFile(atPath: dir.file("model.onnx"), contents: Data([1, 2, 3])))
        try withExtendedLifetime(dir) { try body(dir.path) }  // the folder goes with `dir`
    }

    func clash(_ outputs: [DistinctFiles.Role], _ inputs: [DistinctFiles.Role], inPlace: Set<String> = []) -> PareError? {
        do { try DistinctFiles.check(outputs: outputs, inputs: inputs, inPlace: inPlace) } catch let e as PareError { return e } catch { return nil }
        return nil
    }

    @Test func anOutputOnAnInputIsRefusedWithBothRolesNamed() throws {
        try inFolder { dir in
            let e = clash([.init("--report", dir + "/model.onnx")], [.init("the model", dir + "/model.onnx")])
            #expect(e?.kind == .usage)
            #expect(e?.place == "--report")
            #expect(e?.description.contains("is also the model") == true)
        }
    }

    @Test func differentSpellingsOfOneFileAreOneFile() throws {
        try inFolder { dir in
            let model = DistinctFiles.Role("the model", dir + "/model.onnx")
            #expect(clash([.init("--report", dir + "/./model.onnx")], [model]) != nil)
            #expect(clash([.init("--report", dir + "/sub/../model.onnx")], [model]) == nil,
                    "sub does not exist, so that path names no file")
            try FileManager.default.createSymbolicLink(atPath: dir + "/link.onnx", withDestinationPath: dir + "/model.onnx")
            #expect(clash([.init("--report", dir + "/link.onnx")], [model]) != nil, "a symbolic link to the model")
            try FileManager.default.linkItem(atPath: dir + "/model.onnx", toPath: dir + "/hard.onnx")
            #expect(clash([.init("--report", dir + "/hard.onnx")], [model]) != nil, "a hard link to the model")
        }
    }

    @Test func twoOutputsNotYetWrittenMustDiffer() throws {
        try inFolder { dir in
            let e = clash([.init("-o", dir + "/out.onnx"), .init("--metrics", dir + "/./out.onnx")], [])
            #expect(e?.description.contains("--metrics: is also -o") == true)
            #expect(clash([.init("-o", dir + "/out.onnx"), .init("--metrics", dir + "/out.jsonl")], []) == nil)
        }
    }

    @Test func devicesAreNeverReplacedSoTheyMayRepeat() {
        #expect(clash([.init("-o", "/dev/null"), .init("--metrics", "/dev/null")], []) == nil)
    }

    @Test func anAllowedPairMayCoincide() throws {
        try inFolder { dir in
            let model = DistinctFiles.Role("the model", dir + "/model.onnx")
            let inPlace: Set = [DistinctFiles.pairKey("-o", "the model")]
            #expect(clash([.init("-o", dir + "/model.onnx")], [model], inPlace: inPlace) == nil)
            #expect(clash([.init("--report", dir + "/model.onnx")], [model], inPlace: inPlace) != nil,
                    "only the named pair is allowed")
        }
    }
}
