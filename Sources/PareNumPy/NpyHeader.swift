import PareCore

/// The dictionary of a `.npy` header: `{'descr': …, 'fortran_order': …, 'shape': (…), }`.
public struct NpyHeader: Sendable, Equatable {
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int64]

    /// NumPy's limit on dimensions (NPY_MAXDIMS).
    static let maxDims = 64

    /// Why a header text was refused, with the rule it breaks.
    public struct Failure: Error, Equatable, Sendable {
        public var rule: String
        public var offset: Int
        public var message: String
    }

    /// Parses the header text: the small subset of Python literal syntax NumPy writes (formats.md
    /// §6.1), with a hand-written parser — never an evaluator. `utf8` is true for version 3.0 headers;
    /// earlier versions are latin-1, where every byte is one character.
    public static func parse(_ text: UnsafeRawBufferPointer, utf8: Bool) throws(Failure) -> NpyHeader {
        var p = LiteralParser(bytes: text, utf8: utf8)
        return try p.header()
    }
}

/// A cursor over the header text. Errors are NP-03 (malformed) unless a rule of its own applies.
private struct LiteralParser {
    let bytes: UnsafeRawBufferPointer
    let utf8: Bool
    var pos = 0

    mutating func header() throws(NpyHeader.Failure) -> NpyHeader {
        guard bytes.last == 0x0A else { throw fail("the header does not end with a newline") }
        if utf8, !String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) {
            throw fail("the version 3.0 header is not valid UTF-8")
        }
        skipSpace()
        try expect("{")
        var descr: String?, fortran: Bool?, shape: [Int64]?
        var seen = Set<String>()
        while true {
            skipSpace()
            if peek("}") { pos += 1; break }
            let keyAt = pos
            let key = try string()
            // A Python dict literal keeps the last of two equal keys; refusing them keeps every
            // reader of the file on the same value.
            guard seen.insert(key).inserted else { throw fail("the key '\(key)' appears twice", at: keyAt) }
            skipSpace()
            try expect(":")
            skipSpace()
            switch key {
            case "descr":
                if peek("[") {
                    throw NpyHeader.Failure(rule: "NP-04", offset: pos, message: "structured dtypes (a list in 'descr') are not supported")
                }
                descr = try string()
            case "fortran_order": fortran = try boolean()
            case "shape": shape = try tuple()
            default: throw fail("unexpected key '\(key)'; a .npy header has exactly descr, fortran_order and shape", at: keyAt)
            }
            skipSpace()
            if peek(",") { pos += 1; continue }
            skipSpace()
            guard peek("}") else { throw fail("expected ',' or '}'") }
        }
        skipSpace()
        guard pos == bytes.count else { throw fail("unexpected text after the closing '}'") }
        guard let descr, let fortran, let shape else {
            let missing = [descr == nil ? "descr" : nil, fortran == nil ? "fortran_order" : nil, shape == nil ? "shape" : nil]
            throw fail("the header lacks \(missing.compactMap { $0 }.joined(separator: " and "))", at: 0)
        }
        return NpyHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// A quoted string; `\\` and escaped quotes are the only escapes (formats.md §6.1).
    mutating func string() throws(NpyHeader.Failure) -> String {
        guard pos < bytes.count, bytes[pos] == 0x27 || bytes[pos] == 0x22 else { throw fail("expected a quoted string") }
        let quote = bytes[pos]
        pos += 1
        var out: [UInt8] = []
        while pos < bytes.count {
            let b = bytes[pos]
            pos += 1
            if b == quote { return utf8 ? String(decoding: out, as: UTF8.self) : String(out.map { Character(Unicode.Scalar($0)) }) }
            if b == 0x0A { break }
            if b == 0x5C {
                guard pos < bytes.count, [0x5C, 0x27, 0x22].contains(bytes[pos]) else { throw fail("unsupported escape in a string") }
                out.append(bytes[pos])
                pos += 1
                continue
            }
            out.append(b)
        }
        throw fail("unterminated string")
    }

    mutating func boolean() throws(NpyHeader.Failure) -> Bool {
        if word("True") { return true }
        if word("False") { return false }
        throw fail("fortran_order must be True or False")
    }

    /// `()`, `(5,)`, `(3, 4)`, `(3L, 4L)`: a tuple of non-negative decimal ints; a one-element tuple
    /// needs its comma, as in Python (`(5)` is an int, which NumPy refuses too).
    mutating func tuple() throws(NpyHeader.Failure) -> [Int64] {
        guard peek("(") else { throw fail("shape must be a tuple") }
        pos += 1
        var dims: [Int64] = []
        var trailingComma = false
        while true {
            skipSpace()
            if peek(")") { pos += 1; break }
            if !dims.isEmpty && !trailingComma { throw fail("expected ',' or ')' in shape") }
            dims.append(try integer())
            guard dims.count <= NpyHeader.maxDims else {
                throw NpyHeader.Failure(rule: "NP-05", offset: pos, message: "shape has more than \(NpyHeader.maxDims) dimensions")
            }
            skipSpace()
            trailingComma = peek(",")
            if trailingComma { pos += 1 }
        }
        if dims.count == 1 && !trailingComma { throw fail("shape (n) without a comma is not a tuple") }
        return dims
    }

    /// A decimal int with an optional Python 2 `L` suffix. Negative values parse, so that they can
    /// be refused under their own rule (NP-05).
    mutating func integer() throws(NpyHeader.Failure) -> Int64 {
        let start = pos
        let negative = peek("-")
        if negative { pos += 1 }
        var v: Int64 = 0, digits = 0
        while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(bytes[pos] - 0x30))
            guard !o1, !o2 else {
                throw NpyHeader.Failure(rule: "NP-05", offset: start, message: "a shape entry does not fit 64 bits")
            }
            v = s
            digits += 1
            pos += 1
        }
        guard digits > 0 else { throw fail("expected an integer in shape", at: start) }
        if pos < bytes.count, bytes[pos] == 0x4C || bytes[pos] == 0x6C { pos += 1 }  // L suffix
        if negative {
            throw NpyHeader.Failure(rule: "NP-05", offset: start, message: "shape entry -\(v) is negative")
        }
        return v
    }

    // MARK: - Cursor helpers

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(bytes[pos]) { pos += 1 }
    }

    func peek(_ c: Unicode.Scalar) -> Bool { pos < bytes.count && bytes[pos] == UInt8(c.value) }

    mutating func expect(_ c: Unicode.Scalar) throws(NpyHeader.Failure) {
        guard peek(c) else { throw fail("expected '\(c)'") }
        pos += 1
    }

    /// Consumes `w` if it is next and is not the start of a longer name (`Truex`).
    mutating func word(_ w: String) -> Bool {
        let u = Array(w.utf8)
        guard bytes.count - pos >= u.count, zip(bytes[pos..<(pos + u.count)], u).allSatisfy({ $0 == $1 }) else { return false }
        let after = pos + u.count
        if after < bytes.count, bytes[after] == 0x5F || (bytes[after] | 0x20 >= 0x61 && bytes[after] | 0x20 <= 0x7A)
            || (bytes[after] >= 0x30 && bytes[after] <= 0x39) { return false }
        pos = after
        return true
    }

    func fail(_ message: String, at offset: Int? = nil) -> NpyHeader.Failure {
        NpyHeader.Failure(rule: "NP-03", offset: offset ?? pos, message: message)
    }
}
