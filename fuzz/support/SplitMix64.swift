import PareCore

/// The fuzzers' seeded generator: Pare's SplitMix64 (`SeededRandom`) with the cheap modulo
/// `below` the fuzzers have always used, so a seed replays the same mutations as before.
public struct SplitMix64 {
    private var generator: SeededRandom
    public init(seed: UInt64) { generator = SeededRandom(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    /// A number in 0..<n (0 when n ≤ 1).
    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}
