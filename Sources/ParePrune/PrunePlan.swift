import PareDepGraph

/// Which channels to remove, per group: the one value every way of choosing channels (a plan file,
/// a magnitude criterion, OCSPruner) produces and the surgery consumes.
public struct PrunePlan: Sendable, Equatable {
    /// Group id → the group channels to remove (ascending, unique).
    public var removals: [Int: [Int]]

    public init(removals: [Int: [Int]] = [:]) { self.removals = removals }

    public var isEmpty: Bool { removals.values.allSatisfy(\.isEmpty) }
}
