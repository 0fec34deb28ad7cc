import PareCore

/// A value of the symbolic pickle machine. Nothing here is a Python object: containers are plain
/// Swift reference types (APPEND, SETITEMS and BUILD mutate objects that may also sit in the memo
/// or in another container, and pickles can build cycles), and the few callables a checkpoint
/// uses become interpreted kinds (storage, tensor, dtype token, …).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer wider than 64 bits: its two's-complement bytes, little-endian (PK-09 if used
    /// as a size, stride, offset or count).
    case bigInt([UInt8])
    case float(Double)
    case complex(Double, Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    case set(PickleSet)
    /// A class or function reference that passed the allow-list (or, leniently, an unknown one).
    case global(PickleGlobal)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    /// The result of calling an unknown global (lenient mode only): kept inert for inspection.
    case object(PickleObject)
}

/// Every container the machine creates. The machine keeps them all in an arena so that, when it
/// is done, it can empty them one by one: a chain of 100,000 nested lists would otherwise be freed
/// by 100,000 nested deinit calls and overflow the stack.
class PickleContainer {
    /// Nesting depth as seen when children were added (children mutated later are not
    /// propagated; walkers enforce the depth limit again).
    var depth = 1
    func dismantle() {}
}

final class PickleTuple: PickleContainer {
    var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    override func dismantle() { items = [] }
}

final class PickleList: PickleContainer {
    var items: [PickleValue] = []
    override func dismantle() { items = [] }
}

/// An insertion-ordered dictionary (Python dicts and OrderedDict alike). A key set again keeps
/// its first position and takes the new value, as in Python.
final class PickleDict: PickleContainer {
    var keys: [PickleValue] = []
    var values: [PickleValue] = []
    /// Attributes set by BUILD (an OrderedDict's `_metadata`): recorded, never needed.
    var attributes: PickleValue?
    let isOrdered: Bool
    private var index: [PickleKey: Int] = [:]

    init(ordered: Bool) { isOrdered = ordered }

    func set(_ key: PickleValue, _ hashKey: PickleKey, _ value: PickleValue) {
        if let i = index[hashKey] {
            values[i] = value
        } else {
            index[hashKey] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    var count: Int { keys.count }

    subscript(key: String) -> PickleValue? {
        index[.string(key)].map { values[$0] }
    }

    override func dismantle() { keys = []; values = []; attributes = nil; index = [:] }
}

final class PickleSet: PickleContainer {
    var items: [PickleValue] = []
    let isFrozen: Bool
    private var members = Set<PickleKey>()
    init(frozen: Bool) { isFrozen = frozen }

    func insert(_ item: PickleValue, _ hashKey: PickleKey) {
        if members.insert(hashKey).inserted { items.append(item) }
    }

    override func dismantle() { items = []; members = [] }
}

/// What an unknown global produced when called or instantiated (lenient mode): its class, the
/// arguments and the state BUILD applied, all inert.
final class PickleObject: PickleContainer {
    let type: PickleGlobal
    var arguments: PickleValue
    var state: PickleValue?
    init(type: PickleGlobal, arguments: PickleValue) {
        self.type = type
        self.arguments = arguments
    }
    override func dismantle() { arguments = .none; state = nil }
}

/// The hashable projection of a value used as a dict key or set member. Python hashes
/// immutable values by content and everything else by identity; unhashable kinds (list, dict,
/// set) are refused by the machine, as Python would raise TypeError.
enum PickleKey: Hashable {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt([UInt8])
    case float(UInt64)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])
    case global(String)
    case identity(ObjectIdentifier)
}

extension PickleValue {
    /// Nesting depth of this value: 0 for scalars, the recorded depth for containers.
    var depth: Int {
        switch self {
        case .tuple(let c): c.depth
        case .list(let c): c.depth
        case .dict(let c): c.depth
        case .set(let c): c.depth
        case .object(let c): c.depth
        default: 0
        }
    }

    /// A short name of the kind, for error messages.
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .complex: "complex"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict(let d): d.isOrdered ? "OrderedDict" : "dict"
        case .set(let s): s.isFrozen ? "frozenset" : "set"
        case .global(let g): "global \(g.qualifiedName)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .object(let o): "\(o.type.qualifiedName) object"
        }
    }
}
