import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareNumPy

/// The hostile corpus of fixtures/security/npz: each file is refused with the rule it is named
/// after (or read with that warning), and a conversion from it never leaves an output file.
@Suite struct NumPySecurityTests {
    static let expected = Repo.expected(Repo.corpus + "/expected.json", as: CorpusCase.self)

    @Test func corpusIsPresent() { #expect(Self.expected.count >= 25) }

    @Test(arguments: expected.keys.sorted())
    func corpusFileTripsItsRule(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let input = Repo.corpus + "/" + name
        if want.outcome == "warning" {
            let file = try NumPyFixtureTests.load(input)
            #expect(file.diagnostics.contains { $0.rule == want.rule }, "\(name): \(file.diagnostics.map(\.line))")
            return
        }
        let dir = TempDir()
        let output = dir.file("out.npz")
        #expect(thrownRule {
            let set = try NumPyFixtureTests.load(input).weights
            try NpzWriter.write(set, to: output)
        } == want.rule, "\(name): \(want.what)")
        #expect(dir.contents.isEmpty, "\(name) left \(dir.contents)")
    }

    @Test func headerIsNeverEvaluated() throws {
        _ = thrownRule { _ = try NpyReader.read(path: Repo.corpus + "/NP-03-eval.npy") }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pare-pwned"))
    }

    @Test func objectArraysMentionPickle() throws {
        do {
            _ = try NpzReader.read(path: Repo.corpus + "/NP-04-object.npz")
        } catch let e as PareError {
            #expect(e.message.contains("pickle"))
            #expect(e.description.contains("entry \"obj.npy\""))
        }
    }

    @Test func bombLimitsAreConfigurable() throws {
        var options = NpzReader.Options()
        options.maxCompressionRatio = 2000
        // Above the default 1000:1 but genuine: with a higher cap it reads.
        let set = try NpzReader.read(path: Repo.corpus + "/ZIP-12-ratio.npz", options: options)
        #expect(set.tensors.first?.shape == [1 << 20])
        options.maxTotalBytes = 1 << 20
        #expect(thrownRule { _ = try NpzReader.read(path: Repo.corpus + "/ZIP-12-ratio.npz", options: options) } == "ZIP-12")
    }

    /// TV-X01: every prefix of valid files is a clean error (or, for the whole file, a success).
    @Test(arguments: ["c-f8.npy", "f-be-f4.npy", "v3.npy", "stored.npz", "deflated.npz"])
    func everyTruncationIsACleanError(_ name: String) throws {
        let bytes = try Repo.bytes(Repo.fixtures + "/" + name)
        for cut in 0..<bytes.count {
            let holder = TensorData(copying: bytes[0..<cut])
            #expect(throws: PareError.self) { try Self.read(holder, name) }
        }
    }

    /// TV-X02: random single-bit flips give a clean error or a valid parse, never a trap.
    @Test(arguments: ["c-c16.npy", "f-i2-3d.npy", "stored.npz", "deflated.npz"])
    func bitFlipsNeverTrap(_ name: String) throws {
        let bytes = try Repo.bytes(Repo.fixtures + "/" + name)
        var state: UInt64 = 0xF11F5
        for _ in 0..<1000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var m = bytes
            let bit = Int(state >> 33) % (m.count * 8)
            m[bit / 8] ^= UInt8(1 << (bit % 8))
            do { try Self.read(TensorData(copying: m), name) } catch is PareError {}
        }
    }

    static func read(_ holder: TensorData, _ name: String) throws {
        if name.hasSuffix(".npz") {
            _ = try NpzReader.load(holder.bytes, path: name)
        } else {
            _ = try NpyReader.array(holder.bytes, name: "x", path: name, owner: holder)
        }
    }
}
