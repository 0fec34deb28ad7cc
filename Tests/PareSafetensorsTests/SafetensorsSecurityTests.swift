import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareSafetensors

/// The hostile corpus of fixtures/security/safetensors: each file is refused with the rule it is
/// named after (or read with that warning), and a conversion from it never leaves an output file.
@Suite struct SafetensorsSecurityTests {
    static let expected = Repo.expected(Repo.corpus + "/expected.json", as: CorpusCase.self)

    @Test func corpusIsPresent() { #expect(Self.expected.count >= 30) }

    @Test(arguments: expected.keys.sorted())
    func corpusFileTripsItsRule(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let rule = want.rule
        let input = Repo.corpus + "/" + name
        if want.outcome == "warning" {
            let file = try SafetensorsReader.load(path: input)
            #expect(file.diagnostics.contains { $0.rule == rule }, "\(name): \(file.diagnostics.map(\.line))")
            return
        }
        let dir = TempDir()
        let output = dir.file("out.safetensors")
        // What `pare convert` does: read, then write. The read must fail, and nothing may appear.
        #expect(thrownRule {
            let set = try SafetensorsReader.read(path: input)
            try SafetensorsWriter.write(set, to: output)
        } == rule, "\(name): \(want.what)")
        #expect(dir.contents.isEmpty, "\(name) left \(dir.contents)")
    }

    @Test func errorsAreOneLineNamingFileAndPlace() throws {
        do {
            _ = try SafetensorsReader.read(path: Repo.corpus + "/ST-06-gap.safetensors")
        } catch let e as PareError {
            #expect(e.description.hasPrefix(Repo.corpus + "/ST-06-gap.safetensors: tensor \"b\": "))
            #expect(!e.description.contains("\n"))
        }
    }

    @Test func lfsPointerIsNamedAsSuch() throws {
        do {
            _ = try SafetensorsReader.read(path: Repo.corpus + "/ST-02-lfs-pointer.safetensors")
        } catch let e as PareError {
            #expect(e.message.contains("Git LFS pointer"))
        }
    }

    /// TV-X01: every prefix of a valid file is a clean error (or, for the whole file, a success).
    @Test func everyTruncationIsACleanError() throws {
        let bytes = try Repo.bytes(Repo.fixtures + "/mixed.safetensors")
        for cut in 0..<bytes.count {
            let holder = TensorData(copying: bytes[0..<cut])
            #expect(throws: PareError.self) { _ = try SafetensorsReader.load(holder.bytes, path: "cut", owner: holder) }
        }
    }

    /// TV-X02: random single-bit flips give a clean error or a valid parse, never a trap.
    @Test func bitFlipsNeverTrap() throws {
        let bytes = try Repo.bytes(Repo.fixtures + "/mixed.safetensors")
        var state: UInt64 = 0x5EED
        var parsed = 0
        for _ in 0..<1000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var m = bytes
            let bit = Int(state >> 33) % (m.count * 8)
            m[bit / 8] ^= UInt8(1 << (bit % 8))
            let holder = TensorData(copying: m)
            do {
                _ = try SafetensorsReader.load(holder.bytes, path: "flip", owner: holder)
                parsed += 1
            } catch is PareError {}
        }
        #expect(parsed > 0)  // flips in tensor data leave a valid file
    }
}
