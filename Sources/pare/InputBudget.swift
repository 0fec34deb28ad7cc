import Foundation
import PareCore

/// A benchmark's generated input must fit in memory. Without this check an absurd --batch or
/// --shape (100,000,000 CIFAR images) ends in an allocation trap instead of an error; an input
/// larger than the machine's memory can never run, so nothing that could succeed is refused.
enum InputBudget {
    static func check(_ shape: [Int], input name: String, bytesPerElement: Int = 4) throws {
        var bytes = bytesPerElement, overflow = false
        for d in shape where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: d) }
        let memory = ProcessInfo.processInfo.physicalMemory
        guard overflow || UInt64(bytes) > memory else { return }
        let need = overflow ? "more bytes than a 64-bit count holds" : gigabytes(UInt64(bytes))
        throw PareError(.usage, place: "input '\(name)'",
                        "a \(shape.map(String.init).joined(separator: "×")) input needs \(need); this machine has \(gigabytes(memory)) of memory",
                        hint: "pass a smaller --batch or --shape")
    }

    private static func gigabytes(_ bytes: UInt64) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
}
