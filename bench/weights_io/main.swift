// In-process timing of Pare's safetensors reader, driven by bench/weights_io/safetensors_load.py,
// which times safetensors.numpy.load_file / safetensors.torch.load_file on the same file.
//
//   safetensors-bench FILE REPEATS   → JSON with every time (seconds):
//     "load"        SafetensorsReader.read: map, validate the header, build zero-copy views
//     "load_touch"  the same plus reading one byte of every 4 KiB page of every tensor, i.e. the
//                   cost of actually paging the weights in (what load_file always pays, as it copies)
import Foundation
import PareCore
import PareSafetensors

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Reads one byte per page of every tensor; the sum keeps the reads from being optimised away.
func touchPages(_ set: WeightSet) -> UInt64 {
    var sum: UInt64 = 0
    for t in set.tensors {
        let b = t.data.bytes
        for i in stride(from: 0, to: b.count, by: 4096) { sum &+= UInt64(b[i]) }
    }
    return sum
}

let args = CommandLine.arguments
guard args.count >= 3, let repeats = Int(args[2]), repeats > 0 else {
    FileHandle.standardError.write("usage: safetensors-bench FILE REPEATS\n".data(using: .utf8)!)
    exit(2)
}
do {
    var loads: [Double] = [], touches: [Double] = [], checksum: UInt64 = 0, tensors = 0
    for _ in 0..<repeats {
        // Two fresh reads per repeat, so that the untouched figure never includes page faults
        // taken while touching the previous read's mapping.
        let t0 = now()
        let set = try SafetensorsReader.read(path: args[1])
        loads.append(now() - t0)
        tensors = set.tensors.count
        let t1 = now()
        let again = try SafetensorsReader.read(path: args[1])
        checksum &+= touchPages(again)
        touches.append(now() - t1)
    }
    print("{\"load\": \(loads), \"load_touch\": \(touches), \"tensors\": \(tensors), \"checksum\": \(checksum)}")
} catch {
    FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
    exit(2)
}
