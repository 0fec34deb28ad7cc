import PareTestSupport
import Testing
@testable import PareSafetensors

@Suite struct StrictJSONTests {
    func parse(_ text: String, depth: Int = 64) -> Result<JSONValue, JSONError> {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { b in Result { () throws(JSONError) in try StrictJSONParser.parse(b, maxDepth: depth).value } }
    }

    func kind(_ text: String) -> JSONError.Kind? {
        if case .failure(let e) = parse(text) { return e.kind }
        return nil
    }

    @Test func integersAreExact() {
        #expect(parse("18446744073709551615") == .success(.integer(UInt64.max)))
        #expect(parse("9007199254740993") == .success(.integer(9_007_199_254_740_993)))  // 2^53 + 1
        #expect(parse("18446744073709551616") == .success(.number("18446744073709551616")))
        #expect(parse("-1") == .success(.number("-1")))
        #expect(parse("2.0") == .success(.number("2.0")))
        #expect(parse("1e3") == .success(.number("1e3")))
        #expect(kind("01") == .syntax)
        #expect(kind("1.") == .syntax)
        #expect(kind("-") == .syntax)
        #expect(kind("+1") == .syntax)
    }

    @Test func duplicateKeysAreRefusedAtEveryLevel() {
        #expect(kind(#"{"a":1,"a":2}"#) == .duplicateKey)
        #expect(kind(#"{"x":{"a":1,"b":{"c":1,"c":1}}}"#) == .duplicateKey)
        // Escapes are decoded before comparing: "\u0061" is "a".
        #expect(kind(#"{"a":1,"\u0061":2}"#) == .duplicateKey)
        #expect(kind(#"{"a":1,"b":2}"#) == nil)
    }

    @Test func escapesAndSurrogates() {
        #expect(parse(#""\ud83d\ude00 \u00e9 \n\t\"\\\/""#) == .success(.string("😀 é \n\t\"\\/")))
        #expect(kind(#""\ud83d""#) == .syntax)        // unpaired high surrogate
        #expect(kind(#""\ude00""#) == .syntax)        // lone low surrogate
        #expect(kind(#""\ud83d\u0041""#) == .syntax)  // high surrogate + non-surrogate
        #expect(kind(#""\x""#) == .syntax)
        #expect(kind("\"a\u{01}b\"") == .syntax)      // raw control character
        #expect(kind(#""abc"#) == .syntax)             // unterminated
    }

    @Test func structureIsStrict() {
        #expect(kind("[1,]") == .syntax)
        #expect(kind(#"{"a":1,}"#) == .syntax)
        #expect(kind("{} x") == .trailingContent)
        #expect(kind("{}{}") == .trailingContent)
        #expect(kind("") == .syntax)
        #expect(kind("nul") == .syntax)
        #expect(parse(" [true, false, null, {}] ") == .success(.array([.bool(true), .bool(false), .null, .object([])])))
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 100_000)
        if case .failure(let e) = parse(deep, depth: 16) { #expect(e.kind == .tooDeep) } else { Issue.record("accepted") }
        #expect((try? parse(String(repeating: "[", count: 16) + String(repeating: "]", count: 16), depth: 16).get()) != nil)
    }

    @Test func errorsCarryTheirOffset() {
        if case .failure(let e) = parse(#"{"a": [1, 2, x]}"#) { #expect(e.offset == 13) } else { Issue.record("accepted") }
    }
}
