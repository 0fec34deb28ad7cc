/// Matrix products: Gemm, MatMul (numpy semantics), their integer and quantised forms, Einsum.
extension OpRegistry {
    static let matMulRules: [String: OpRule] = [
        "Gemm": { try gemm(&$0) },
        "MatMul": { try matMul(&$0, a: 0, b: 1, elem: $0.elem(0)) },
        "MatMulInteger": { try matMul(&$0, a: 0, b: 1, elem: Elem.int32) },
        // QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
        "QLinearMatMul": { try matMul(&$0, a: 0, b: 3, elem: $0.elem(7) ?? $0.elem(0)) },
        "Einsum": { try einsum(&$0) },
    ]

    /// Y = [M, N] from A [M, K] (or [K, M] with transA) and B [K, N] (or [N, K] with transB).
    static func gemm(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        guard let a = c.shape(0), let b = c.shape(1) else { return }
        guard a.count == 2, b.count == 2 else { throw ShapeError("Gemm needs 2-D inputs, got ranks \(a.count) and \(b.count)") }
        let ta = c.int("transA", 0) != 0, tb = c.int("transB", 0) != 0
        let m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1]
        let kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1]
        if let x = ka.knownValue, let y = kb.knownValue, x != y {
            throw ShapeError("the inner dimensions differ: \(x) and \(y)")
        }
        c.set(0, elem: c.elem(0), shape: [m, n])
    }

    /// numpy matmul: a 1-D A gets a leading 1 and a 1-D B a trailing 1 (both removed again);
    /// batch dims broadcast.
    static func matMul(_ c: inout OpContext, a ai: Int, b bi: Int, elem: Int32?) throws {
        c.set(0, elem: elem)
        guard let a = c.shape(ai), let b = c.shape(bi) else { return }
        guard !a.isEmpty, !b.isEmpty else { throw ShapeError("MatMul inputs must not be scalars") }
        let l = a.count == 1 ? [Dimension.known(1), a[0]] : a
        let r = b.count == 1 ? [b[0], Dimension.known(1)] : b
        if let x = l[l.count - 1].knownValue, let y = r[r.count - 2].knownValue, x != y {
            throw ShapeError("the inner dimensions differ: \(x) and \(y)")
        }
        var out = try DimMath.broadcast([Array(l.dropLast(2)), Array(r.dropLast(2))])
        if a.count != 1 { out.append(l[l.count - 2]) }
        if b.count != 1 { out.append(r[r.count - 1]) }
        c.set(0, elem: elem, shape: out)
    }

    /// Einsum: each letter takes its dim from the operands; `...` broadcasts; an implicit
    /// output lists the letters used once, alphabetically, after the ellipsis dims.
    static func einsum(_ c: inout OpContext) throws {
        c.set(0, elem: c.elem(0))
        let equation = c.string("equation", "").filter { !$0.isWhitespace }
        let sides = split(equation, "->")
        guard sides.count <= 2 else { throw ShapeError("the equation '\(equation)' has more than one '->'") }
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard terms.count == c.inputCount else {
            throw ShapeError("the equation has \(terms.count) operands but the node has \(c.inputCount) inputs")
        }
        var letters: [Character: Dimension] = [:]
        var counts: [Character: Int] = [:]
        var ellipsisShapes: [[Dimension]] = []
        for (i, term) in terms.enumerated() {
            guard let shape = c.shape(i) else { return }
            let parts = split(term, "...")
            guard parts.count <= 2 else { throw ShapeError("operand \(i) has more than one ellipsis") }
            let head = Array(parts[0]), tail = parts.count == 2 ? Array(parts[1]) : []
            let ellipsisRank = shape.count - head.count - tail.count
            guard ellipsisRank >= 0, parts.count == 2 || ellipsisRank == 0 else {
                throw ShapeError("operand \(i) '\(term)' does not match its rank \(shape.count)")
            }
            let named = Array(zip(head, shape.prefix(head.count))) + Array(zip(tail, shape.suffix(tail.count)))
            for (letter, dim) in named {
                counts[letter, default: 0] += 1
                if let prev = letters[letter], let x = prev.knownValue, let y = dim.knownValue, x != y, x != 1, y != 1 {
                    throw ShapeError("'\(letter)' is \(x) in one operand and \(y) in another")
                }
                if letters[letter]?.knownValue ?? 1 == 1 { letters[letter] = dim }
            }
            if parts.count == 2 { ellipsisShapes.append(Array(shape[head.count..<(head.count + ellipsisRank)])) }
        }
        let ellipsis = try DimMath.broadcast(ellipsisShapes)
        var out: [Dimension] = []
        if sides.count == 2 {
            let parts = split(sides[1], "...")
            for letter in parts[0] {
                guard let d = letters[letter] else { throw ShapeError("output letter '\(letter)' is in no operand") }
                out.append(d)
            }
            if parts.count == 2 {
                out += ellipsis
                for letter in parts[1] {
                    guard let d = letters[letter] else { throw ShapeError("output letter '\(letter)' is in no operand") }
                    out.append(d)
                }
            }
        } else {
            out = ellipsis + counts.filter { $0.value == 1 }.keys.sorted().compactMap { letters[$0] }
        }
        c.set(0, elem: c.elem(0), shape: out)
    }

    /// Splits `s` at every occurrence of `separator` (PareIR does not import Foundation).
    static func split(_ s: String, _ separator: String) -> [String] {
        let text = Array(s), sep = Array(separator)
        var parts: [String] = [], current: [Character] = [], i = 0
        while i < text.count {
            if i + sep.count <= text.count, Array(text[i..<(i + sep.count)]) == sep {
                parts.append(String(current))
                current = []
                i += sep.count
            } else {
                current.append(text[i])
                i += 1
            }
        }
        parts.append(String(current))
        return parts
    }
}
