import Foundation
internal import CBLAS

/// A fixed set of worker threads that split loops with the calling thread.
///
/// Idle workers sleep on a condition variable — they never spin — because this machine is shared
/// and a spinning pool steals the core OpenBLAS or the caller needs. `parallelFor` hands out chunk
/// indices from a shared counter, runs chunks on the caller too, and returns when all are done.
/// One loop at a time: kernels call it from the executor's single thread.
public final class WorkerPool: @unchecked Sendable {
    /// How many threads a loop may use, the caller included.
    public let threadCount: Int
    private let shared = SharedLoop()

    public init(threads: Int) {
        threadCount = max(1, threads)
        for _ in 1..<threadCount {
            // The thread holds the loop state, not the pool, so dropping the pool stops it cleanly.
            let state = shared
            let thread = Thread { state.workerLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// A pool of `threads` threads for the engine. OpenBLAS is kept to one thread: the kernels
    /// split their GEMMs over this pool themselves, and OpenBLAS's own workers spin with
    /// sched_yield between calls, which on a 2-core machine steals the core the pool needs.
    /// So `--threads N` is one budget for the whole process.
    public static func configured(threads: Int) -> WorkerPool {
        openblas_set_num_threads(1)
        return WorkerPool(threads: threads)
    }

    deinit { shared.stop() }

    /// Runs `body(i)` for every i in 0..<count, spread over the pool; returns when all have run.
    public func parallelFor(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        shared.run(count, body)
    }

    /// Splits 0..<total into about `threadCount × 4` ranges (at least `grain` long) and runs them.
    public func parallelRanges(_ total: Int, grain: Int = 1, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        if total <= 0 { return }
        let pieces = max(1, min(threadCount * 4, total / max(1, grain)))
        if pieces == 1 || threadCount == 1 { body(0..<total); return }
        let step = (total + pieces - 1) / pieces
        let count = (total + step - 1) / step
        parallelFor(count) { i in body(i * step..<min(total, (i + 1) * step)) }
    }
}

/// The loop being shared: chunk counter, completion count and the sleeping workers' condition.
private final class SharedLoop: @unchecked Sendable {
    private let condition = NSCondition()
    private var job: (@Sendable (Int) -> Void)?
    private var chunkCount = 0
    private var nextChunk = 0
    private var unfinished = 0
    private var generation = 0
    private var stopping = false

    func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        condition.lock()
        job = body; chunkCount = count; nextChunk = 0; unfinished = count; generation &+= 1
        condition.broadcast()
        condition.unlock()
        drain()
        condition.lock()
        while unfinished > 0 { condition.wait() }
        job = nil
        condition.unlock()
    }

    func stop() {
        condition.lock(); stopping = true; condition.broadcast(); condition.unlock()
    }

    /// Takes chunks until none are left; used by the caller and the workers alike.
    private func drain() {
        while true {
            condition.lock()
            guard let body = job, nextChunk < chunkCount else { condition.unlock(); return }
            let i = nextChunk
            nextChunk += 1
            condition.unlock()
            body(i)
            condition.lock()
            unfinished -= 1
            if unfinished == 0 { condition.broadcast() }
            condition.unlock()
        }
    }

    func workerLoop() {
        var seen = 0
        while true {
            condition.lock()
            while !stopping && (generation == seen || job == nil) { condition.wait() }
            if stopping { condition.unlock(); return }
            seen = generation
            condition.unlock()
            drain()
        }
    }
}
