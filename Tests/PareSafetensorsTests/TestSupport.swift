import Foundation
import PareCore

/// A fresh temporary folder per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "pare-st-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    /// Everything in the folder, hidden files (leftover temporaries) included.
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

/// One valid fixture as expected.json describes it.
struct ExpectedFile: Decodable, Sendable {
    struct Tensor: Decodable, Sendable {
        var name: String
        var dtype: String
        var shape: [Int64]
        var hex: String
    }
    var metadata: [String: String]
    var tensors: [Tensor]
    var warnings: [String]?
}

/// One hostile corpus file: the rule it trips and whether that is an error or a warning.
struct CorpusCase: Decodable, Sendable {
    var rule: String
    var outcome: String
    var what: String
}

enum Repo {
    /// The package root, found from this file's path (Tests/<target>/TestSupport.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = root + "/Tests/PareSafetensorsTests/Fixtures"
    static let corpus = root + "/fixtures/security/safetensors"

    /// A committed expected.json, decoded; empty (so that a test fails on it) when missing.
    static func expected<T: Decodable>(_ path: String, as: T.Type) -> [String: T] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return [:] }
        return (try? JSONDecoder().decode([String: T].self, from: data)) ?? [:]
    }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

/// The project's Python with the reference libraries, used as an oracle for files Pare writes.
enum Python {
    static let path = Repo.root + "/.venv/bin/python"
    static let available = FileManager.default.isExecutableFile(atPath: path)

    /// Runs the interpreter; returns the exit status and everything it printed.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

extension PareError {
    /// The rule id a message names as "(rule X)".
    var rule: String? {
        guard let r = message.range(of: "(rule ") else { return nil }
        return String(message[r.upperBound...].prefix { $0 != ")" })
    }
}

/// The rule id named by the PareError `body` throws, or a description of what happened instead.
func thrownRule(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch let e as PareError {
        return e.rule ?? "no rule id in: \(e)"
    } catch {
        return "not a PareError: \(error)"
    }
}
