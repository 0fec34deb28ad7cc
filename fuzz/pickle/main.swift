// Seeded mutation fuzzer for the pickle machine and the PyTorch checkpoint reader.
//
//   pickle-fuzz [--mode pickle|archive] [--seed N] [--iterations N] [--seconds S] CHECKPOINT...
//   pickle-fuzz --explain FILE...        (prints what Pare makes of each file)
//
// pickle mode mutates the corpus checkpoints' data.pkl programs and runs the symbolic machine on
// them (storages synthesised); archive mode mutates whole checkpoint files and reads them from
// memory, ZIP directory included (half of them with CRCs recomputed, so damage inside records
// reaches the pickle machine and the tensor rebuilder), and every 16th file that reads is written
// back and read again, which must give equal tensors. Any outcome other than success or a PareError — a trap, a crash,
// a hang — stops the process; the input being run is always in pickle-fuzz-current-<seed>.bin, so
// a crash leaves it behind for replay. Deterministic for a seed.
import Foundation
import FuzzSupport
import PareCore
import PareTorch

/// Opcodes the machine knows (accepted and rejected), so mutations reach deep into its states.
let opcodes: [UInt8] = Array(0x28...0x32) + [0x42, 0x43, 0x46, 0x47, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x50, 0x51,
                       0x52, 0x53, 0x54, 0x55, 0x56, 0x58, 0x5D, 0x61, 0x62, 0x63, 0x64, 0x65, 0x67, 0x68, 0x69, 0x6A,
                       0x6C, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x7D] + Array(0x80...0x98)

func mutate(_ input: [UInt8], corpus: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
    var m = input
    for _ in 0..<(1 + rng.below(1 + rng.below(8))) {  // mostly few mutations: deeper states stay reachable
        let pos = rng.below(max(m.count, 1))
        switch rng.below(11) {
        case 0: ByteMutations.flipBit(&m, at: pos, &rng)
        case 1: ByteMutations.insertRandomByte(&m, at: pos, &rng)
        case 2: ByteMutations.delete(&m, at: pos)
        case 3: if !m.isEmpty { m[pos] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x2E, 0x28][rng.below(8)] }
        case 4: if !m.isEmpty { m[pos] = m[pos] &+ UInt8(1 + rng.below(3)) }  // bump a length or an index
        case 5: ByteMutations.duplicateChunk(&m, at: pos, &rng)  // duplicate a chunk (repeated opcodes, repeated entries)
        case 6: ByteMutations.splice(&m, at: pos, corpus: corpus, &rng)  // splice with another corpus input
        case 7: ByteMutations.truncate(&m, at: pos)
        case 8: m.insert(opcodes[rng.below(opcodes.count)], at: min(pos, m.count))
        case 9: if !m.isEmpty { m[pos] = opcodes[rng.below(opcodes.count)] }
        default: if m.count > 4 { m.swapAt(pos, rng.below(m.count)) }
        }
    }
    return m
}

/// Rewrites every entry's CRC-32 (central and local header) to match its mutated data, so
/// mutations inside data.pkl and storages get past ZIP-11 and reach the pickle machine.
func fixCRCs(_ m: inout [UInt8]) {
    guard let dir = (m.withUnsafeBytes { try? ZipDirectory.read($0, path: "mutant") }) else { return }
    var at = dir.centralDirectoryOffset
    func u16(_ i: Int) -> Int { Int(m[i]) | Int(m[i + 1]) << 8 }
    func put32(_ v: UInt32, _ i: Int) { for k in 0..<4 { m[i + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) } }
    for e in dir.entries {
        let crc = m.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[e.dataRange])) }
        put32(crc, at + 16)
        put32(crc, e.localHeaderOffset + 14)
        at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32)
    }
}

func explain(_ files: [String]) {
    for f in files {
        do {
            let c = try TorchCheckpointReader.load(path: f)
            print("\(f): \(c.weights.tensors.count) tensors, \(c.weights.otherValues.count) other values")
            for d in c.diagnostics { print("  \(d.line)") }
        } catch {
            print("\(error)")
        }
    }
}

var seed: UInt64 = 1, iterations = 10_000, seconds = Double.infinity, mode = "pickle"
var files: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--seed": seed = UInt64(args.popFirst() ?? "") ?? 1
    case "--iterations": iterations = Int(args.popFirst() ?? "") ?? iterations
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    case "--mode": mode = args.popFirst() ?? mode
    case "--explain": explain(Array(args)); exit(0)
    default: files.append(a)
    }
}
let corpus: [[UInt8]] = files.compactMap { f in
    mode == "pickle" ? try? TorchPickle.extract(path: f) : try? [UInt8](Data(contentsOf: URL(fileURLWithPath: f)))
}
guard !corpus.isEmpty, mode == "pickle" || mode == "archive" else {
    FileHandle.standardError.write("usage: pickle-fuzz [--mode pickle|archive] [--seed N] [--iterations N] [--seconds S] CHECKPOINT...\n".data(using: .utf8)!)
    exit(2)
}
var rng = SplitMix64(seed: seed)
let current = "pickle-fuzz-current-\(seed).bin"
// One descriptor, rewritten in place each iteration: the page cache keeps the bytes if the process
// dies, without the cost of creating a file per input.
let currentFD = open(current, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
guard currentFD >= 0 else { print("cannot create \(current)"); exit(2) }
let writeBack = NSTemporaryDirectory() + "pickle-fuzz-\(getpid()).pt"
let start = Date()
var read = 0, refused = 0, roundTrips = 0, executed = 0
var slowest = 0.0
var rules: [String: Int] = [:]
for _ in 0..<iterations {
    if Date().timeIntervalSince(start) > seconds { break }
    var mutant = mutate(corpus[rng.below(corpus.count)], corpus: corpus, rng: &rng)
    if mode == "archive", rng.below(2) == 0 { fixCRCs(&mutant) }
    _ = mutant.withUnsafeBytes { pwrite(currentFD, $0.baseAddress, $0.count, 0) }
    _ = ftruncate(currentFD, off_t(mutant.count))
    let began = Date()
    let holder = TensorData(copying: mutant)
    do {
        if mode == "pickle" {
            _ = try TorchPickle.decode(holder.bytes)
        } else {
            let c = try TorchCheckpointReader.load(bytes: holder.bytes, owner: holder, path: "mutant.pt")
            if read % 16 == 0, (try? TorchCheckpointWriter.write(c.weights, to: writeBack)) != nil {
                let back = try TorchCheckpointReader.read(path: writeBack)
                guard back.tensors == c.weights.tensors else {
                    print("round trip changed the tensors; input kept in \(current)")
                    exit(1)
                }
                roundTrips += 1
            }
        }
        read += 1
    } catch let e as PareError {
        refused += 1
        if let rule = e.rule { rules[rule, default: 0] += 1 }
    } catch {
        print("unexpected error type: \(error); input kept in \(current)")
        exit(1)
    }
    slowest = max(slowest, Date().timeIntervalSince(began))
    executed += 1
}
close(currentFD)
try? FileManager.default.removeItem(atPath: current)
try? FileManager.default.removeItem(atPath: writeBack)
let top = rules.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
print("pickle-fuzz \(mode): seed \(seed): \(executed) executions in \(String(format: "%.1f", Date().timeIntervalSince(start))) s — "
      + "\(read) read (\(roundTrips) written back and re-read equal), \(refused) refused with an error, 0 crashes; "
      + "slowest input \(String(format: "%.3f", slowest)) s; refusals by rule: \(top)")
