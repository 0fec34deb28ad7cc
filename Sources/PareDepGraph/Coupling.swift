import PareIR

/// One axis of one value: an activation, or the storage of a weight (initializer or Constant).
public struct Slot: Hashable, Sendable, Comparable {
    public var value: String
    public var axis: Int

    public init(_ value: String, _ axis: Int) { self.value = value; self.axis = axis }

    public static func < (a: Slot, b: Slot) -> Bool { (a.value, a.axis) < (b.value, b.axis) }
}

/// A shape constant or attribute the surgery must recompute from the kept widths.
public enum Rewrite: Sendable, Equatable {
    /// Entry `entry` of the integer tensor `storage` (a Reshape/Resize shape) becomes the kept
    /// extent of `slot` divided by `divisor`.
    case shapeEntry(storage: String, entry: Int, slot: Slot, divisor: Int)
    /// The `group` attribute of depthwise Conv `node` becomes the kept extent of `slot`.
    case convGroup(node: Int, slot: Slot)
    /// Split `node`'s sizes (input 1, or the `split` attribute) become the kept extents of its outputs on `axis`.
    case splitSizes(node: Int, outputs: [Slot])
    /// A Slice on the channel axis: its start literal becomes the number of kept input positions
    /// before the old start, its end literal that plus the kept output extent (an end at or past
    /// the old extent — "to the end" — stays as it is).
    case sliceBounds(start: EntryRef, end: EntryRef?, oldStart: Int, input: Slot, output: Slot)
}

/// One entry of an integer initializer or Constant.
public struct EntryRef: Sendable, Equatable {
    public var storage: String
    public var index: Int
}

/// The state every op rule writes to: atoms per slot, couplings as unions, frozen atoms with
/// their reasons, weight members, and the rewrites the surgery will need.
struct CouplingState {
    var view: GraphView
    var sets = UnionFind()
    private(set) var slots: [Slot: (base: Int, extent: Int)] = [:]
    var frozen: [(atom: Int, reason: String)] = []
    /// Weight slots in the order rules declared them, with role and the declaring node.
    var members: [(slot: Slot, role: MemberRole, node: Int, operand: Int)] = []
    private var memberIndex: [Slot: Int] = [:]
    var rewrites: [Rewrite] = []
    /// Nodes already covered by a multi-node pattern (channel shuffle).
    var handled: Set<Int> = []

    init(view: GraphView) { self.view = view }

    /// The atoms of a slot, allocated on first use. Nil when the extent is unknown; extent-1
    /// slots get atoms too but are never coupled (broadcasting makes them copies).
    /// The most channel positions one analysis may hold (each costs about 20 bytes): far above any
    /// real model, low enough that a file declaring absurd extents fails cleanly instead of
    /// exhausting memory.
    static let atomBudget = 1 << 27
    private(set) var overBudget: Slot?

    mutating func atoms(_ slot: Slot, knownExtent: Int? = nil) -> (base: Int, extent: Int)? {
        if let s = slots[slot] { return s }
        guard let extent = view.extent(slot.value, slot.axis) ?? knownExtent, extent > 0 else { return nil }
        guard extent <= Self.atomBudget - sets.count else {
            if overBudget == nil { overBudget = slot }
            return nil
        }
        let s = (base: sets.add(extent), extent: extent)
        slots[slot] = s
        return s
    }

    mutating func freeze(_ slot: Slot, _ reason: String) {
        guard let s = atoms(slot) else { return }
        for i in 0..<s.extent { frozen.append((s.base + i, reason)) }
    }

    /// Identity coupling. Extents must agree; otherwise both sides are frozen (never guessed).
    mutating func unite(_ a: Slot, _ b: Slot, at node: Int) {
        // An identity coupling states equal extents: a side inference could not size (after an
        // op whose arguments it could not evaluate) takes the other side's.
        if let known = atoms(a) { _ = atoms(b, knownExtent: known.extent) }
        if let known = atoms(b) { _ = atoms(a, knownExtent: known.extent) }
        guard let sa = atoms(a), let sb = atoms(b), sa.extent == sb.extent else {
            let reason = "\(view.nodeLabel(node)): cannot relate the channels of '\(a.value)' and '\(b.value)' (unknown or different extents)"
            freeze(a, reason); freeze(b, reason)
            return
        }
        for i in 0..<sa.extent { sets.union(sa.base + i, sb.base + i) }
    }

    mutating func unite(_ a: Slot, _ i: Int, _ b: Slot, _ j: Int) {
        guard let sa = atoms(a), let sb = atoms(b), i < sa.extent, j < sb.extent else { return }
        sets.union(sa.base + i, sb.base + j)
    }

    /// Declares a weight member on the storage's axis and couples it to an activation slot.
    mutating func member(_ weight: WeightSource, axis: Int, role: MemberRole, node: Int, operand: Int, coupledTo activation: Slot?) {
        let slot = Slot(weight.storage, axis)
        guard atoms(slot) != nil else { return }
        if memberIndex[slot] == nil {
            memberIndex[slot] = members.count
            members.append((slot, role, node, operand))
        }
        if let activation { unite(slot, activation, at: node) }
    }

    func hasAtoms(_ slot: Slot) -> Bool { slots[slot] != nil }

    /// A slot's channel count: inferred, or fixed by an earlier rule when inference lost it.
    func extent(_ slot: Slot) -> Int? { view.extent(slot.value, slot.axis) ?? slots[slot]?.extent }

    var allSlots: [Slot: (base: Int, extent: Int)] { slots }
}
