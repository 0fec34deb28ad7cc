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
    public static func scores(_ group: ChannelGroup, criterion: Criterion, model: Model, seed: UInt64) throws -> [Double] {
        var raw: [Double]
        switch criterion {
        case .random:
            var state = seed &+ UInt64(group.id) &* 0x9E37_79B9_7F4A_7C15
            raw = (0..<group.channels).map { _ in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
            }
            return raw
        case .l1, .l2, .bn:
            let members = group.members.filter { criterion == .bn ? ($0.role == .norm && $0.isScored) : $0.isScored }
            guard !members.isEmpty else {
                throw PareError(.usage, place: "group \(group.id) (\(group.members.first?.tensor ?? "?"))",
                                criterion == .bn ? "the group has no BatchNorm scale to rank by" : "the group has no weight to rank by",
                                hint: criterion == .bn ? "use --method l2, or exclude this group" : "use --method random")
            }
            raw = [Double](repeating: 0, count: group.channels)
            for member in members {
                let values = try WeightValues.floats(of: member.tensor, in: model)
                let perPosition = slicesPerPosition(values.values, dims: values.dims, axis: member.axis,
                                                    power: criterion == .l1 || criterion == .bn ? 1 : 2)
                for c in 0..<group.channels {
                    for run in member.positions[c] { for p in run.indices { raw[c] += perPosition[p] } }
                }
            }
            for c in raw.indices { raw[c] /= Double(members.count) }
        }
        let mean = raw.reduce(0, +) / Double(max(raw.count, 1))
        return mean > 0 ? raw.map { $0 / mean } : raw
    }

    /// Σ|w|^power over every slice of `axis`, one value per position on that axis.
    static func slicesPerPosition(_ values: [Float], dims: [Int], axis: Int, power: Int) -> [Double] {
        let extent = dims[axis]
        let inner = dims[(axis + 1)...].reduce(1, *)
        let outer = dims[..<axis].reduce(1, *)
        var sums = [Double](repeating: 0, count: extent)
        for o in 0..<outer {
            for p in 0..<extent {
                let base = (o * extent + p) * inner
                var s = 0.0
                for i in 0..<inner {
                    let v = Double(values[base + i])
                    s += power == 1 ? abs(v) : v * v
                }
                sums[p] += s
            }
        }
        return sums
    }
}

/// A float view of a weight (initializer or Constant value) for scoring.
enum WeightValues {
    static func floats(of name: String, in model: Model) throws -> (values: [Float], dims: [Int]) {
        guard let graph = model.graph else { throw PareError(.invalid, "the model has no graph") }
        let tensor = graph.initializer(named: name)
            ?? graph.nodes.first(where: { $0.op == "Constant" && $0.outputs.first == name })?.attribute("value")?.t
        guard let tensor, let dtype = tensor.dtype, let bytes = tensor.denseBytes() else {
            throw PareError(.unsupported, place: "tensor '\(name)'", "its values cannot be read (external or malformed data)",
                            hint: "run `pare convert MODEL OUT.onnx --inline` first")
        }
        let n = bytes.count
        let raw = bytes.bytes
        let values: [Float]
        switch dtype {
        case .float: values = (0..<(n / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        case .double: values = (0..<(n / 8)).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        case .float16: values = (0..<(n / 2)).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .bfloat16: values = (0..<(n / 2)).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
        default:
            throw PareError(.unsupported, place: "tensor '\(name)'", "magnitude criteria need float weights, not \(dtype)",
                            hint: "use --method random")
        }
        return (values, tensor.dims.map(Int.init))
    }
}
