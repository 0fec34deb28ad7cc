import Foundation

/// The batches of one epoch, each prepared on a background thread while the caller trains on the
/// previous one. The producer blocks on a condition variable when it is one batch ahead; nothing
/// spins. Batches are identical to `BatchPlan.batch(epoch:index:order:)` called in order.
public final class BatchStream: Sequence, IteratorProtocol, @unchecked Sendable {
    // Safety: `Shared` is touched only under its condition's lock.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var ready: Batch?
        var finished = false
        var cancelled = false
    }

    private let shared = Shared()

    /// Starts producing batches `startBatch…` of `epoch` (start > 0 resumes mid-epoch).
    public init(plan: BatchPlan, epoch: Int, startBatch: Int = 0) {
        let shared = self.shared
        let thread = Thread {
            let order = plan.order(epoch: epoch)
            for index in startBatch..<plan.batchCount {
                let batch = plan.batch(epoch: epoch, index: index, order: order)
                shared.condition.lock()
                while shared.ready != nil && !shared.cancelled { shared.condition.wait() }
                if shared.cancelled { shared.condition.unlock(); return }
                shared.ready = batch
                shared.condition.broadcast()
                shared.condition.unlock()
            }
            shared.condition.lock()
            shared.finished = true
            shared.condition.broadcast()
            shared.condition.unlock()
        }
        thread.name = "pare-batches"
        thread.start()
    }

    deinit { cancel() }

    /// The next batch, waiting for the producer if it is not ready yet; nil after the last.
    public func next() -> Batch? {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        while shared.ready == nil && !shared.finished && !shared.cancelled { shared.condition.wait() }
        guard let batch = shared.ready else { return nil }
        shared.ready = nil
        shared.condition.broadcast()
        return batch
    }

    /// Stops the producer after its current batch (e.g. when training stops early).
    public func cancel() {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }
}
