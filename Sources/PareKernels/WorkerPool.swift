import Foundation
internal import CBLAS

/// A fixed set of worker threads that split loops with the calling thread.
///
/// Idle workers sleep on a condition variable — they never spin — because this machine is shared
/// and a spinning pool steals the core OpenBLAS or the caller needs. `parallelFor` hands out chunk
/// indices from a shared counter, runs chunks on the caller too (always chunk 0, at once), and
/// returns when all are done. One loop at a time: kernels call it from the executor's single thread.
///
/// Sleeping has a price: a woken worker starts its first chunk some 20–35 µs late on this VM, and
/// a caller that finishes first and sleeps needs as long again to wake when the last chunk ends.
/// `parallelShares` lets a static split pay neither: the caller's share is larger by a head start
/// the pool tunes per split from the loops it runs, so the workers end first and the caller
/// rarely sleeps.
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

    /// Worker `worker`'s contiguous share of 0..<total when each of `parts` workers takes
    /// ⌈total / parts⌉ units: empty for workers past the end (5 units on 4 workers take 2, 2, 1
    /// and none, where the unclamped 6..<5 would trap).
    public static func evenShare(_ worker: Int, of total: Int, parts: Int) -> Range<Int> {
        let parts = max(parts, 1), size = (total + parts - 1) / parts
        return min(total, worker * size)..<min(total, (worker + 1) * size)
    }

    /// Runs `body(i)` for every i in 0..<count, spread over the pool; returns when all have run.
    public func parallelFor(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        _ = shared.run(count, body)
    }

    /// Runs `body` once per thread on contiguous shares of 0..<total whose units each cost about
    /// `unitNanoseconds`. The caller's share (the first, started at once) is larger by a head
    /// start learnt per split — per (total, unit cost), which in a network means per layer shape,
    /// since layers differ in how much later a worker finishes (cold caches, data the caller
    /// produced). After each loop the head start moves by a quarter of how late the last worker
    /// finished relative to the caller (at most 10 µs up, 50 µs down; halved when no worker got
    /// to its share at all), aiming at the worker ending 20 µs early: ending late costs the
    /// caller a sleep and a wake-up (~27 µs here) on top, ending early only half the gap.
    /// Share boundaries fall on multiples of `align` where possible (GEMM kernels run whole
    /// register blocks); empty shares are skipped.
    public func parallelShares(of total: Int, unitNanoseconds: Double, align: Int = 1,
                               _ body: @escaping @Sendable (Range<Int>) -> Void) {
        if total <= 0 { return }
        let n = min(threadCount, total)
        if n == 1 { body(0..<total); return }
        let key = SplitKey(total: total, unitCost: unitNanoseconds.bitPattern)
        let lead = headStarts[key] ?? 25_000  // this VM's typical worker wake-up
        let leadUnits = lead / max(unitNanoseconds, 1e-3)
        var bounds = [0]
        for t in 1..<n {
            // Each worker gives up leadUnits/n units to the caller.
            let ideal = Double(total) * Double(t) / Double(n) + leadUnits * Double(n - t) / Double(n)
            let aligned = Int((ideal / Double(align)).rounded()) * align
            bounds.append(min(total, max(bounds[t - 1], aligned)))
        }
        bounds.append(total)
        let shares = (0..<n).map { bounds[$0]..<bounds[$0 + 1] }
        let late = shared.run(n) { i in
            if !shares[i].isEmpty { body(shares[i]) }
        }
        if let late {
            // Small steps up, larger ones down: one descheduled worker (hundreds of µs late on
            // this VM now and then) must not hand the caller most of the work for long.
            let step = min(10_000, max(-50_000, (late + 20_000) / 4))
            headStarts[key] = min(300_000, max(0, lead + step))
        } else {
            // No worker got to its share before the caller ran out of work and took it: the
            // head start is too long for this split (or the wake-up too slow); shorten it.
            headStarts[key] = lead / 2
        }
    }

    private struct SplitKey: Hashable { var total: Int, unitCost: UInt64 }
    /// Only touched by the calling thread (one loop at a time), never by workers.
    private var headStarts: [SplitKey: Double] = [:]

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
    private var workerFinished: UInt64 = 0

    /// Runs the loop; returns how many nanoseconds after the caller the last worker finished
    /// (negative when before), or nil when no worker took a chunk.
    func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double? {
        condition.lock()
        job = body; chunkCount = count; nextChunk = 1; unfinished = count; generation &+= 1
        workerFinished = 0
        condition.broadcast()
        condition.unlock()
        body(0)
        finishChunk(isWorker: false)
        drain(isWorker: false)
        let callerFinished = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        while unfinished > 0 { condition.wait() }
        job = nil
        let late = workerFinished == 0 ? nil : Double(Int64(bitPattern: workerFinished &- callerFinished))
        condition.unlock()
        return late
    }

    func stop() {
        condition.lock(); stopping = true; condition.broadcast(); condition.unlock()
    }

    /// Takes chunks until none are left; used by the caller and the workers alike.
    private func drain(isWorker: Bool) {
        while true {
            condition.lock()
            guard let body = job, nextChunk < chunkCount else { condition.unlock(); return }
            let i = nextChunk
            nextChunk += 1
            condition.unlock()
            body(i)
            finishChunk(isWorker: isWorker)
        }
    }

    private func finishChunk(isWorker: Bool) {
        let now = isWorker ? DispatchTime.now().uptimeNanoseconds : 0
        condition.lock()
        if isWorker { workerFinished = max(workerFinished, now) }
        unfinished -= 1
        if unfinished == 0 { condition.broadcast() }
        condition.unlock()
    }

    func workerLoop() {
        var seen = 0
        while true {
            condition.lock()
            while !stopping && (generation == seen || job == nil) { condition.wait() }
            if stopping { condition.unlock(); return }
            seen = generation
            condition.unlock()
            drain(isWorker: true)
        }
    }
}
