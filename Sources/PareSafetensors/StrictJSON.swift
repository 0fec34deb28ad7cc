/// A JSON value, as read by `StrictJSONParser`. Objects keep their members in document order.
indirect enum JSONValue: Equatable, Sendable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// A plain non-negative integer that fits UInt64: no sign, fraction or exponent. Parsed exactly,
    /// never through Double (which loses precision above 2^53).
    case integer(UInt64)
    /// Any other number, kept as written: negative, with a fraction or exponent, or beyond UInt64.
    case number(String)
    case bool(Bool)
    case null

    var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

struct JSONMember: Equatable, Sendable {
    var key: String
    var value: JSONValue
    /// Byte offset of the key's opening quote in the parsed buffer.
    var offset: Int
}

/// Why a document was refused, with the byte offset in the parsed buffer.
struct JSONError: Error, Equatable, Sendable {
    enum Kind: Sendable { case syntax, duplicateKey, trailingContent, tooDeep }
    var kind: Kind
    var offset: Int
    var message: String
}

/// The JSON document with the whitespace around its single top-level value.
struct JSONDocument: Sendable {
    var value: JSONValue
    /// Bytes of whitespace before the value and whether all of them (before and after) are spaces.
    var leadingWhitespace: Int
    var onlySpacesAround: Bool
}

/// A small strict JSON reader (RFC 8259) written for headers that an attacker controls: duplicate
/// keys are an error at every level (two programs must not read different values from one file),
/// nesting is bounded, integers are exact, `\u` escapes must pair their surrogates, and every
/// error carries its byte offset. Recursion depth is bounded by `maxDepth`, so the stack is too.
struct StrictJSONParser {
    private let bytes: UnsafeRawBufferPointer
    private let maxDepth: Int
    private var pos = 0

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses exactly one value surrounded by optional whitespace.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONError) -> JSONDocument {
        var p = StrictJSONParser(bytes, maxDepth: maxDepth)
        var onlySpaces = true
        let lead = p.skipWhitespace(&onlySpaces)
        let value = try p.value(depth: 1)
        _ = p.skipWhitespace(&onlySpaces)
        if p.pos < bytes.count {
            throw JSONError(kind: .trailingContent, offset: p.pos, message: "unexpected \(p.describe(p.pos)) after the end of the JSON value")
        }
        return JSONDocument(value: value, leadingWhitespace: lead, onlySpacesAround: onlySpaces)
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else {
            throw JSONError(kind: .tooDeep, offset: pos, message: "JSON nested deeper than \(maxDepth) levels")
        }
        guard pos < bytes.count else { throw syntax("the JSON ends where a value was expected") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw syntax("unexpected \(describe(pos)) where a JSON value was expected")
        }
    }

    private mutating func object(depth: Int) throws(JSONError) -> JSONValue {
        pos += 1  // {
        var members: [JSONMember] = []
        var seen = Set<String>()
        var ignored = true
        _ = skipWhitespace(&ignored)
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            _ = skipWhitespace(&ignored)
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw syntax("expected a quoted member name") }
            let keyOffset = pos
            let key = try string()
            // Swift compares strings by canonical equivalence, so two names that differ only in
            // Unicode normalisation also count as duplicates: they would look the same to a user.
            guard seen.insert(key).inserted else {
                throw JSONError(kind: .duplicateKey, offset: keyOffset, message: "duplicate key \"\(key)\"")
            }
            _ = skipWhitespace(&ignored)
            try expect(UInt8(ascii: ":"), "expected ':' after a member name")
            _ = skipWhitespace(&ignored)
            let v = try value(depth: depth + 1)
            members.append(JSONMember(key: key, value: v, offset: keyOffset))
            _ = skipWhitespace(&ignored)
            guard pos < bytes.count else { throw syntax("the JSON ends inside an object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            try expect(UInt8(ascii: "}"), "expected ',' or '}' in an object")
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(JSONError) -> JSONValue {
        pos += 1  // [
        var items: [JSONValue] = []
        var ignored = true
        _ = skipWhitespace(&ignored)
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            _ = skipWhitespace(&ignored)
            items.append(try value(depth: depth + 1))
            _ = skipWhitespace(&ignored)
            guard pos < bytes.count else { throw syntax("the JSON ends inside an array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            try expect(UInt8(ascii: "]"), "expected ',' or ']' in an array")
            return .array(items)
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard bytes.count - pos >= n else { throw syntax("unexpected \(describe(pos))") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw syntax("unexpected \(describe(pos))") }
        pos += n
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONError) -> JSONValue {
        let start = pos
        var plain = true
        if bytes[pos] == UInt8(ascii: "-") { plain = false; pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw syntax("a number needs digits") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw syntax("numbers must not have leading zeros") }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            plain = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw syntax("a fraction needs digits") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            plain = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw syntax("an exponent needs digits") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard plain else { return .number(text) }
        var v: UInt64 = 0
        for i in start..<pos {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            if o1 || o2 { return .number(text) }
            v = s
        }
        return .integer(v)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    // MARK: - Strings

    /// A string starting at the opening quote. Raw bytes are copied through unchanged (the caller
    /// validates UTF-8 of the whole document first); escapes are decoded.
    private mutating func string() throws(JSONError) -> String {
        pos += 1  // "
        let start = pos
        // Fast path: no escapes, the common case for names and dtypes.
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                defer { pos += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw syntax("control character 0x\(hex(b)) inside a string") }
            pos += 1
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; return String(decoding: out, as: UTF8.self) }
            if b < 0x20 { throw syntax("control character 0x\(hex(b)) inside a string") }
            if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): appendUTF8(try unicodeEscape(), to: &out)
            default: pos -= 1; throw syntax("invalid escape: a backslash followed by \(describe(pos))")
            }
        }
        throw syntax("the JSON ends inside a string")
    }

    /// The scalar of a `\uXXXX` escape (just after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws(JSONError) -> UInt32 {
        let first = try hex4()
        switch first {
        case 0xD800...0xDBFF:
            guard bytes.count - pos >= 2, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                throw syntax("unpaired high surrogate \\u\(String(first, radix: 16))")
            }
            pos += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw syntax("high surrogate \\u\(String(first, radix: 16)) not followed by a low surrogate")
            }
            return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00...0xDFFF:
            throw syntax("unpaired low surrogate \\u\(String(first, radix: 16))")
        default:
            return first
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard bytes.count - pos >= 4 else { throw syntax("a \\u escape needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw syntax("a \\u escape needs four hex digits")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        // Surrogates never reach here (paired above), so every value is a valid scalar.
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out += [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
        case 0x800..<0x10000:
            out += [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        default:
            out += [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F),
                    UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        }
    }

    // MARK: - Helpers

    /// Skips JSON whitespace (space, tab, LF, CR); returns how many bytes, and clears `onlySpaces`
    /// if any was not a space (formats.md ST-14 reports such padding).
    private mutating func skipWhitespace(_ onlySpaces: inout Bool) -> Int {
        let start = pos
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20: pos += 1
            case 0x09, 0x0A, 0x0D: onlySpaces = false; pos += 1
            default: return pos - start
            }
        }
        return pos - start
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(JSONError) {
        guard pos < bytes.count, bytes[pos] == byte else {
            throw syntax(pos < bytes.count ? "\(message), found \(describe(pos))" : "\(message), found the end")
        }
        pos += 1
    }

    private func syntax(_ message: String) -> JSONError { JSONError(kind: .syntax, offset: pos, message: message) }

    /// A printable description of the byte at `i`, for error messages.
    private func describe(_ i: Int) -> String {
        guard i < bytes.count else { return "the end" }
        let b = bytes[i]
        return b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(hex(b))"
    }

    private func hex(_ b: UInt8) -> String { b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
}
