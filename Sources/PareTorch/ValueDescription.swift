import PareCore

/// Short, bounded text for non-tensor values (`epoch` → "int 3") and for dict keys used as path
/// components. Never recursive beyond one level, so hostile nesting cannot blow it up.
enum ValueDescription {
    static let maxLength = 120

    static func describe(_ v: PickleValue) -> String {
        let text: String
        switch v {
        case .list(let l): text = "list of \(l.items.count)\(preview(l.items))"
        case .tuple(let t): text = "tuple of \(t.items.count)\(preview(t.items))"
        case .set(let s): text = "\(s.isFrozen ? "frozenset" : "set") of \(s.items.count)\(preview(s.items))"
        case .dict(let d):
            text = "\(d.isOrdered ? "OrderedDict" : "dict") of \(d.count)" + (d.count == 0 ? "" : " {" + d.keys.prefix(6).map { scalar($0) }.joined(separator: ", ") + (d.count > 6 ? ", …}" : "}"))
        case .object(let o): text = "object \(o.type.qualifiedName)"
        default: text = scalar(v)
        }
        return text.count > maxLength ? String(text.prefix(maxLength - 1)) + "…" : text
    }

    static func isEmpty(_ v: PickleValue) -> Bool {
        switch v {
        case .dict(let d): d.count == 0
        case .list(let l): l.items.isEmpty
        case .tuple(let t): t.items.isEmpty
        default: false
        }
    }

    private static func preview(_ items: [PickleValue]) -> String {
        guard !items.isEmpty else { return "" }
        return " [" + items.prefix(8).map { scalar($0) }.joined(separator: ", ") + (items.count > 8 ? ", …]" : "]")
    }

    /// One value on one line, containers summarised by kind and size.
    static func scalar(_ v: PickleValue) -> String {
        switch v {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return "int \(i)"
        case .bigInt(let b): return "int of \(b.count * 8) bits"
        case .float(let f): return "float \(f)"
        case .complex(let r, let i): return "complex (\(r), \(i))"
        case .string(let s): return "'\(s.count > 60 ? String(s.prefix(59)) + "…" : s)'"
        case .bytes(let b): return "bytes (\(b.count))"
        case .tuple(let t): return "tuple of \(t.items.count)"
        case .list(let l): return "list of \(l.items.count)"
        case .dict(let d): return "dict of \(d.count)"
        case .set(let s): return "set of \(s.items.count)"
        case .global(let g): return g.qualifiedName
        case .storage(let s): return "storage '\(s.key)'"
        case .tensor(let t): return "tensor \(t.dtype) \(t.shape)"
        case .object(let o): return "object \(o.type.qualifiedName)"
        }
    }

    /// A dict key as a name component: strings as they are, ints in decimal, others described.
    static func component(_ key: PickleValue) -> String {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let t): return "(" + t.items.prefix(8).map { flatComponent($0) }.joined(separator: ", ") + ")"
        default: return scalar(key)
        }
    }

    /// A tuple member inside a key: one level only (nested tuples are summarised, never walked).
    private static func flatComponent(_ v: PickleValue) -> String {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        default: scalar(v)
        }
    }
}
