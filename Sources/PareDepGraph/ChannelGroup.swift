/// The result of the dependency analysis that every consumer relies on: `pare groups --json`, the
/// importance criteria, the surgery and (later) OCSPruner. See ../shared/specs/dependency-graph.md §2.4.

/// Positions `start, start + stride, …` (`count` of them) along one axis of a member tensor.
/// Stored as runs because a flatten → Gemm member owns thousands of positions per channel.
public struct PositionRun: Sendable, Hashable, Codable {
    public var start: Int
    public var count: Int
    public var stride: Int

    public init(start: Int, count: Int = 1, stride: Int = 1) {
        self.start = start; self.count = count; self.stride = stride
    }

    /// The positions this run covers, ascending when `stride > 0`.
    public var indices: [Int] { (0..<count).map { start + $0 * stride } }
}

/// How a member takes part in its group (the `role` field of `pare groups --json`).
public enum MemberRole: String, Sendable, Hashable, Codable {
    /// Weight or bias slices that compute the channel (Conv/Gemm output rows, depthwise filters).
    case producer
    /// Weight slices that read the channel to compute something else (Conv/Gemm input columns).
    case consumer
    /// BatchNorm/LayerNorm scale, shift, running mean and variance; PRelu slopes.
    case norm
    /// Per-channel constants of element-wise ops, free-standing parameters, constant indices.
    case other
}

/// One initializer (or Constant value) axis that loses `positions[c]` when group channel `c` goes.
public struct GroupMember: Sendable, Hashable {
    public var tensor: String
    public var axis: Int
    public var role: MemberRole
    /// `positions[c]`: the indices along `axis` that belong to group channel `c`.
    public var positions: [[PositionRun]]
    /// Which input of its op the tensor is (Conv/Gemm: 1 weight, 2 bias; BatchNormalization:
    /// 1 scale, 2 shift, 3 mean, 4 variance), −1 for element-wise constants. Criteria score the
    /// weights and BN scales, as Torch-Pruning does, not biases and statistics.
    public var operand: Int

    public init(tensor: String, axis: Int, role: MemberRole, positions: [[PositionRun]], operand: Int = -1) {
        self.tensor = tensor; self.axis = axis; self.role = role; self.positions = positions; self.operand = operand
    }

    /// True for the tensors magnitude criteria score: layer weights and normalisation scales.
    public var isScored: Bool { operand == 1 }
}

/// A set of coupled channels that can only be removed together, one whole channel at a time.
public struct ChannelGroup: Sendable, Hashable {
    public var id: Int
    public var channels: Int
    public var prunable: Bool
    /// Why the group cannot be pruned (nil when it can): the first frozen atom and its cause.
    public var reason: String?
    public var members: [GroupMember]

    public init(id: Int, channels: Int, prunable: Bool, reason: String?, members: [GroupMember]) {
        self.id = id; self.channels = channels; self.prunable = prunable; self.reason = reason; self.members = members
    }
}
