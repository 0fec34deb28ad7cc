// Seeded mutation fuzzer for the ONNX reader, checker and writer.
//
//   onnx-fuzz [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...
//
// Each iteration takes a corpus model, applies 1–8 structure-aware or byte-level mutations (bit
// flips, byte insert/delete, boundary bytes, varint-length bumps, chunk duplication, splicing with
// another corpus file, truncation), then reads it; what reads is checked and written back. Any
// outcome other than success or a PareError — a trap, a crash, a hang — stops the process, and the
// mutant is saved as fuzz-crash-<seed>-<iteration>.onnx for replay. Deterministic for a seed.
import Foundation
import PareCheck
import PareCore
import PareIR
import PareONNX

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
    var m = input
    for _ in 0..<(1 + rng.below(8)) {
        let pos = rng.below(max(m.count, 1))
        switch rng.below(9) {
        case 0: if !m.isEmpty { m[pos] ^= UInt8(1 << rng.below(8)) }
        case 1: m.insert(UInt8(truncatingIfNeeded: rng.next()), at: min(pos, m.count))
        case 2: if !m.isEmpty { m.remove(at: pos) }
        case 3: if !m.isEmpty { m[pos] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x12, 0x3A][rng.below(8)] }
        case 4: if !m.isEmpty { m[pos] = m[pos] &+ UInt8(1 + rng.below(3)) }  // bump a length or tag
        case 5:  // duplicate a chunk (repeated fields, repeated singular fields)
            let len = min(1 + rng.below(64), m.count - pos)
            if len > 0 { m.insert(contentsOf: m[pos..<(pos + len)], at: pos) }
        case 6:  // splice with another corpus file
            let other = corpus[rng.below(corpus.count)]
            if !other.isEmpty {
                let from = rng.below(other.count)
                let len = min(1 + rng.below(256), other.count - from)
                m.replaceSubrange(pos..<min(pos + len, m.count), with: other[from..<(from + len)])
            }
        case 7: m = Array(m.prefix(pos))  // truncate
        default: if m.count > 4 { m.swapAt(pos, rng.below(m.count)) }
        }
    }
    return m
}

var seed: UInt64 = 1, iterations = 10_000, seconds = Double.infinity
var files: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--seed": seed = UInt64(args.popFirst() ?? "") ?? 1
    case "--iterations": iterations = Int(args.popFirst() ?? "") ?? iterations
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    default: files.append(a)
    }
}
let corpus = files.compactMap { try? [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
guard !corpus.isEmpty else {
    FileHandle.standardError.write("usage: onnx-fuzz [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...\n".data(using: .utf8)!)
    exit(2)
}
var rng = SplitMix64(state: seed)
let outPath = NSTemporaryDirectory() + "onnx-fuzz-\(getpid()).onnx"
let start = Date()
var read = 0, refused = 0, written = 0, executed = 0
for i in 0..<iterations {
    if Date().timeIntervalSince(start) > seconds { break }
    let mutant = mutate(corpus[rng.below(corpus.count)], corpus: corpus, rng: &rng)
    // Saved before running so a crash leaves the input behind; removed when it passes.
    let crashFile = "fuzz-crash-\(seed)-\(i).onnx"
    _ = FileManager.default.createFile(atPath: crashFile, contents: Data(mutant))
    let holder = TensorData(copying: mutant)
    do {
        let loaded = try ONNXReader.read(holder.bytes, path: "mutant.onnx", owner: holder)
        read += 1
        _ = Checker.check(loaded)
        if (try? ONNXWriter.write(loaded.model, to: outPath, resolver: nil)) != nil { written += 1 }
    } catch is PareError {
        refused += 1
    } catch {
        print("unexpected error type: \(error)")
        exit(1)
    }
    try? FileManager.default.removeItem(atPath: crashFile)
    executed += 1
}
try? FileManager.default.removeItem(atPath: outPath)
print("onnx-fuzz: seed \(seed): \(executed) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s — \(read) read (\(written) written back), \(refused) refused with an error, 0 crashes")
