import PareCore

/// REDUCE, NEWOBJ, BUILD and BINPERSID: where a normal unpickler would call Python code, the
/// machine looks at which allow-listed global is named and builds the value itself.
extension PickleMachine {
    func call(_ callable: PickleValue, _ argsValue: PickleValue) throws -> PickleValue {
        guard case .global(let g) = callable else {
            throw PickleFailure("PK-05", "REDUCE on a \(callable.kindName), which is not callable")
        }
        guard case .tuple(let t) = argsValue else {
            throw PickleFailure("PK-05", "REDUCE arguments for \(g.qualifiedName) are a \(argsValue.kindName), not a tuple")
        }
        let args = t.items
        switch g.kind {
        case .orderedDict, .counter:
            let d = register(PickleDict(ordered: g.kind == .orderedDict))
            if let first = args.first { try fillDict(d, from: first, for: g) }
            return .dict(d)
        case .rebuildTensorV2, .rebuildTensorV3, .rebuildTensor:
            return try rebuildTensor(g, args)
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count == (g.kind == .rebuildParameter ? 3 : 4) else { throw arity(g, args) }
            if args.count == 4, !isEmptyContainer(args[3]) {
                warn("PT-10", "\(g.name) carries extra parameter state, which is ignored")
            }
            return try parameter(args[0], requiresGrad: args[1], via: g)
        case .parameter:
            guard (1...2).contains(args.count) else { throw arity(g, args) }
            return try parameter(args[0], requiresGrad: args.count > 1 ? args[1] : .bool(true), via: g)
        case .rebuildFromTypeV2:
            // (func, new_type, args, state): interpret func(args); the type only flags a subclass.
            guard args.count == 4, case .tuple = args[2] else { throw arity(g, args) }
            let result = try call(args[0], args[2])
            if case .global(let type) = args[1], type.kind != .tensorClass, type.kind != .parameter {
                warn("PT-10", "tensor subclass \(type.qualifiedName) is read as a plain tensor")
            }
            return result
        case .size:
            guard args.count == 1, case .tuple = args[0] else { throw arity(g, args) }
            return args[0]
        case .device:
            let parts = args.map { v -> String in
                switch v { case .string(let s): s; case .int(let i): String(i); default: "?" }
            }
            guard (1...2).contains(args.count), !parts.contains("?") else { throw arity(g, args) }
            return .string(parts.joined(separator: ":"))
        case .codecsEncode:
            return try codecsEncode(args)
        case .builtinSet, .builtinFrozenset:
            let s = register(PickleSet(frozen: g.kind == .builtinFrozenset))
            if let first = args.first { try addItems(s, try sequenceItems(first, for: g)) }
            return .set(s)
        case .builtinBytearray:
            guard let first = args.first else { return .bytes([]) }
            guard args.count == 1, case .bytes(let b) = first else { throw arity(g, args) }
            return .bytes(b)
        case .builtinComplex:
            let parts = try args.map { v -> Double in
                switch v { case .float(let f): return f; case .int(let i): return Double(i)
                default: throw arity(g, args) }
            }
            guard parts.count <= 2 else { throw arity(g, args) }
            return .complex(parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        case .getLayout:
            guard args.count == 1, case .string(let s) = args[0] else { throw arity(g, args) }
            return .string(s)
        case .unsupportedRebuild:
            return try unsupported("\(g.qualifiedName) builds a tensor kind Pare does not read (quantized, sparse, meta, nested or device-only)")
        case .unknown:
            let o = register(PickleObject(type: g, arguments: argsValue))
            try adopt(o, argsValue)
            return .object(o)
        case .storageClass, .dtype, .tensorClass, .token:
            throw PickleFailure("PK-05", "\(g.qualifiedName) is not callable in a checkpoint")
        }
    }

    /// NEWOBJ: only `Parameter`, and unknown classes kept inert (PK-05 otherwise).
    func newObject(_ cls: PickleValue, _ argsValue: PickleValue) throws -> PickleValue {
        guard case .global(let g) = cls, case .tuple(let t) = argsValue else {
            throw PickleFailure("PK-05", "NEWOBJ needs a class and an argument tuple, got \(cls.kindName) and \(argsValue.kindName)")
        }
        switch g.kind {
        case .parameter:
            guard (1...2).contains(t.items.count) else { throw arity(g, t.items) }
            return try parameter(t.items[0], requiresGrad: t.items.count > 1 ? t.items[1] : .bool(true), via: g)
        case .unknown:
            let o = register(PickleObject(type: g, arguments: argsValue))
            try adopt(o, argsValue)
            return .object(o)
        default:
            throw PickleFailure("PK-05", "NEWOBJ of \(g.qualifiedName) is not accepted")
        }
    }

    /// BUILD: attributes on a dict (an OrderedDict's `_metadata`), tensor and parameter state
    /// (ignored), or an inert object's state. Nothing else may be built on (PK-05).
    func build(_ target: PickleValue, _ state: PickleValue) throws {
        switch target {
        case .dict(let d):
            d.attributes = state
            try adopt(d, state)
        case .tensor:
            if !isEmptyContainer(state) { warn("PT-10", "state set on a tensor by BUILD is ignored") }
        case .object(let o):
            o.state = state
            try adopt(o, state)
        default:
            throw PickleFailure("PK-05", "BUILD on a \(target.kindName) is not accepted")
        }
        try countValues(1)
    }

    /// BINPERSID: `('storage', <storage class>, <key>, <location>, <numel>)` or PK-07.
    func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        let bad = PickleFailure("PK-07", "persistent id is not ('storage', <storage class>, <key>, <location>, <numel>)")
        guard case .tuple(let t) = pid, t.items.count == 5 else { throw bad }
        let i = t.items
        switch i[0] {
        case .string("storage"), .bytes(Array("storage".utf8)): break
        default: throw bad
        }
        guard case .global(let g) = i[1], case .storageClass(let sc) = g.kind, case .string(let key) = i[2],
              case .string(let location) = i[3] else { throw bad }
        guard case .int(let numel) = i[4], numel >= 0 else {
            if case .bigInt = i[4] { throw PickleFailure("PK-09", "storage numel wider than 64 bits") }
            throw bad
        }
        if case .quantized(let name) = sc { return try unsupported("quantized storage \(name)") }
        return try loadStorage(StorageRequest(storageClass: sc, className: g.name, key: key, location: location, numel: numel))
    }

    // MARK: helpers

    func fillDict(_ d: PickleDict, from source: PickleValue, for g: PickleGlobal) throws {
        if case .dict(let other) = source {
            var pairs: [PickleValue] = []
            for (k, v) in zip(other.keys, other.values) { pairs += [k, v] }
            try setItems(d, pairs[...])
            return
        }
        var pairs: [PickleValue] = []
        for item in try sequenceItems(source, for: g) {
            switch item {
            case .tuple(let p) where p.items.count == 2: pairs += p.items
            case .list(let p) where p.items.count == 2: pairs += p.items
            default: throw PickleFailure("PK-05", "\(g.qualifiedName) needs (key, value) pairs, got a \(item.kindName)")
            }
        }
        try setItems(d, pairs[...])
    }

    func sequenceItems(_ v: PickleValue, for g: PickleGlobal) throws -> [PickleValue] {
        switch v {
        case .list(let l): return l.items
        case .tuple(let t): return t.items
        case .set(let s): return s.items
        default: throw PickleFailure("PK-05", "\(g.qualifiedName) needs a list, tuple or set, got a \(v.kindName)")
        }
    }

    /// `_codecs.encode(text, 'latin1')` is how protocol 2 stores Python 3 bytes; any other
    /// codec could run arbitrary transformations and is refused.
    func codecsEncode(_ args: [PickleValue]) throws -> PickleValue {
        guard args.count == 2, case .string(let text) = args[0], case .string(let enc) = args[1] else {
            throw PickleFailure("PK-05", "_codecs.encode needs (str, encoding)")
        }
        guard ["latin1", "latin-1", "iso-8859-1", "iso8859-1"].contains(enc.lowercased()) else {
            throw PickleFailure("PK-05", "_codecs.encode with encoding '\(enc)' is not accepted (only latin1)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard s.value <= 0xFF else { throw PickleFailure("PK-05", "_codecs.encode: code point above 255 in latin1 text") }
            out.append(UInt8(s.value))
        }
        return .bytes(out)
    }

    func parameter(_ data: PickleValue, requiresGrad: PickleValue, via g: PickleGlobal) throws -> PickleValue {
        switch data {
        case .tensor(let t): return .tensor(t.asParameter(requiresGrad: requiresGrad.isTrue))
        case .none where options.lenientPickle: return .none  // a skipped unsupported tensor
        default: throw PickleFailure("PK-05", "\(g.qualifiedName) wraps a \(data.kindName), not a tensor")
        }
    }

    func isEmptyContainer(_ v: PickleValue) -> Bool {
        switch v {
        case .none: true
        case .dict(let d): d.count == 0
        case .tuple(let t): t.items.allSatisfy { isEmptyContainer($0) }
        case .list(let l): l.items.isEmpty
        default: false
        }
    }

    /// PT-10: an error, or with `lenientPickle` a warning and a skipped (None) value.
    func unsupported(_ what: String) throws -> PickleValue {
        guard options.lenientPickle else { throw PickleFailure("PT-10", what, hint: "load it in Python and save a plain state_dict") }
        warn("PT-10", "\(what); skipped")
        return .none
    }

    func warn(_ rule: String, _ message: String) {
        guard diagnostics.count < 1_000 else { return }  // a hostile pickle must not flood memory
        diagnostics.append(Diagnostic(rule, .warning, at: "\(record) byte \(opStart)", message))
    }

    func arity(_ g: PickleGlobal, _ args: [PickleValue]) -> PickleFailure {
        PickleFailure("PK-05", "\(g.qualifiedName) called with unexpected arguments (\(args.map(\.kindName).joined(separator: ", ")))")
    }
}

extension PickleValue {
    var isTrue: Bool {
        switch self {
        case .bool(let b): b
        case .int(let i): i != 0
        default: false
        }
    }
}
