// Seeded mutation fuzzer for the safetensors header parser and reader (formats.md §9.4,
// fuzz-safetensors-header and fuzz-safetensors-file).
//
//   safetensors-header-fuzz [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...
//
// Each iteration takes a corpus file, applies 1–8 mutations (bit flips, byte insert/delete,
// boundary bytes, JSON tokens such as quotes, brackets, escapes, huge or signed numbers and dtype
// names, chunk duplication, splicing, truncation, and rewriting the 8-byte header length so the
// mutated header is reached), then:
//   1. parses bytes 8… with `SafetensorsHeader.parse` (the JSON reader on its own);
//   2. reads the whole mutant with `SafetensorsReader.load`;
//   3. when that succeeds, writes the weights back in memory and reads them again: the result must
//      equal the first read (parse → write → parse).
// Any outcome other than success or a PareError — a trap, a crash, a hang past 10 s, an unequal
// round trip — stops the process; a signal handler first saves the input as fuzz-crash-<seed>.safetensors.
import Foundation
import FuzzSupport
import PareCore
import PareSafetensors

/// Tokens that steer mutants into the JSON reader's corners.
let tokens: [[UInt8]] = [
    "{", "}", "[", "]", "\"", ",", ":", " ", "\t", "\n", "\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00",
    "-", "0", "01", "1.5", "1e3", "18446744073709551615", "18446744073709551616", "9223372036854775808",
    "null", "true", "false", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F4\"",
    "\"F6_E2M3\"", "\"BF16\"", "\"C64\"", "\"U64\"", "[0,0]", "[]", "{}", "\"a\":", "é",
].map { Array($0.utf8) } + [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00]]

func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
    var m = input
    for _ in 0..<(1 + rng.below(8)) {
        let pos = rng.below(max(m.count, 1))
        switch rng.below(11) {
        case 0: ByteMutations.flipBit(&m, at: pos, &rng)
        case 1:  // mostly printable ASCII, so that the mutant stays UTF-8 and reaches the JSON reader
            let byte = rng.below(4) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(0x20 + rng.below(95))
            m.insert(byte, at: min(pos, m.count))
        case 2: ByteMutations.delete(&m, at: pos)
        case 3: if !m.isEmpty { m[pos] = [0x00, 0x20, 0x22, 0x2C, 0x30, 0x39, 0x5C, 0x7B, 0x7D, 0xFF][rng.below(10)] }
        case 4, 5: m.insert(contentsOf: tokens[rng.below(tokens.count)], at: min(8 + rng.below(max(m.count - 7, 1)), m.count))
        case 6: ByteMutations.duplicateChunk(&m, at: pos, &rng)
        case 7: ByteMutations.splice(&m, at: pos, corpus: corpus, &rng)
        case 8: ByteMutations.truncate(&m, at: pos)
        default: break
        }
    }
    // Usually make the length field consistent again, so the mutated header is actually parsed.
    if m.count >= 8, rng.below(4) != 0 {
        let candidates = [m.count - 8, (m.lastIndex(of: 0x7D) ?? 7) + 1 - 8, rng.below(m.count)]
        let n = UInt64(max(0, candidates[rng.below(candidates.count)]))
        for i in 0..<8 { m[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
    }
    return m
}

/// The whole file Pare would write for `set`, built in memory (no disk, no fsync per iteration).
func writtenImage(_ set: WeightSet) throws -> [UInt8] {
    let (header, order) = try SafetensorsWriter.layout(set, path: "mutant")
    var out = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) } + header
    for i in order { out += set.tensors[i].data.array }
    return out
}

let commandLine = FuzzCommandLine.parse(program: "safetensors-header-fuzz", defaultIterations: 200_000)
let (seed, iterations, seconds, corpus) = (commandLine.seed, commandLine.iterations, commandLine.seconds, commandLine.corpus)
CrashSaver.install(path: "fuzz-crash-\(seed).safetensors")
var rng = SplitMix64(seed: seed)
let start = Date()
var executed = 0, headersParsed = 0, read = 0, roundTrips = 0
var rules: [String: Int] = [:]
for _ in 0..<iterations {
    if Date().timeIntervalSince(start) > seconds { break }
    var mutant = mutate(corpus[rng.below(corpus.count)], corpus: corpus, rng: &rng)
    if mutant.count > CrashSaver.capacity { mutant = Array(mutant.prefix(CrashSaver.capacity)) }
    CrashSaver.arm(mutant)
    let holder = TensorData(copying: mutant)
    if holder.count > 8 {
        let header = UnsafeRawBufferPointer(rebasing: holder.bytes[8...])
        if (try? SafetensorsHeader.parse(header, path: "mutant")) != nil { headersParsed += 1 }
    }
    do {
        let first = try SafetensorsReader.load(holder.bytes, path: "mutant", owner: holder)
        read += 1
        let image = TensorData(copying: try writtenImage(first.weights))
        let second = try SafetensorsReader.load(image.bytes, path: "rewritten", owner: image)
        // The writer reorders tensors (widest dtype first), so compare by name.
        let byName = { (s: WeightSet) in s.tensors.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) } }
        guard byName(second.weights) == byName(first.weights), second.weights.metadata == first.weights.metadata else {
            print("round trip changed the weights"); CrashSaver.save(); exit(1)
        }
        roundTrips += 1
    } catch let e as PareError {
        rules[e.rule ?? "other", default: 0] += 1
    } catch {
        print("unexpected error type: \(error)"); CrashSaver.save(); exit(1)
    }
    executed += 1
}
CrashSaver.disarm()
let byRule = rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
print("safetensors-header-fuzz: seed \(seed): \(executed) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s — \(headersParsed) headers parsed, \(read) files read (\(roundTrips) round-tripped), refusals by rule: \(byRule); 0 crashes")
