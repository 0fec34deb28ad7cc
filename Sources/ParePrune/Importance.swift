import PareCore
import PareDepGraph
import PareIR

/// How much each channel of a group matters, by the criteria of `pare prune --method`.
public enum Criterion: String, Sendable, CaseIterable {
    /// Σ|w| over every scored member slice of the channel, averaged over members.
    case l1
    /// Σw² likewise (Torch-Pruning's GroupMagnitudeImportance, p = 2, mean over members).
    case l2
    /// |γ| of the group's BatchNorm scales.
    case bn
    /// Seeded uniform scores.
    case random
}

public enum Importance {
    /// Scores per channel of `group`, divided by their mean (Torch-Pruning's "mean" normaliser),
    /// so groups of different sizes and scales can be ranked together.
    public static func scores(_ group: ChannelGroup, criterion: Criterion, model: Model, seed: UInt64,
                              cache: MagnitudeCache = MagnitudeCache()) throws -> [Double] {
        var raw: [Double]
        switch criterion {
        case .random:
            var random = SeededRandom(seed: seed, stream: UInt64(group.id))
            return (0..<group.channels).map { _ in Double(random.next() >> 11) / Double(UInt64(1) << 53) }
        case .l1, .l2, .bn:
            let members = group.members.filter { criterion == .bn ? ($0.role == .norm && $0.isScored) : $0.isScored }
            guard !members.isEmpty else {
                throw PareError(.usage, place: "group \(group.id) (\(group.members.first?.tensor ?? "?"))",
                                criterion == .bn ? "the group has no BatchNorm scale to rank by" : "the group has no weight to rank by",
                                hint: criterion == .bn ? "use --method l2, or exclude this group" : "use --method random")
            }
            raw = [Double](repeating: 0, count: group.channels)
            for member in members {
                let perPosition = try cache.sums(of: member.tensor, in: model, axis: member.axis, power: criterion == .l2 ? 2 : 1)
                for c in 0..<group.channels {
                    for run in member.positions[c] { for p in run.indices { raw[c] += perPosition[p] } }
                }
            }
            for c in raw.indices { raw[c] /= Double(members.count) }
        }
        let mean = raw.reduce(0, +) / Double(max(raw.count, 1))
        return mean > 0 ? raw.map { $0 / mean } : raw
    }

}

/// Per-position sums computed once per tensor: a conv weight is scored on axis 0 by its output
/// group and on axis 1 by its input group, and one pass over its values yields both.
public final class MagnitudeCache: @unchecked Sendable {
    // Safety: used by one pruning run on one thread, never shared.
    private var table: [String: [[Double]]] = [:]

    public init() {}

    func sums(of name: String, in model: Model, axis: Int, power: Int) throws -> [Double] {
        let key = "\(power):\(name)"
        let both = try table[key] ?? WeightValues.sumsOnFirstAxes(of: name, in: model, power: power)
        table[key] = both
        guard axis < both.count else {
            throw PareError(.invalid, place: "tensor '\(name)'", "internal error: magnitude criteria score axes 0 and 1 only, not \(axis)")
        }
        return both[axis]
    }
}

/// Magnitude sums of a weight (initializer or Constant value), read straight from its bytes.
enum WeightValues {
    /// Σ|w|^power per position of axis 0 and (for rank ≥ 2) of axis 1, in one pass.
    static func sumsOnFirstAxes(of name: String, in model: Model, power: Int) throws -> [[Double]] {
        guard let graph = model.graph else { throw PareError(.invalid, "the model has no graph") }
        let tensor = graph.initializer(named: name)
            ?? graph.nodes.first(where: { $0.op == "Constant" && $0.outputs.first == name })?.attribute("value")?.t
        guard let tensor, let dtype = tensor.dtype, let data = tensor.denseBytes() else {
            throw PareError(.unsupported, place: "tensor '\(name)'", "its values cannot be read (external or malformed data)",
                            hint: "run `pare convert MODEL OUT.onnx --inline` first")
        }
        let dims = tensor.dims.map(Int.init)
        let raw = data.bytes
        let count = dims.reduce(1, *)
        // float32 is read in place when aligned (mapped files usually are); other types are converted once.
        if dtype == .float, let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0,
           raw.count >= 4 * count {
            return sums(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count), dims: dims, power: power)
        }
        let converted: [Float]
        switch dtype {
        case .float: converted = (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        case .double: converted = (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        case .float16: converted = (0..<count).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .bfloat16: converted = (0..<count).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
        default:
            throw PareError(.unsupported, place: "tensor '\(name)'", "magnitude criteria need float weights, not \(dtype)",
                            hint: "use --method random")
        }
        return converted.withUnsafeBufferPointer { sums($0, dims: dims, power: power) }
    }

    static func sums(_ values: UnsafeBufferPointer<Float>, dims: [Int], power: Int) -> [[Double]] {
        guard let rows = dims.first else { return [] }
        let cols = dims.count > 1 ? dims[1] : 1
        let inner = dims.count > 2 ? dims[2...].reduce(1, *) : 1
        var axis0 = [Double](repeating: 0, count: rows), axis1 = [Double](repeating: 0, count: cols)
        var base = 0
        for r in 0..<rows {
            for c in 0..<cols {
                var s: Float = 0
                if power == 1 {
                    for i in base..<(base + inner) { s += abs(values[i]) }
                } else {
                    for i in base..<(base + inner) { s += values[i] * values[i] }
                }
                axis0[r] += Double(s)
                axis1[c] += Double(s)
                base += inner
            }
        }
        return dims.count > 1 ? [axis0, axis1] : [axis0]
    }
}
