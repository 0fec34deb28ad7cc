import Foundation
import PareCheck
import PareCore
import PareONNX
import Testing

/// Runs the checker on every file of fixtures/broken/, whose expected.json maps each file to the
/// rule it breaks and the exit code `pare check` must give (2: the reader refuses the file).
@Suite struct BrokenFixturesTests {
    static let folder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/PareCheckTests/<file> → repository root
        return url.appendingPathComponent("fixtures/broken").path
    }()

    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var rule: String
        var exit: Int
        var description: String { file }
    }

    static func cases() -> [Case] {
        guard let data = FileManager.default.contents(atPath: folder + "/expected.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [] }
        return json.keys.sorted().compactMap { file in
            guard let entry = json[file], let rule = entry["rule"] as? String, let exit = entry["exit"] as? Int else { return nil }
            return Case(file: file, rule: rule, exit: exit)
        }
    }

    @Test func fixturesArePresent() {
        #expect(Self.cases().count >= 50, "fixtures/broken/expected.json is missing or nearly empty")
    }

    @Test(arguments: cases())
    func brokenFixture(_ c: Case) throws {
        let path = Self.folder + "/" + c.file
        if c.exit == 2 {
            #expect(throws: PareError.self) { try ONNXReader.read(path: path) }
            return
        }
        let loaded = try ONNXReader.read(path: path)
        let report = Checker.check(loaded)
        #expect(report.ids().contains(c.rule), "\(c.file): expected \(c.rule), got \(report.diagnostics.map(\.line))")
        #expect((report.isValid ? 0 : 1) == c.exit, "\(c.file): \(report.diagnostics.map(\.line))")
    }

    /// Every file in the folder has an expectation, so a new fixture cannot be skipped silently.
    @Test func everyFixtureIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".onnx") }
        let listed = Set(Self.cases().map(\.file))
        #expect(Set(files).subtracting(listed).isEmpty)
    }
}
