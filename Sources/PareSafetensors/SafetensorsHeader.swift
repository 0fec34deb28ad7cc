import PareCore

/// One tensor as its header entry declares it, before the entry is checked against the data.
public struct SafetensorsEntry: Sendable {
    public let name: String
    /// The entry's dtype, resolved while parsing (an unknown name never gets this far).
    let type: SafetensorsDType
    public let shape: [UInt64]
    /// `data_offsets`: [begin, end) relative to the start of the data buffer.
    public let begin: UInt64
    public let end: UInt64
    /// File offset of the entry's name, for messages.
    public let fileOffset: Int

    /// The dtype string exactly as written (`F32`, `BF16`, …).
    public var dtypeName: String { type.name }
}

/// The header of a safetensors file, parsed and checked on its own (rules ST-04, ST-05, ST-11 …
/// ST-17 of formats.md §4.3). Offsets, sizes and coverage need the file and are checked by
/// `SafetensorsReader`.
public struct SafetensorsHeader: Sendable {
    /// Entries in JSON order.
    public var entries: [SafetensorsEntry]
    public var metadata: [String: String]
    /// Warnings and infos (ST-13 … ST-16); errors are thrown instead.
    public var diagnostics: [Diagnostic]

    /// Parses the `N` header bytes. `fileOffset` is where they start in the file (8), so error
    /// places name file offsets. With `strict`, unknown entry members (ST-15) are an error.
    public static func parse(_ header: UnsafeRawBufferPointer, path: String, fileOffset: Int = 8,
                             strict: Bool = false) throws -> SafetensorsHeader {
        func fail(_ rule: String, at offset: Int, _ message: String, hint: String? = nil) -> PareError {
            PareError(.unreadable, file: path, place: "header byte \(fileOffset + offset)",
                      "\(message) (rule \(rule))", hint: hint)
        }
        if let bad = firstInvalidUTF8(header) {
            throw fail("ST-04", at: bad, "the header is not valid UTF-8", hint: "the file is damaged or not safetensors")
        }
        let doc: JSONDocument
        do {
            doc = try StrictJSONParser.parse(header, maxDepth: 16)
        } catch {
            switch error.kind {
            case .duplicateKey:
                throw fail("ST-12", at: error.offset, "\(error.message) in the header: programs disagree on which one counts",
                           hint: "rewrite the file with one entry per name")
            case .trailingContent:
                throw fail("ST-11", at: error.offset, error.message, hint: "the header must be exactly one JSON object")
            case .syntax, .tooDeep:
                throw fail("ST-05", at: error.offset, "the header is not valid JSON: \(error.message)")
            }
        }
        guard case .object(let members) = doc.value else {
            throw fail("ST-05", at: doc.leadingWhitespace, "the header is \(doc.value.kindName), not a JSON object")
        }
        var result = SafetensorsHeader(entries: [], metadata: [:], diagnostics: [])
        if doc.leadingWhitespace > 0 {
            result.note("ST-13", .warning, "header byte \(fileOffset)",
                        "the header starts with \(doc.leadingWhitespace) whitespace byte(s) before '{'; the format requires '{' first")
        }
        if !doc.onlySpacesAround {
            result.note("ST-14", .info, "header", "the header is padded with tabs or newlines, not only spaces")
        }
        for m in members {
            let place = "header byte \(fileOffset + m.offset)"
            if m.key == "__metadata__" {
                guard case .object(let pairs) = m.value else {
                    throw fail("ST-17", at: m.offset, "__metadata__ is \(m.value.kindName), not an object of strings")
                }
                for p in pairs {
                    guard case .string(let s) = p.value else {
                        throw fail("ST-05", at: p.offset, "__metadata__ value \"\(p.key)\" is \(p.value.kindName), not a string")
                    }
                    result.metadata[p.key] = s
                }
                continue
            }
            let entry = try tensorEntry(m, fileOffset: fileOffset, fail: fail, strict: strict, result: &result)
            if entry.name.isEmpty { result.note("ST-16", .warning, place, "a tensor has an empty name") }
            result.entries.append(entry)
        }
        return result
    }

    /// Reads one `"name": {"dtype", "shape", "data_offsets"}` member (rules ST-05, ST-15).
    private static func tensorEntry(_ m: JSONMember, fileOffset: Int,
                                    fail: (String, Int, String, String?) -> PareError,
                                    strict: Bool, result: inout SafetensorsHeader) throws -> SafetensorsEntry {
        let what = "tensor \"\(m.key)\""
        guard case .object(let fields) = m.value else {
            throw fail("ST-05", m.offset, "\(what) is \(m.value.kindName), not an object with dtype, shape and data_offsets", nil)
        }
        var dtype: SafetensorsDType?, shape: [UInt64]?, offsets: [UInt64]?
        for f in fields {
            switch f.key {
            case "dtype":
                guard case .string(let s) = f.value else {
                    throw fail("ST-05", f.offset, "\(what): dtype is \(f.value.kindName), not a string", nil)
                }
                guard let known = SafetensorsDType.named(s) else {
                    throw fail("ST-05", f.offset, "\(what): unknown dtype \"\(s)\"",
                               "dtype names are case-sensitive: \(SafetensorsDType.all.map(\.name).joined(separator: ", "))")
                }
                dtype = known
            case "shape":
                shape = try integers(f, of: what, fail: fail)
            case "data_offsets":
                let pair = try integers(f, of: what, fail: fail)
                guard pair.count == 2 else {
                    throw fail("ST-05", f.offset, "\(what): data_offsets has \(pair.count) numbers, not 2 ([begin, end])", nil)
                }
                offsets = pair
            default:
                let message = "\(what) has an unknown member \"\(f.key)\" (readers ignore it; the schema forbids it)"
                if strict { throw fail("ST-15", f.offset, message, nil) }
                result.note("ST-15", .warning, "header byte \(fileOffset + f.offset)", message)
            }
        }
        guard let dtype, let shape, let offsets else {
            let missing = [dtype == nil ? "dtype" : nil, shape == nil ? "shape" : nil, offsets == nil ? "data_offsets" : nil]
            throw fail("ST-05", m.offset, "\(what) lacks \(missing.compactMap { $0 }.joined(separator: " and "))", nil)
        }
        return SafetensorsEntry(name: m.key, type: dtype, shape: shape, begin: offsets[0], end: offsets[1],
                                fileOffset: fileOffset + m.offset)
    }

    /// An array of plain non-negative integers (`shape`, `data_offsets`): `-1`, `2.0` and `1e3`
    /// are refused, as the reference's integer deserialisation refuses them.
    private static func integers(_ f: JSONMember, of what: String,
                                 fail: (String, Int, String, String?) -> PareError) throws -> [UInt64] {
        guard case .array(let items) = f.value else {
            throw fail("ST-05", f.offset, "\(what): \(f.key) is \(f.value.kindName), not an array of integers", nil)
        }
        return try items.map { item in
            switch item {
            case .integer(let v): return v
            case .number(let text):
                throw fail("ST-05", f.offset, "\(what): \(f.key) holds \(text); only plain non-negative integers below 2^64 are allowed", nil)
            default:
                throw fail("ST-05", f.offset, "\(what): \(f.key) holds \(item.kindName), not an integer", nil)
            }
        }
    }

    private mutating func note(_ rule: String, _ severity: Diagnostic.Severity, _ place: String, _ message: String) {
        diagnostics.append(Diagnostic(rule, severity, at: place, message))
    }
}

/// The index of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates,
/// nothing above U+10FFFF), or nil when the buffer is valid — the check Rust's `from_utf8` makes.
func firstInvalidUTF8(_ b: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    let n = b.count
    while i < n {
        let c = b[i]
        if c < 0x80 { i += 1; continue }
        let need: Int, low: UInt8, high: UInt8
        switch c {
        case 0xC2...0xDF: need = 1; low = 0x80; high = 0xBF
        case 0xE0: need = 2; low = 0xA0; high = 0xBF
        case 0xE1...0xEC, 0xEE, 0xEF: need = 2; low = 0x80; high = 0xBF
        case 0xED: need = 2; low = 0x80; high = 0x9F
        case 0xF0: need = 3; low = 0x90; high = 0xBF
        case 0xF1...0xF3: need = 3; low = 0x80; high = 0xBF
        case 0xF4: need = 3; low = 0x80; high = 0x8F
        default: return i
        }
        guard n - i > need, b[i + 1] >= low, b[i + 1] <= high else { return i }
        if need >= 2 {
            for k in 2...need where b[i + k] & 0xC0 != 0x80 { return i }
        }
        i += need + 1
    }
    return nil
}
