import Foundation
import PareCore
import PareTestSupport
import Testing
@testable import PareNumPy

/// Files written by NumPy read back with exactly the values it stored, converted to Pare's
/// little-endian row-major layout.
@Suite struct NumPyFixtureTests {
    static let expected = Repo.expected(Repo.fixtures + "/expected.json", as: ExpectedFile.self)

    static func load(_ path: String) throws -> NumPyFile {
        path.hasSuffix(".npz") ? try NpzReader.load(path: path) : try NpyReader.load(path: path)
    }

    @Test func fixturesArePresent() { #expect(Self.expected.count >= 30) }

    @Test(arguments: expected.keys.sorted())
    func fixtureReadsAsWritten(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let file = try Self.load(Repo.fixtures + "/" + name)
        try #require(file.weights.tensors.count == want.arrays.count)
        for (got, w) in zip(file.weights.tensors, want.arrays) {
            #expect(got.name == w.name)
            #expect(got.dtype.name == w.dtype)
            #expect(got.shape == w.shape)
            #expect(got.data.array == hexBytes(w.hex), "array \(got.name)")
        }
        let rules = Set(file.diagnostics.filter { $0.rule != "NP-08" || want.notes.contains("NP-08") }.map(\.rule))
        #expect(rules == Set(want.notes), "\(file.diagnostics.map(\.line))")
        #expect(file.weights.otherValues.map(\.name) == (want.others ?? []))
    }

    @Test func littleEndianRowMajorDataIsNotCopied() throws {
        let file = try MappedFile(path: Repo.fixtures + "/c-f4.npy")
        let (tensor, _) = try NpyReader.array(file.bytes, name: "x", path: "c-f4.npy", owner: file)
        let start = UInt(bitPattern: file.bytes.baseAddress!)
        #expect((start..<start + UInt(file.count)).contains(UInt(bitPattern: tensor.data.bytes.baseAddress!)))
    }

    @Test func fortranTransposeOfHigherRanks() {
        // A [2, 3, 4] array stored column-major holds a[i][j][k] at i + 2j + 6k.
        let shape = [2, 3, 4]
        let src = (0..<24).map { UInt8($0) }
        var dst = [UInt8](repeating: 0, count: 24)
        src.withUnsafeBytes { s in dst.withUnsafeMutableBytes { d in NpyConvert.fortranToRowMajor(s, d, shape: shape, itemSize: 1) } }
        var want: [UInt8] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { want.append(UInt8(i + 2 * j + 6 * k)) } } }
        #expect(dst == want)
    }
}
