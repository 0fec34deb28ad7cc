// Seeded mutation fuzzer for the ONNX reader, checker and writer.
//
//   onnx-fuzz [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...
//
// Each iteration takes a corpus model, applies 1–8 structure-aware or byte-level mutations (bit
// flips, byte insert/delete, boundary bytes, varint-length bumps, chunk duplication, splicing with
// another corpus file, truncation), then reads it; what reads is checked and written back. Any
// outcome other than success or a PareError — a trap, a crash, a hang — stops the process, and a
// signal handler saves the mutant as fuzz-crash-<seed>.onnx for replay. Deterministic for a seed.
import Foundation
import FuzzSupport
import PareCheck
import PareCore
import PareIR
import PareONNX

func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
    var m = input
    for _ in 0..<(1 + rng.below(8)) {
        let pos = rng.below(max(m.count, 1))
        switch rng.below(9) {
        case 0: ByteMutations.flipBit(&m, at: pos, &rng)
        case 1: ByteMutations.insertRandomByte(&m, at: pos, &rng)
        case 2: ByteMutations.delete(&m, at: pos)
        case 3: if !m.isEmpty { m[pos] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x12, 0x3A][rng.below(8)] }
        case 4: if !m.isEmpty { m[pos] = m[pos] &+ UInt8(1 + rng.below(3)) }  // bump a length or tag
        case 5: ByteMutations.duplicateChunk(&m, at: pos, &rng)  // duplicate a chunk (repeated fields, repeated singular fields)
        case 6: ByteMutations.splice(&m, at: pos, corpus: corpus, &rng)  // splice with another corpus file
        case 7: ByteMutations.truncate(&m, at: pos)
        default: if m.count > 4 { m.swapAt(pos, rng.below(m.count)) }
        }
    }
    return m
}

let commandLine = FuzzCommandLine.parse(program: "onnx-fuzz", defaultIterations: 10_000)
let (seed, iterations, seconds, corpus) = (commandLine.seed, commandLine.iterations, commandLine.seconds, commandLine.corpus)
var rng = SplitMix64(seed: seed)
CrashSaver.install(path: "fuzz-crash-\(seed).onnx")
let outPath = NSTemporaryDirectory() + "onnx-fuzz-\(getpid()).onnx"
let start = Date()
var read = 0, refused = 0, written = 0, executed = 0
for _ in 0..<iterations {
    if Date().timeIntervalSince(start) > seconds { break }
    let mutant = Array(mutate(corpus[rng.below(corpus.count)], corpus: corpus, rng: &rng).prefix(CrashSaver.capacity))
    CrashSaver.arm(mutant)  // a crash or a hang past 10 s saves this input for replay
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
    CrashSaver.disarm()
    executed += 1
}
try? FileManager.default.removeItem(atPath: outPath)
print("onnx-fuzz: seed \(seed): \(executed) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s — \(read) read (\(written) written back), \(refused) refused with an error, 0 crashes")
