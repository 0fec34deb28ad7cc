import Foundation
import PareCore

/// What several test targets need: scratch folders, the repository root, the project's Python
/// oracle and rule-id extraction from errors. A library target, so there is one copy of it.

/// A fresh temporary folder per test, removed afterwards.
public final class TempDir {
    public let path: String
    public init(prefix: String = "pare-test-") {
        path = NSTemporaryDirectory() + prefix + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    public func file(_ name: String) -> String { path + "/" + name }
    /// Everything in the folder, hidden files (leftover temporaries) included.
    public var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

public enum RepoFiles {
    /// The package root, found from this file's path (Tests/PareTestSupport/TestSupport.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A committed expected.json, decoded; empty (so that a test fails on it) when missing.
    public static func expected<T: Decodable>(_ path: String, as: T.Type) -> [String: T] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return [:] }
        return (try? JSONDecoder().decode([String: T].self, from: data)) ?? [:]
    }

    public static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

/// The project's Python with the reference libraries, used as an oracle for files Pare writes.
public enum Python {
    public static let path = RepoFiles.root + "/.venv/bin/python"
    public static let available = FileManager.default.isExecutableFile(atPath: path)

    /// Runs the interpreter; returns the exit status and everything it printed.
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
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

public func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

/// One hostile corpus file as a security corpus's expected.json describes it: the rule it trips
/// and whether that is an error or a warning.
public struct CorpusCase: Decodable, Sendable {
    public var rule: String
    public var outcome: String
    public var what: String
}

/// The rule id named by the PareError `body` throws, or a description of what happened instead.
public func thrownRule(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch let e as PareError {
        return e.rule ?? "no rule id in: \(e)"
    } catch {
        return "not a PareError: \(error)"
    }
}
