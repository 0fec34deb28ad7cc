import PareCore
import PareEngine
import PareIR
import PareKernels

/// Why an operator could not run; the executor adds the node's name and op.
public struct OpFailure: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// An activation applied in place to an operator's output (fused into Conv and Gemm at plan time).
public enum FusedActivation: Sendable, Equatable {
    case relu
    case clip(min: Float, max: Float)

    /// The same activation as a kernel epilogue clamp.
    var clamp: Clamp {
        switch self {
        case .relu: .relu
        case .clip(let lo, let hi): Clamp(lo: lo, hi: hi)
        }
    }

    func apply(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .relu: for i in 0..<n { p[i] = max(p[i], 0) }
        case .clip(let lo, let hi): for i in 0..<n { p[i] = min(max(p[i], lo), hi) }
        }
    }
}

/// Everything one operator application sees: the node (attributes), its input values, where to get
/// output buffers, the worker pool, and an activation to apply to the result if one was fused.
public struct OpCall {
    public let node: Node
    public let inputs: [DenseTensor?]
    public let context: ExecutionContext
    public var activation: FusedActivation?

    var pool: WorkerPool { context.pool }

    func input(_ i: Int) throws -> DenseTensor {
        guard i < inputs.count, let t = inputs[i] else { throw OpFailure("input \(i) is missing") }
        return t
    }

    func optionalInput(_ i: Int) -> DenseTensor? { i < inputs.count ? inputs[i] : nil }

    func floatInput(_ i: Int) throws -> DenseTensor {
        let t = try input(i)
        guard t.kind == .float32 else { throw OpFailure("input \(i) ('\(node.inputs[i])') must be float32, got \(t.kind.rawValue)") }
        return t
    }

    /// Integer values of an input (shape, axes, indices …).
    func ints(_ i: Int) throws -> [Int] {
        let t = try input(i)
        guard t.kind != .float32 else { throw OpFailure("input \(i) ('\(node.inputs[i])') must be an integer tensor") }
        return t.int64s.map { Int($0) }
    }

    func int(_ name: String, _ fallback: Int) -> Int { node.int(name).map { Int($0) } ?? fallback }
    func float(_ name: String, _ fallback: Float) -> Float { node.float(name) ?? fallback }
    func ints(_ name: String) -> [Int]? { node.ints(name).map { $0.map { Int($0) } } }
    func string(_ name: String, _ fallback: String) -> String { node.string(name) ?? fallback }

    /// `shape` when its element count is sane, for ops whose output size comes from data
    /// (ConstantOfShape, Range, Expand, Pad, Resize): a hostile file must get an error, not an
    /// allocation that kills the process.
    func checkedShape(_ shape: [Int]) throws -> [Int] {
        var count = 1
        for d in shape {
            guard d >= 0 else { throw OpFailure("negative dimension in \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= OpCall.maxElements else {
                throw OpFailure("an output of shape \(shape) would exceed \(OpCall.maxElements) elements")
            }
            count = product
        }
        return shape
    }

    /// 2³² elements (16 GiB of floats): beyond any model this engine is for.
    static let maxElements = 1 << 32

    /// A float output buffer for `shape`, recycled from a dead value when one fits.
    func output(_ shape: [Int]) -> DenseTensor { context.buffers.tensor(shape) }

    /// Resolves a possibly negative axis against `rank`.
    func axis(_ a: Int, rank: Int, name: String = "axis") throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0 && r < max(rank, 1) else { throw OpFailure("\(name) \(a) is out of range for rank \(rank)") }
        return r
    }
}

/// Shared state of one execution: the worker pool and the recycled float buffers.
public final class ExecutionContext: @unchecked Sendable {
    public let pool: WorkerPool
    public let buffers = BufferRecycler()
    /// The model's default-domain opset: Softmax and a few others changed meaning across versions.
    public var opset = 17
    /// Whether weights stay fixed for the context's lifetime (inference). Transformed weights
    /// (Winograd) are cached by buffer identity only then; a training session changes its weights
    /// in place every step, so it turns this off.
    public var weightsAreConstant = true
    /// The float buffers of the running plan's constants (initializers and folded values). Only
    /// these may key the caches below: any other buffer is recycled from value to value, so the
    /// same buffer can hold different weights at different times.
    var constantBuffers: Set<ObjectIdentifier> = []
    private var scratchBuffer = FloatBuffer(capacity: 0)

    /// Whether weights derived from `w` may be cached: fixed weights, and `w` a plan constant.
    func cachesDerivedWeights(of w: DenseTensor) -> Bool {
        guard weightsAreConstant, case .float(let b) = w.values else { return false }
        return constantBuffers.contains(ObjectIdentifier(b))
    }

    public init(pool: WorkerPool) { self.pool = pool }

    /// Weights derived from a constant weight buffer (Winograd transforms, kernel packings),
    /// computed once per buffer and form: weights are constants of the session, so the buffer's
    /// identity is a stable key (see `cachesDerivedWeights`).
    private struct DerivedKey: Hashable {
        let weights: ObjectIdentifier
        let form: String
    }
    private var derived: [DerivedKey: FloatBuffer] = [:]

    private func derivedWeights(of w: DenseTensor, form: String, _ make: () -> [Float]) -> UnsafePointer<Float> {
        let key = DerivedKey(weights: ObjectIdentifier(w.buffer), form: form)
        if let cached = derived[key] { return UnsafePointer(cached.pointer) }
        let values = make()
        let buffer = FloatBuffer(capacity: values.count)
        values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: values.count) }
        derived[key] = buffer
        return UnsafePointer(buffer.pointer)
    }

    func winogradWeights(_ w: DenseTensor, _ s: Conv2DShape, tile: Winograd.Tile) -> UnsafePointer<Float> {
        derivedWeights(of: w, form: "winograd \(tile.rawValue)") {
            Winograd.transformWeights(w.pointer, outChannels: s.outChannels, inChannels: s.inChannels, tile: tile)
        }
    }

    /// Conv weights reordered for the AVX-512 kernel `Conv2D.forward` picks for `s`.
    func packedConvWeights(_ w: DenseTensor, _ s: Conv2DShape) -> UnsafePointer<Float> {
        derivedWeights(of: w, form: "packed \(s.kernelH)×\(s.kernelW)") { Conv2D.packWeights(s, w.pointer) }
    }

    /// One scratch block, grown to the largest request and reused by every op of every run.
    func scratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        if scratchBuffer.capacity < count { scratchBuffer = FloatBuffer(capacity: count) }
        return scratchBuffer.pointer
    }
}

/// Float buffers of dead values, by capacity, handed to the next output that fits. Keeps the peak
/// memory of a run close to the largest set of simultaneously live activations.
public final class BufferRecycler: @unchecked Sendable {
    private var free: [Int: [FloatBuffer]] = [:]

    func tensor(_ shape: [Int]) -> DenseTensor {
        let n = max(shape.reduce(1, *), 1)
        if var list = free[n], let b = list.popLast() {
            free[n] = list
            return DenseTensor(shape: shape, buffer: b)
        }
        return DenseTensor(shape: shape, buffer: FloatBuffer(capacity: n))
    }

    /// Takes back a buffer nobody else holds.
    func recycle(_ buffer: inout FloatBuffer?) {
        guard let b = buffer else { return }
        buffer = nil
        free[b.capacity, default: []].append(b)
    }

    public func removeAll() { free.removeAll() }
}
