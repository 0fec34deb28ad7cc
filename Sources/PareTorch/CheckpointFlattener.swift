import PareCore

/// Turns the decoded object tree into dotted names (spec §5.7): every dict, list and tuple on the
/// way to a tensor adds a path component (`optimizer.state.0.momentum_buffer`); branches without
/// tensors become one described value (`epoch` → "int 3"). The walk is iterative, visits each
/// container once (a container reached again is recorded as "same object as …", so memo sharing
/// cannot multiply work) and stops at the nesting limit (PK-06).
struct CheckpointFlattener {
    let depthLimit: Int
    private(set) var tensors: [(name: String, tensor: TorchTensor)] = []
    private(set) var others: [(name: String, description: String)] = []
    private var firstPath: [ObjectIdentifier: String] = [:]
    private var presence: [ObjectIdentifier: Bool] = [:]
    private var names = Set<String>()

    init(depthLimit: Int) { self.depthLimit = depthLimit }

    mutating func flatten(_ root: PickleValue) throws {
        var work: [(value: PickleValue, name: String, depth: Int)] = [(root, "", 0)]
        while let (value, name, depth) = work.popLast() {
            guard depth <= depthLimit else {
                throw PickleFailure("PK-06", "'\(name.prefix(200))…' is nested more than \(depthLimit) deep")
            }
            if case .tensor(let t) = value {
                try record(name)
                tensors.append((name, t))
                continue
            }
            guard let id = value.containerIdentity else {
                try record(name)
                others.append((display(name), ValueDescription.describe(value)))
                continue
            }
            if let first = firstPath[id] {
                try record(name)
                others.append((display(name), "same object as \(display(first))"))
                continue
            }
            firstPath[id] = name
            guard containsTensor(value) else {
                if !(name.isEmpty && ValueDescription.isEmpty(value)) {
                    try record(name)
                    others.append((display(name), ValueDescription.describe(value)))
                }
                continue
            }
            for (component, child) in children(of: value).reversed() {
                work.append((child, name.isEmpty ? component : "\(name).\(component)", depth + 1))
            }
        }
    }

    private func display(_ name: String) -> String { name.isEmpty ? "(root)" : name }

    /// Two values flattening to one name would silently lose one of them.
    private mutating func record(_ name: String) throws {
        guard names.insert(name).inserted else {
            throw PickleFailure("PT-09", "two values flatten to the same name '\(name.prefix(200))'")
        }
    }

    /// The named children of a container, in order.
    private func children(of v: PickleValue) -> [(String, PickleValue)] {
        switch v {
        case .dict(let d): return zip(d.keys, d.values).map { (ValueDescription.component($0), $1) }
        case .list(let l): return l.items.enumerated().map { (String($0), $1) }
        case .tuple(let t): return t.items.enumerated().map { (String($0), $1) }
        case .set(let s): return s.items.enumerated().map { (String($0), $1) }
        case .object(let o): return ModuleWalk.children(of: o)
        default: return []
        }
    }

    /// Whether any tensor is reachable from `root`; iterative, memoised per container. A container
    /// still being explored counts as tensor-free, which only matters inside cycles.
    private mutating func containsTensor(_ root: PickleValue) -> Bool {
        guard let rootID = root.containerIdentity else { if case .tensor = root { return true }; return false }
        if let known = presence[rootID] { return known }
        presence[rootID] = false
        var frames: [(id: ObjectIdentifier, children: [PickleValue], next: Int, found: Bool)] =
            [(rootID, children(of: root).map(\.1), 0, false)]
        while var f = frames.popLast() {
            if f.found || f.next == f.children.count {
                presence[f.id] = f.found
                if f.found, !frames.isEmpty { frames[frames.count - 1].found = true }
                continue
            }
            let child = f.children[f.next]
            f.next += 1
            if case .tensor = child { f.found = true }
            frames.append(f)
            guard !f.found, let cid = child.containerIdentity else { continue }
            if let known = presence[cid] {
                if known { frames[frames.count - 1].found = true }
                continue
            }
            presence[cid] = false
            frames.append((cid, children(of: child).map(\.1), 0, false))
        }
        return presence[rootID] ?? false
    }
}

/// Where the weights of a full-model pickle (`torch.save(model)`, read leniently) live: a module
/// object's state holds `_parameters`, `_buffers` and `_modules`; naming them the way
/// `state_dict()` does gives the model's own keys. Other objects expose their state's entries.
enum ModuleWalk {
    static func children(of o: PickleObject) -> [(String, PickleValue)] {
        guard case .dict(let state)? = o.state else {
            var out: [(String, PickleValue)] = [("args", o.arguments)]
            if let s = o.state { out.append(("state", s)) }
            return out
        }
        guard case .dict(let params)? = state["_parameters"], case .dict(let modules)? = state["_modules"] else {
            return zip(state.keys, state.values).map { (ValueDescription.component($0), $1) }
        }
        var nonPersistent = Set<String>()
        if case .set(let s)? = state["_non_persistent_buffers_set"] {
            for case .string(let n) in s.items { nonPersistent.insert(n) }
        }
        var out: [(String, PickleValue)] = []
        for (k, v) in zip(params.keys, params.values) { if case .none = v { continue }; out.append((ValueDescription.component(k), v)) }
        if case .dict(let buffers)? = state["_buffers"] {
            for (k, v) in zip(buffers.keys, buffers.values) {
                let name = ValueDescription.component(k)
                if case .none = v { continue }
                if !nonPersistent.contains(name) { out.append((name, v)) }
            }
        }
        for (k, v) in zip(modules.keys, modules.values) { out.append((ValueDescription.component(k), v)) }
        return out
    }
}

extension PickleValue {
    /// Identity of a container value (the unit of sharing and cycles), nil for everything else.
    var containerIdentity: ObjectIdentifier? {
        switch self {
        case .dict(let c): ObjectIdentifier(c)
        case .list(let c): ObjectIdentifier(c)
        case .tuple(let c): ObjectIdentifier(c)
        case .set(let c): ObjectIdentifier(c)
        case .object(let c): ObjectIdentifier(c)
        default: nil
        }
    }
}
