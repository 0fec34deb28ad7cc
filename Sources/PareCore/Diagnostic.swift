/// One finding about a file: a broken rule with its stable id, where it is and how to fix it.
public struct Diagnostic: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable, Comparable {
        case info, warning, error
        private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Stable rule id, e.g. `ONNX-G08` (see docs/rules.md).
    public var rule: String
    public var severity: Severity
    /// Path to the entity: "graph 'main' → node 3 'conv1' → input 1".
    public var location: String
    public var message: String
    public var hint: String?

    public init(_ rule: String, _ severity: Severity, at location: String, _ message: String, hint: String? = nil) {
        self.rule = rule
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    public var line: String {
        var s = "\(severity.rawValue) \(rule) \(location): \(message)"
        if let hint { s += " (\(hint))" }
        return s
    }
}
