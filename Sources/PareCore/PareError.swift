/// The one error type of Pare. Every failure a user can see names the file, the place in it,
/// what is wrong and what to do about it, and renders as a single line.
public struct PareError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why the operation failed; decides the exit code of the CLI.
    public enum Kind: Sendable, Equatable {
        /// The input cannot be read or parsed (exit 2).
        case unreadable
        /// The input was read but is not acceptable for the requested operation (exit 1 for check,
        /// 2 elsewhere).
        case invalid
        /// Something the user asked for is not supported (exit 2).
        case unsupported
        /// The operating system refused an I/O operation (exit 2).
        case io
        /// Wrong command-line usage (exit 2).
        case usage
    }

    public var kind: Kind
    /// The file the error is about, as the user named it.
    public var file: String?
    /// Where in the file: "byte 1234", "graph 'main' → node 3 'conv1' → attribute 'pads'".
    public var place: String?
    public var message: String
    /// What the user can do about it.
    public var hint: String?

    public init(_ kind: Kind, file: String? = nil, place: String? = nil, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.place = place
        self.message = message
        self.hint = hint
    }

    /// One line: `FILE: PLACE: MESSAGE (HINT)`; newlines inside parts are folded so the error
    /// always stays one line.
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let place { parts.append(place) }
        parts.append(message)
        var line = parts.joined(separator: ": ")
        if let hint { line += " (\(hint))" }
        return String(line.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    /// The rule id the message names as "(rule X)", e.g. "ST-06" — what fuzzers tally and tests
    /// assert on. Nil when the error is not about a named rule.
    public var rule: String? {
        let marker = Array("(rule ".utf8), text = Array(message.utf8)
        guard text.count >= marker.count,
              let start = (0...(text.count - marker.count)).first(where: { text[$0..<($0 + marker.count)].elementsEqual(marker) })
        else { return nil }
        return String(decoding: text[(start + marker.count)...].prefix { $0 != UInt8(ascii: ")") }, as: UTF8.self)
    }

    /// The same error, attributed to a file if it was not yet.
    public func inFile(_ path: String) -> PareError {
        var copy = self
        if copy.file == nil { copy.file = path }
        return copy
    }
}
