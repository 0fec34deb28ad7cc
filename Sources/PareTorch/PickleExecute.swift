import PareCore

/// One opcode at a time: operand decoding and the stack effect of each accepted opcode.
extension PickleMachine {
    func execute(_ op: PickleOpcode) throws {
        switch op {
        case .mark:
            guard marks.count < limits.markDepth else { throw PickleFailure("PK-06", "more than \(limits.markDepth) nested MARKs") }
            marks.append(stack.count)
        case .pop:
            // Python's pickle pops the mark itself when the current segment is empty.
            if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark() }
        case .popMark: _ = try popMark()
        case .dup: try push(try top())
        case .binint: try pushNew(.int(Int64(Int32(bitPattern: UInt32(try readLE(4))))))
        case .binint1: try pushNew(.int(Int64(try readLE(1))))
        case .binint2: try pushNew(.int(Int64(try readLE(2))))
        case .long1: try pushNew(integer(try read(Int(try readLE(1)))))
        case .long4:
            let n = Int32(bitPattern: UInt32(try readLE(4)))
            guard n >= 0 else { throw PickleFailure("PK-05", "LONG4 with negative length \(n)") }
            try pushNew(integer(try read(Int(n), capped: true)))
        case .none: try pushNew(.none)
        case .newtrue: try pushNew(.bool(true))
        case .newfalse: try pushNew(.bool(false))
        case .binfloat:
            let b = try read(8)
            var bits: UInt64 = 0
            for x in b { bits = bits << 8 | UInt64(x) }  // the one big-endian operand
            try pushNew(.float(Double(bitPattern: bits)))
        case .binstring:
            let n = Int32(bitPattern: UInt32(try readLE(4)))
            guard n >= 0 else { throw PickleFailure("PK-05", "BINSTRING with negative length \(n)") }
            try pushNew(.string(latin1(try read(Int(n), capped: true))))
        case .shortBinstring: try pushNew(.string(latin1(try read(Int(try readLE(1))))))
        case .binunicode: try pushNew(.string(try utf8(try read(try length(4), capped: true))))
        case .shortBinunicode: try pushNew(.string(try utf8(try read(Int(try readLE(1))))))
        case .binunicode8: try pushNew(.string(try utf8(try read(try length(8), capped: true))))
        case .binbytes: try pushNew(.bytes(Array(try read(try length(4), capped: true))))
        case .shortBinbytes: try pushNew(.bytes(Array(try read(Int(try readLE(1))))))
        case .binbytes8, .bytearray8: try pushNew(.bytes(Array(try read(try length(8), capped: true))))
        case .emptyList: try pushNew(.list(register(PickleList())))
        case .emptyDict: try pushNew(.dict(register(PickleDict(ordered: false))))
        case .emptySet: try pushNew(.set(register(PickleSet(frozen: false))))
        case .emptyTuple: try push(try makeTuple([]))
        case .append:
            let item = try pop()
            try append(to: try top(), [item])
        case .appends:
            let items = try popMark()
            try append(to: try top(), items)
        case .list:
            let items = try popMark()
            let l = register(PickleList())
            try pushNew(.list(l))
            try append(to: .list(l), items)
        case .tuple: try push(try makeTuple(try popMark()))
        case .tuple1, .tuple2, .tuple3:
            let n = Int(op.rawValue - PickleOpcode.tuple1.rawValue) + 1
            var items: [PickleValue] = []
            for _ in 0..<n { items.append(try pop()) }
            try push(try makeTuple(items.reversed()))
        case .dict:
            let items = try popMark()
            let d = register(PickleDict(ordered: false))
            try setItems(d, items[...])
            try pushNew(.dict(d))
        case .setitem:
            let value = try pop(), key = try pop()
            guard case .dict(let d) = try top() else { throw wrongTarget(op, try top(), "a dict") }
            try setItems(d, [key, value][...])
        case .setitems:
            let items = try popMark()
            guard case .dict(let d) = try top() else { throw wrongTarget(op, try top(), "a dict") }
            try setItems(d, items[...])
        case .additems:
            let items = try popMark()
            guard case .set(let s) = try top(), !s.isFrozen else { throw wrongTarget(op, try top(), "a set") }
            try addItems(s, items)
        case .frozenset:
            let items = try popMark()
            let s = register(PickleSet(frozen: true))
            try addItems(s, items)
            try pushNew(.set(s))
        case .binget: try push(try memoGet(UInt32(try readLE(1))))
        case .longBinget: try push(try memoGet(UInt32(try readLE(4))))
        case .binput: try memoPut(UInt32(try readLE(1)))
        case .longBinput: try memoPut(UInt32(try readLE(4)))
        case .memoize: try memoPut(UInt32(truncatingIfNeeded: memo.count))
        case .frame:
            // A framing hint only: its length must fit in what remains, nothing else is done.
            let n = try readLE(8)
            guard n <= UInt64(code.count - pos) else {
                throw PickleFailure("PK-05", "FRAME of \(n) bytes but only \(code.count - pos) remain")
            }
        case .proto:
            let v = try readLE(1)
            guard (2...5).contains(v) else { throw PickleFailure("PK-01", "unsupported pickle protocol \(v)") }
        case .global:
            let module = try readLine(), name = try readLine()
            try pushNew(.global(try resolveGlobal(module: module, name: name)))
        case .stackGlobal:
            let name = try pop(), module = try pop()
            guard case .string(let n) = name, case .string(let m) = module else {
                throw PickleFailure("PK-05", "STACK_GLOBAL needs two strings, got \(module.kindName) and \(name.kindName)")
            }
            try pushNew(.global(try resolveGlobal(module: m, name: n)))
        case .reduce:
            let args = try pop(), callable = try pop()
            try pushNew(try call(callable, args))
        case .newobj:
            let args = try pop(), cls = try pop()
            try pushNew(try newObject(cls, args))
        case .build:
            let state = try pop()
            try build(try top(), state)
        case .binpersid: try pushNew(try persistentLoad(try pop()))
        case .stop, .float, .int, .long, .persid, .string, .unicode, .get, .inst, .obj, .put,
             .ext1, .ext2, .ext4, .newobjEx, .nextBuffer, .readonlyBuffer:
            throw PickleFailure("PK-02", "opcode \(op.name) is not accepted")
        }
    }

    func wrongTarget(_ op: PickleOpcode, _ target: PickleValue, _ expected: String) -> PickleFailure {
        PickleFailure("PK-05", "\(op.name) applies to \(expected), not to a \(target.kindName)")
    }

    func append(to target: PickleValue, _ items: [PickleValue]) throws {
        guard case .list(let l) = target else { throw wrongTarget(.append, target, "a list") }
        l.items.append(contentsOf: items)
        for i in items { try adopt(l, i) }
        try countValues(items.count)
    }

    func memoGet(_ i: UInt32) throws -> PickleValue {
        guard let v = memo[i] else { throw PickleFailure("PK-05", "memo index \(i) was never set") }
        return v
    }

    func memoPut(_ i: UInt32) throws {
        let v = try top()
        guard memo.count < limits.memoEntries || memo[i] != nil else {
            throw PickleFailure("PK-06", "more than \(limits.memoEntries) memo entries")
        }
        memo[i] = v
    }

    func resolveGlobal(module: String, name: String) throws -> PickleGlobal {
        let g = PickleGlobals.resolve(module: module, name: name)
        if PickleGlobals.isDenied(module: g.module, name: name) {
            throw PickleFailure("PK-04", "the pickle references \(g.qualifiedName), which Pare never calls; the file is hostile",
                                hint: "do not load this file with torch.load(weights_only=False) either")
        }
        if g.kind == .unknown, !unknownGlobals.contains(g.qualifiedName) {
            unknownGlobals.append(g.qualifiedName)
        }
        return g
    }

    // MARK: operands

    /// `n` bytes of operand; PK-05 when the pickle ends first (checked before any allocation),
    /// PK-06 when `capped` and the length exceeds the string limit.
    func read(_ n: Int, capped: Bool = false) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= code.count - pos else {
            throw PickleFailure("PK-05", "operand of \(n) bytes runs past the end of the pickle (\(code.count - pos) bytes left)")
        }
        if capped, n > limits.stringBytes {
            throw PickleFailure("PK-06", "a string of \(n) bytes exceeds the \(limits.stringBytes)-byte limit")
        }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: code[pos..<(pos + n)])
    }

    /// An unsigned little-endian operand of `n` bytes.
    func readLE(_ n: Int) throws -> UInt64 {
        let b = try read(n)
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        return v
    }

    /// A length operand, kept as an Int only if it could possibly fit in the pickle.
    func length(_ n: Int) throws -> Int {
        let v = try readLE(n)
        guard v <= UInt64(code.count) else {
            throw PickleFailure("PK-05", "length \(v) runs past the end of the pickle (\(code.count - pos) bytes left)")
        }
        return Int(v)
    }

    /// A newline-terminated text operand (GLOBAL, INST): UTF-8, at most 4 KiB.
    func readLine() throws -> String {
        let end = min(code.count, pos + 4096)
        guard let nl = code[pos..<end].firstIndex(of: 0x0A) else {
            throw PickleFailure("PK-05", "text operand without a newline within 4096 bytes")
        }
        let text = try utf8(UnsafeRawBufferPointer(rebasing: code[pos..<nl]))
        pos = nl + 1
        return text
    }

    func utf8(_ b: UnsafeRawBufferPointer) throws -> String {
        guard let s = String(validating: b, as: UTF8.self) else { throw PickleFailure("PK-05", "invalid UTF-8 in a string") }
        return s
    }

    func latin1(_ b: UnsafeRawBufferPointer) -> String {
        var s = String.UnicodeScalarView()
        for x in b { s.append(Unicode.Scalar(x)) }
        return String(s)
    }

    /// A LONG1/LONG4 operand: two's complement, little-endian; 64-bit values become Int64.
    func integer(_ b: UnsafeRawBufferPointer) -> PickleValue {
        guard !b.isEmpty else { return .int(0) }
        // Strip redundant sign-extension bytes, then see whether it fits 8 bytes.
        var n = b.count
        let fill: UInt8 = b[n - 1] & 0x80 != 0 ? 0xFF : 0x00
        while n > 1, b[n - 1] == fill, (b[n - 2] & 0x80) == (fill & 0x80) { n -= 1 }
        guard n <= 8 else { return .bigInt(Array(b[0..<n])) }
        var v: UInt64 = fill == 0xFF ? ~0 : 0
        for i in 0..<n {
            v &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            v |= UInt64(b[i]) << (8 * UInt64(i))
        }
        return .int(Int64(bitPattern: v))
    }
}
