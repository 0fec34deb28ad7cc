import Foundation
import PareDepGraph

/// What `pare prune` prints and what `--report` writes.
public enum PruneText {
    public static func summary(_ o: PruneOutcome, input: String, output: String, bytes: Int64, writeSeconds: Double) -> String {
        let kept = widths(o)
        let pruned = kept.filter { $0.after < $0.before }
        let removed = pruned.reduce(0) { $0 + $1.before - $1.after }
        let total = o.analysis.groups.filter(\.prunable).reduce(0) { $0 + $1.channels }
        var lines = ["\(input): pruned \(pruned.count) of \(o.analysis.groups.filter(\.prunable).count) prunable groups, "
                     + "\(removed) of \(total) channels"]
        if let b = o.before.macs, let a = o.after.macs, a > 0 {
            lines.append("MACs:       \(grouped(b)) → \(grouped(a))  (\(ratio(Double(b) / Double(a)))× fewer)")
        }
        lines.append("parameters: \(grouped(o.before.parameters)) → \(grouped(o.after.parameters))  "
                     + "(\(ratio(Double(o.before.parameters) / Double(max(o.after.parameters, 1))))× fewer)")
        let limited = o.notes.filter { o.plan.removals[$0.key] != nil || !$0.value.hasPrefix("frozen") }
        for (id, note) in limited.sorted(by: { $0.key < $1.key }) { lines.append("  group \(id): \(note)") }
        let frozen = o.notes.filter { $0.value.hasPrefix("frozen") }.count
        if frozen > 0 { lines.append("  \(frozen) frozen group(s) kept whole (`pare groups` says why)") }
        let phases = (o.seconds + [("write", writeSeconds)]).map { "\($0.phase) \(ms($0.seconds))" }.joined(separator: ", ")
        lines.append("time: \(phases)")
        lines.append("wrote \(output) (\(bytes) bytes)")
        return lines.joined(separator: "\n")
    }

    struct Width { var group: Int; var root: String; var before: Int; var after: Int }

    static func widths(_ o: PruneOutcome) -> [Width] {
        o.analysis.groups.map { g in
            Width(group: g.id, root: g.members.first { $0.role == .producer }?.tensor ?? g.members.first?.tensor ?? "",
                  before: g.channels, after: g.channels - (o.plan.removals[g.id]?.count ?? 0))
        }
    }

    static func grouped(_ n: Int64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    static func ratio(_ x: Double) -> String { String((x * 100).rounded() / 100) }
    static func ms(_ s: Double) -> String { "\(Int((s * 1000).rounded())) ms" }
}

public enum PruneReport {
    struct Group: Encodable {
        var id: Int; var root: String; var channels_before: Int; var channels_after: Int; var note: String?
    }
    struct Totals: Encodable { var before: Int64?; var after: Int64? }
    struct Document: Encodable {
        var model: String; var output: String; var groups: [Group]; var macs: Totals; var parameters: Totals
        var seconds: [String: Double]
    }

    public static func json(_ o: PruneOutcome, input: String, output: String) throws -> String {
        let doc = Document(model: input, output: output,
                           groups: PruneText.widths(o).map { w in
                               Group(id: w.group, root: w.root, channels_before: w.before, channels_after: w.after, note: o.notes[w.group])
                           },
                           macs: Totals(before: o.before.macs, after: o.after.macs),
                           parameters: Totals(before: o.before.parameters, after: o.after.parameters),
                           seconds: Dictionary(o.seconds.map { ($0.phase, $0.seconds) }, uniquingKeysWith: +))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }
}
