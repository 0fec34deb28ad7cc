import PareEngine

/// Which float buffers the backward pass's gradients hold, so a gradient's buffer goes back to the
/// recycler as soon as its last holder is consumed — not to free(): at CIFAR sizes a step's
/// gradients are hundreds of MB, and freshly mapped pages cost the kernel a page clear each, which
/// was 17% of a ResNet-56 training step. One buffer can back several gradients (a view's input
/// gradient is its output gradient; Add passes the same gradient to both operands), hence counts.
/// Buffers of the forward pass, the caller's output gradient and the session's constants are never
/// recycled here: their owners recycle them.
struct GradientBuffers {
    private var holders: [ObjectIdentifier: Int] = [:]
    private let foreign: Set<ObjectIdentifier>
    private let recycler: BufferRecycler

    init(tape: TrainingSession.Tape, pinned: Set<ObjectIdentifier>, outputGradient: DenseTensor, recycler: BufferRecycler) {
        var foreign = pinned
        for value in tape.values.values { if let id = Self.id(value) { foreign.insert(id) } }
        for saved in tape.saved.values { for value in saved { if let id = Self.id(value) { foreign.insert(id) } } }
        if let id = Self.id(outputGradient) { foreign.insert(id) }
        self.foreign = foreign
        self.recycler = recycler
    }

    private static func id(_ t: DenseTensor) -> ObjectIdentifier? {
        if case .float(let b) = t.values { ObjectIdentifier(b) } else { nil }
    }

    /// A gradient now stored under a value's name.
    mutating func hold(_ t: DenseTensor) {
        if let id = Self.id(t) { holders[id, default: 0] += 1 }
    }

    /// A stored gradient was consumed; its buffer is recycled when nothing else holds it.
    mutating func release(_ t: DenseTensor) {
        guard let id = Self.id(t), let count = holders[id] else { return }
        if count > 1 { holders[id] = count - 1; return }
        holders[id] = nil
        recycle(t, id)
    }

    /// A temporary gradient that was never stored (added into another one).
    mutating func releaseIfUnheld(_ t: DenseTensor) {
        guard let id = Self.id(t), holders[id] == nil else { return }
        recycle(t, id)
    }

    private func recycle(_ t: DenseTensor, _ id: ObjectIdentifier) {
        guard !foreign.contains(id), case .float(let b) = t.values else { return }
        var buffer: FloatBuffer? = b
        recycler.recycle(&buffer)
    }
}
