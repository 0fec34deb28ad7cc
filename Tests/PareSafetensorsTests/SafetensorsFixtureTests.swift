import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareSafetensors

/// Files written by the reference library (and a few hand-built edge cases it accepts) read back
/// with exactly the tensors and metadata it stored.
@Suite struct SafetensorsFixtureTests {
    static let expected = Repo.expected(Repo.fixtures + "/expected.json", as: ExpectedFile.self)

    @Test(arguments: expected.keys.sorted())
    func fixtureReadsAsWritten(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let file = try SafetensorsReader.load(path: Repo.fixtures + "/" + name)
        #expect(file.weights.metadata == want.metadata)
        try #require(file.weights.tensors.count == want.tensors.count)
        for (got, w) in zip(file.weights.tensors, want.tensors) {
            #expect(got.name == w.name)
            #expect(got.dtype.name == w.dtype)
            #expect(got.shape == w.shape)
            #expect(got.data.array == hexBytes(w.hex), "tensor \(got.name)")
            // Typed access needs natural alignment: misaligned data must have been copied.
            if let base = got.data.bytes.baseAddress, let bits = got.dtype.bits, bits >= 16 {
                #expect(Int(bitPattern: base) % (bits / 8) == 0, "tensor \(got.name) is misaligned")
            }
        }
        let rules = Set(file.diagnostics.map(\.rule))
        for rule in want.warnings ?? [] { #expect(rules.contains(rule)) }
    }

    @Test func tensorsAreViewsIntoTheMapping() throws {
        let file = try MappedFile(path: Repo.fixtures + "/mixed.safetensors")
        let loaded = try SafetensorsReader.load(file.bytes, path: "mixed.safetensors", owner: file)
        let mapped = UInt(bitPattern: file.bytes.baseAddress!)..<UInt(bitPattern: file.bytes.baseAddress! + file.count)
        for t in loaded.weights.tensors where t.data.count > 0 {
            #expect(mapped.contains(UInt(bitPattern: t.data.bytes.baseAddress!)), "tensor \(t.name) was copied")
        }
    }

    @Test func tensorsComeInFileOrder() throws {
        let set = try SafetensorsReader.read(path: Repo.fixtures + "/zero-size-shared.safetensors")
        #expect(set.tensors.map(\.name) == ["z1", "z2", "a"])
    }

    @Test func strictModeRefusesUnknownMembers() throws {
        var options = SafetensorsReader.Options()
        options.strict = true
        #expect(thrownRule { _ = try SafetensorsReader.read(path: Repo.fixtures + "/extra-member.safetensors", options: options) } == "ST-15")
    }

    @Test func headerCapIsConfigurable() throws {
        var options = SafetensorsReader.Options()
        options.maxHeaderBytes = 16
        #expect(thrownRule { _ = try SafetensorsReader.read(path: Repo.fixtures + "/mixed.safetensors", options: options) } == "ST-02")
    }
}
