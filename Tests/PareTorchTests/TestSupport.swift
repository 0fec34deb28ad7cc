import Foundation
import PareCore

/// Paths of the repository's fixtures and a scratch folder per test.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent("fixtures/\(relative)").path }
    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
    static var venvPython: String? {
        let p = root.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: p) ? p : nil
    }
}

/// A temporary folder removed when the value is released.
final class Scratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "pare-torch-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// Runs a program and answers (exit status, standard output + error).
func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
}

extension Array where Element == UInt8 {
    /// Writes the bytes to a scratch file and answers its path.
    func write(in scratch: Scratch, _ name: String) throws -> String {
        let path = scratch.file(name)
        try Data(self).write(to: URL(fileURLWithPath: path))
        return path
    }
}
