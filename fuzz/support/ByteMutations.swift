/// The byte-level mutations every Pare fuzzer shares; each fuzzer mixes them with its own
/// format-aware ones (JSON tokens, pickle opcodes, length-field repairs).
public enum ByteMutations {
    public static func flipBit(_ m: inout [UInt8], at pos: Int, _ rng: inout SplitMix64) {
        if !m.isEmpty { m[pos] ^= UInt8(1 << rng.below(8)) }
    }

    public static func insertRandomByte(_ m: inout [UInt8], at pos: Int, _ rng: inout SplitMix64) {
        m.insert(UInt8(truncatingIfNeeded: rng.next()), at: min(pos, m.count))
    }

    public static func delete(_ m: inout [UInt8], at pos: Int) {
        if !m.isEmpty { m.remove(at: pos) }
    }

    /// Overwrites a byte with one of `values` (boundary bytes, delimiters).
    public static func set(_ m: inout [UInt8], at pos: Int, oneOf values: [UInt8], _ rng: inout SplitMix64) {
        if !m.isEmpty { m[pos] = values[rng.below(values.count)] }
    }

    /// Repeats up to 64 bytes in place (repeated fields, opcodes, entries).
    public static func duplicateChunk(_ m: inout [UInt8], at pos: Int, _ rng: inout SplitMix64) {
        let len = min(1 + rng.below(64), m.count - pos)
        if len > 0 { m.insert(contentsOf: m[pos..<(pos + len)], at: pos) }
    }

    /// Replaces up to 256 bytes with bytes of another corpus input.
    public static func splice(_ m: inout [UInt8], at pos: Int, corpus: [[UInt8]], _ rng: inout SplitMix64) {
        let other = corpus[rng.below(corpus.count)]
        guard !other.isEmpty else { return }
        let from = rng.below(other.count)
        let len = min(1 + rng.below(256), other.count - from)
        m.replaceSubrange(pos..<min(pos + len, m.count), with: other[from..<(from + len)])
    }

    public static func truncate(_ m: inout [UInt8], at pos: Int) {
        m = Array(m.prefix(pos))
    }
}
