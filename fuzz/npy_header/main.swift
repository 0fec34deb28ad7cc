// Seeded mutation fuzzer for the .npy header parser and the .npy/.npz readers (formats.md §9.4,
// fuzz-npy-header; .npz inputs also exercise the ZIP container checks and libzip).
//
//   npy-header-fuzz [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...
//
// Each iteration takes a corpus file, applies 1–8 mutations (bit flips, byte insert/delete,
// boundary bytes, header tokens such as quotes, parentheses, L suffixes, huge or negative ints,
// descr strings and Python expressions, chunk duplication, splicing, truncation, and rewriting the
// header length field so the mutated header is reached), then:
//   1. parses the header text with `NpyHeader.parse` (the literal parser on its own);
//   2. reads the whole mutant with `NpyReader.array` (or `NpzReader.load` for archives);
//   3. when a .npy read succeeds, writes the array back in memory and reads it again: the result
//      must equal the first read (parse → write → parse).
// Any outcome other than success or a PareError — a trap, a crash, a hang past 10 s, an unequal
// round trip — stops the process; a signal handler first saves the input as fuzz-crash-<seed>.bin.
import Foundation
import FuzzSupport
import PareCore
import PareNumPy

/// Tokens that steer mutants into the literal parser's corners.
let tokens: [[UInt8]] = [
    "'", "\"", "(", ")", ",", ":", "{", "}", "[", "]", " ", "\n", "\\", "L", "-", "0", "1", "True", "False",
    "9223372036854775807", "9223372036854775808", "18446744073709551616", "(5)", "(5,)", "()", "(0,)",
    "'descr'", "'shape'", "'fortran_order'", "'<f8'", "'>c16'", "'|b1'", "'|O'", "'<U3'", "'=i4'", "'<V2'",
    "[('a', '<f4')]", "__import__('os')", "é",
].map { Array($0.utf8) } + [[0xFF], [0x00], [0xC3], [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]]

func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
    var m = input
    let isZip = m.starts(with: [0x50, 0x4B])
    for _ in 0..<(1 + rng.below(8)) {
        let pos = rng.below(max(m.count, 1))
        switch rng.below(11) {
        case 0: ByteMutations.flipBit(&m, at: pos, &rng)
        case 1: ByteMutations.insertRandomByte(&m, at: pos, &rng)
        case 2: ByteMutations.delete(&m, at: pos)
        case 3: if !m.isEmpty { m[pos] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x20, 0x27, 0x29, 0x2C, 0x7F, 0xFF][rng.below(11)] }
        case 4, 5:  // tokens land in the header, where the literal parser reads them
            let at = isZip ? min(pos, m.count) : min(10 + rng.below(min(max(m.count - 9, 1), 120)), m.count)
            m.insert(contentsOf: tokens[rng.below(tokens.count)], at: at)
        case 6: ByteMutations.duplicateChunk(&m, at: pos, &rng)
        case 7: ByteMutations.splice(&m, at: pos, corpus: corpus, &rng)
        case 8: ByteMutations.truncate(&m, at: pos)
        default: break
        }
    }
    // Usually point the v1 length field at the (mutated) newline that ends the header.
    if !isZip, m.count >= 10, m[6] == 1, rng.below(4) != 0, let nl = m[10...].firstIndex(of: 0x0A) {
        let h = nl + 1 - 10
        m[8] = UInt8(truncatingIfNeeded: h)
        m[9] = UInt8(truncatingIfNeeded: h >> 8)
    }
    return m
}

let commandLine = FuzzCommandLine.parse(program: "npy-header-fuzz", defaultIterations: 200_000)
let (seed, iterations, seconds, corpus) = (commandLine.seed, commandLine.iterations, commandLine.seconds, commandLine.corpus)
CrashSaver.install(path: "fuzz-crash-\(seed).bin")
var rng = SplitMix64(seed: seed)
let start = Date()
var executed = 0, headersParsed = 0, read = 0, archivesRead = 0, roundTrips = 0
var rules: [String: Int] = [:]
for _ in 0..<iterations {
    if Date().timeIntervalSince(start) > seconds { break }
    var mutant = mutate(corpus[rng.below(corpus.count)], corpus: corpus, rng: &rng)
    if mutant.count > CrashSaver.capacity { mutant = Array(mutant.prefix(CrashSaver.capacity)) }
    CrashSaver.arm(mutant)
    let holder = TensorData(copying: mutant)
    do {
        if mutant.starts(with: [0x50, 0x4B]) {
            _ = try withExtendedLifetime(holder) { try NpzReader.load(holder.bytes, path: "mutant.npz") }
            archivesRead += 1
        } else {
            if mutant.count > 10 {
                let h = min(Int(mutant[8]) | Int(mutant[9]) << 8, mutant.count - 10)
                if (try? NpyHeader.parse(UnsafeRawBufferPointer(rebasing: holder.bytes[10..<(10 + h)]), utf8: false)) != nil {
                    headersParsed += 1
                }
            }
            let (first, _) = try NpyReader.array(holder.bytes, name: "x", path: "mutant.npy", owner: holder)
            read += 1
            let image = TensorData(copying: try NpyWriter.header(for: first, path: "rewritten") + first.data.array)
            let (second, notes) = try NpyReader.array(image.bytes, name: "x", path: "rewritten.npy", owner: image)
            guard second == first, notes.isEmpty else {
                print("round trip changed the array or left findings: \(notes.map(\.line))"); CrashSaver.save(); exit(1)
            }
            roundTrips += 1
        }
    } catch let e as PareError {
        rules[e.rule ?? "other", default: 0] += 1
    } catch {
        print("unexpected error type: \(error)"); CrashSaver.save(); exit(1)
    }
    executed += 1
}
CrashSaver.disarm()
let byRule = rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
print("npy-header-fuzz: seed \(seed): \(executed) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s — \(headersParsed) headers parsed, \(read) arrays read (\(roundTrips) round-tripped), \(archivesRead) archives read, refusals by rule: \(byRule); 0 crashes")
