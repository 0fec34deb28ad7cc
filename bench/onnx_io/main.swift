// In-process timing of Pare's ONNX reader and writer, driven by bench/onnx_io/run.py, which times
// onnx.load / onnx.save on the same file in the same run and prints the ratios.
//
//   onnx-io-bench MODEL REPEATS        → JSON with every load and save time (seconds)
//   onnx-io-bench MODEL --rss          → one load in a fresh process; JSON with peak RSS (bytes)
import Foundation
import PareCore
import PareONNX

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Peak resident set size of this process (VmHWM). Not getrusage's ru_maxrss: on Linux that one
/// keeps the parent's peak across fork+exec, so a child started by a big Python process would
/// report the parent's memory.
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return -1 }
    return kib * 1024
}

/// Reads every weight byte once, so the "load and touch" figure includes paging the data in.
func touchAll(_ loaded: LoadedModel) -> UInt64 {
    var sum: UInt64 = 0
    loaded.model.forEachTensor { t, _ in
        guard let raw = t.rawData else { return }
        raw.bytes.withMemoryRebound(to: UInt64.self) { words in
            for w in stride(from: 0, to: words.count, by: 512) { sum &+= words[w] }  // one word per 4 KiB page
        }
    }
    return sum
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write("usage: onnx-io-bench MODEL REPEATS | MODEL --rss\n".data(using: .utf8)!)
    exit(2)
}
let path = args[1]
do {
    if args[2] == "--rss" {
        let before = peakRSS()
        let loaded = try ONNXReader.read(path: path)
        let afterLoad = peakRSS()
        _ = touchAll(loaded)
        let afterTouch = peakRSS()
        print("{\"rss_before\": \(before), \"rss_after_load\": \(afterLoad), \"rss_after_touch\": \(afterTouch), \"file_bytes\": \(loaded.fileSize)}")
    } else {
        let repeats = Int(args[2]) ?? 5
        var loads: [Double] = [], touches: [Double] = [], saves: [Double] = []
        let out = NSTemporaryDirectory() + "pare-bench-\(getpid()).onnx"
        defer { unlink(out) }
        for _ in 0..<repeats {
            let t0 = now()
            let loaded = try ONNXReader.read(path: path)
            let t1 = now()
            _ = touchAll(loaded)
            let t2 = now()
            loads.append(t1 - t0)
            touches.append(t2 - t0)
            let t3 = now()
            _ = try ONNXWriter.write(loaded.model, to: out, resolver: ExternalDataResolver(modelPath: path))
            saves.append(now() - t3)
        }
        print("{\"load\": \(loads), \"load_touch\": \(touches), \"save\": \(saves)}")
    }
} catch {
    FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
    exit(2)
}
