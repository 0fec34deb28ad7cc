import PareCore

/// The symbolic pickle machine (spec §5.3). It reads a pickle program opcode by opcode and builds
/// Swift values; it never imports a module, never calls a function, never creates a Python object.
/// Calls to the few allow-listed callables a checkpoint uses are interpreted (PickleCalls), anything
/// else is refused. Every size, count and depth is capped (PK-06), so hostile input ends in an error,
/// never in a hang, an out-of-memory kill or a trap.
final class PickleMachine {
    let code: UnsafeRawBufferPointer
    let options: TorchReadOptions
    var limits: PickleLimits { options.limits }
    /// Turns a checked persistent id into a storage value (the archive's `data/<key>` record).
    let loadStorage: (StorageRequest) throws -> PickleValue
    let copyBudget: CopyBudget
    /// For messages: the file and the record the pickle came from.
    let path: String
    let record: String

    var pos = 0
    /// Offset of the opcode being executed, for error messages.
    var opStart = 0
    var stack: [PickleValue] = []
    /// Stack heights at each MARK: ops that "pop to mark" take everything above the last one,
    /// and no other op may reach below it.
    var marks: [Int] = []
    /// Shared references, never copies: BINGET of a big list costs nothing.
    var memo: [UInt32: PickleValue] = [:]
    /// Every container created, emptied by `dismantle()` so deep chains are freed iteratively.
    var arena: [PickleContainer] = []
    var valueCount = 0
    var unknownGlobals: [String] = []
    var diagnostics: [Diagnostic] = []

    init(code: UnsafeRawBufferPointer, options: TorchReadOptions, path: String, record: String,
         copyBudget: CopyBudget, loadStorage: @escaping (StorageRequest) throws -> PickleValue) {
        self.code = code
        self.options = options
        self.path = path
        self.record = record
        self.copyBudget = copyBudget
        self.loadStorage = loadStorage
    }

    /// Empties every container, so nothing is freed recursively. Call when done with the result.
    func dismantle() {
        for c in arena { c.dismantle() }
        arena = []
        stack = []
        memo = [:]
    }

    /// Runs the program to STOP and answers the value it leaves.
    func run() throws -> PickleValue {
        do {
            guard code.count <= limits.pickleBytes else {
                throw PickleFailure("PK-06", "pickle of \(code.count) bytes exceeds the \(limits.pickleBytes)-byte limit")
            }
            guard code.count >= 2, code[0] == PickleOpcode.proto.rawValue, (2...5).contains(code[1]) else {
                throw PickleFailure("PK-01", "the pickle does not start with PROTO 2…5",
                                    hint: "protocol 0 and 1 pickles are not PyTorch checkpoints")
            }
            while true {
                opStart = pos
                guard pos < code.count else { throw PickleFailure("PK-05", "the pickle ends without STOP") }
                let byte = code[pos]
                pos += 1
                guard let op = PickleOpcode(rawValue: byte) else {
                    throw PickleFailure("PK-05", "byte 0x\(String(byte, radix: 16)) is not a pickle opcode")
                }
                if op.opcodeClass == .rejected || (op.opcodeClass == .pare && options.strictPickle) {
                    throw PickleFailure("PK-02", "opcode \(op.name) is not accepted\(rejectedDetail(op))")
                }
                if op == .stop { return try finish() }
                try execute(op)
            }
        } catch let f as PickleFailure {
            // A structural or unsupported-tensor failure after an unknown global is most likely
            // a consequence of it (its inert stand-in sat where a tensor or dict was expected):
            // the unknown global is the finding worth reporting. Hostile (PK-04) and rejected
            // opcodes (PK-02) are reported as they are.
            if !options.lenientPickle, !unknownGlobals.isEmpty, f.rule == "PK-05" || f.rule == "PT-10" {
                throw error(unknownGlobalsFailure())
            }
            throw error(f)
        }
    }

    func error(_ f: PickleFailure) -> PareError {
        PareError(.unreadable, file: path, place: "\(record) byte \(opStart)", "\(f.message) (rule \(f.rule))", hint: f.hint)
    }

    func unknownGlobalsFailure() -> PickleFailure {
        PickleFailure("PK-03", "the pickle references \(unknownGlobals.joined(separator: ", ")), not on Pare's allow-list",
                      hint: "a plain state_dict needs none of them; --lenient-pickle keeps them as inert values")
    }

    /// What a rejected opcode would have done, so the error names the global INST targets.
    func rejectedDetail(_ op: PickleOpcode) -> String {
        guard op == .inst, let m = try? readLine(), let n = try? readLine() else { return "" }
        return " (it would instantiate \(m).\(n), which Pare never calls)"
    }

    func finish() throws -> PickleValue {
        let result = try pop()
        if !stack.isEmpty || !marks.isEmpty {
            diagnostics.append(Diagnostic("PK-08", .warning, at: "\(record) byte \(opStart)",
                                          "\(stack.count) more values left on the stack at STOP"))
        }
        if pos < code.count {
            diagnostics.append(Diagnostic("PK-08", .warning, at: "\(record) byte \(pos)",
                                          "\(code.count - pos) bytes after STOP"))
        }
        if !unknownGlobals.isEmpty {
            if !options.lenientPickle { throw unknownGlobalsFailure() }
            diagnostics.append(Diagnostic("PK-03", .warning, at: record,
                                          "unknown globals kept as inert values: \(unknownGlobals.joined(separator: ", "))"))
        }
        return result
    }

    // MARK: stack

    func push(_ v: PickleValue) throws {
        guard stack.count < limits.stackValues else {
            throw PickleFailure("PK-06", "more than \(limits.stackValues) values on the stack")
        }
        stack.append(v)
    }

    /// Pushes a value the current opcode created, counting it against the total.
    func pushNew(_ v: PickleValue) throws {
        try countValues(1)
        try push(v)
    }

    func countValues(_ n: Int) throws {
        valueCount += n
        guard valueCount <= limits.totalValues else {
            throw PickleFailure("PK-06", "more than \(limits.totalValues) values in total")
        }
    }

    func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw PickleFailure("PK-05", "stack underflow") }
        return stack.removeLast()
    }

    func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw PickleFailure("PK-05", "stack underflow") }
        return v
    }

    func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw PickleFailure("PK-05", "no MARK to pop to") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    func register<C: PickleContainer>(_ c: C) -> C {
        arena.append(c)
        return c
    }

    /// Records that `child` now sits inside `parent` (PK-06 past the nesting limit).
    func adopt(_ parent: PickleContainer, _ child: PickleValue) throws {
        let d = child.depth + 1
        if d > parent.depth {
            parent.depth = d
            guard d <= limits.nesting else { throw PickleFailure("PK-06", "values nested more than \(limits.nesting) deep") }
        }
    }

    func makeTuple(_ items: [PickleValue]) throws -> PickleValue {
        let t = register(PickleTuple(items))
        for i in items { try adopt(t, i) }
        try countValues(1)
        return .tuple(t)
    }

    /// The hashable projection of a dict key or set member; list, dict and set are unhashable.
    func hashKey(_ v: PickleValue) throws -> PickleKey {
        switch v {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let b): return .bigInt(b)
        case .float(let f): return .float(f.bitPattern)
        case .complex(let r, let i): return .tuple([.float(r.bitPattern), .float(i.bitPattern)])
        case .string(let s): return .string(s)
        case .bytes(let b): return .bytes(b)
        case .tuple(let t): return .tuple(try t.items.map { try hashKey($0) })
        case .global(let g): return .global(g.qualifiedName)
        case .storage(let s): return .identity(ObjectIdentifier(s))
        case .tensor(let t): return .identity(ObjectIdentifier(t))
        case .object(let o): return .identity(ObjectIdentifier(o))
        case .list, .dict, .set: throw PickleFailure("PK-05", "a \(v.kindName) cannot be a dict key or set member")
        }
    }

    func setItems(_ d: PickleDict, _ pairs: ArraySlice<PickleValue>) throws {
        guard pairs.count % 2 == 0 else { throw PickleFailure("PK-05", "odd number of items for a dict") }
        var i = pairs.startIndex
        while i < pairs.endIndex {
            d.set(pairs[i], try hashKey(pairs[i]), pairs[i + 1])
            try adopt(d, pairs[i])
            try adopt(d, pairs[i + 1])
            i += 2
        }
        try countValues(pairs.count / 2)
    }

    func addItems(_ s: PickleSet, _ items: [PickleValue]) throws {
        for item in items {
            s.insert(item, try hashKey(item))
            try adopt(s, item)
        }
        try countValues(items.count)
    }
}

/// Bytes that copies of non-contiguous views may still take (SEC-11): shared by every tensor
/// of one read, so many views of one big storage cannot multiply memory.
final class CopyBudget {
    var remaining: Int
    init(_ bytes: Int) { remaining = bytes }

    func spend(_ bytes: Int, for what: String) throws {
        guard bytes <= remaining else {
            throw PickleFailure("PT-09", "\(what) would need \(bytes) more bytes of copies than the file can justify",
                                hint: "self-overlapping or repeated non-contiguous views multiply memory")
        }
        remaining -= bytes
    }
}

/// A persistent id that passed the PK-07 shape check.
struct StorageRequest {
    var storageClass: TorchStorageClass
    var className: String
    var key: String
    var location: String
    var numel: Int64
}
