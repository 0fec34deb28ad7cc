import Synchronization

/// Items 0..<count handed out one at a time to whichever thread asks next.
///
/// Why: a fixed half of a batch per thread ends when the slower thread ends, and on a shared
/// 2-vCPU host one of the two is often slower for a whole layer (its core busy with another
/// guest, its caches cold). Taking images as threads get free keeps both busy to the end.
/// Only for work whose result does not depend on which thread does an item.
public final class WorkQueue: Sendable {
    private let next = Atomic<Int>(0)
    public let count: Int

    public init(count: Int) { self.count = count }

    /// The next item, or nil when all have been taken.
    public func take() -> Int? {
        let item = next.add(1, ordering: .relaxed).oldValue
        return item < count ? item : nil
    }
}
