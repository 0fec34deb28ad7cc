import Foundation

/// Wall-clock latency of repeated runs, as `pare bench` reports it: the median and the 90th
/// percentile in milliseconds (warm-up is the caller's, before this).
struct Latency {
    let median: Double, p90: Double

    static func measure(runs: Int, _ body: () throws -> Void) rethrows -> Latency {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        return Latency(median: median, p90: times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)])
    }
}
