import Foundation
import PareCore

/// The upper bound every command puts on --threads. Each engine thread owns its scratch, so an
/// absurd count is an allocation failure rather than a slow run (100,000 threads asked a CIFAR
/// ResNet for 65 GB and aborted); no machine this tool targets has more than a few hundred cores.
enum ThreadLimit {
    static let maximum = 256

    static func check(_ threads: Int) throws {
        guard threads > maximum else { return }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        throw PareError(.usage, "--threads \(threads) is more than the \(maximum) Pare supports",
                        hint: "this machine has \(cores) core(s); pass --threads \(cores) or fewer")
    }
}
