/// A small, fully specified random generator (SplitMix64), shared by data order, augmentation,
/// random pruning criteria and the fuzzers. Pare owns it instead of using the
/// standard library's shuffles, whose algorithms are not promised to stay the same: data order and
/// augmentation must replay bit for bit when a run resumes from a checkpoint.
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one stream derived from a seed and stream ids (epoch, sample …), so that any
    /// sample's randomness can be recomputed without replaying every draw before it.
    public init(seed: UInt64, stream: UInt64...) {
        var mixed = SeededRandom(seed: seed)
        for id in stream { mixed = SeededRandom(seed: mixed.next() ^ (id &* 0x9E37_79B9_7F4A_7C15)) }
        state = mixed.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound without modulo bias (rejection sampling).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit
        while true {
            let value = next()
            if value >= threshold { return Int(value % limit) }
        }
    }

    /// Fisher–Yates permutation of 0..<count.
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            order.swapAt(i, below(i + 1))
            i -= 1
        }
        return order
    }
}
