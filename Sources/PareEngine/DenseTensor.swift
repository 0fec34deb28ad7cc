/// Element types the engine computes with. Floating-point data is float32 throughout (f16, bf16
/// and f64 weights are converted on load); integers are int64 (shapes, indices); booleans come
/// from comparisons and feed `Where`.
public enum ElementKind: String, Sendable {
    case float32, int64, bool
}

/// A heap block of floats the executor can hand from one value to the next when the first dies.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int

    /// Aligned to 64 bytes: one AVX-512 register, one cache line. With malloc's 16-byte
    /// alignment, GEMM and transform loops straddle cache lines depending on where a run's
    /// buffers happen to land, which showed as ±10% swings between otherwise identical runs.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: 4 * self.capacity, alignment: 64)
            .bindMemory(to: Float.self, capacity: self.capacity)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A dense, row-major tensor: the engine's value type.
public struct DenseTensor: @unchecked Sendable {
    public enum Values {
        case float(FloatBuffer)
        case int64([Int64])
        case bool([Bool])
    }

    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], buffer: FloatBuffer) {
        precondition(buffer.capacity >= shape.reduce(1, *))
        self.shape = shape
        values = .float(buffer)
    }

    public init(shape: [Int], floats: [Float]) {
        precondition(floats.count == shape.reduce(1, *))
        let buffer = FloatBuffer(capacity: floats.count)
        floats.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: floats.count) }
        self.init(shape: shape, buffer: buffer)
    }

    public init(shape: [Int], int64s: [Int64]) {
        precondition(int64s.count == shape.reduce(1, *))
        self.shape = shape
        values = .int64(int64s)
    }

    public init(shape: [Int], bools: [Bool]) {
        precondition(bools.count == shape.reduce(1, *))
        self.shape = shape
        values = .bool(bools)
    }

    public var kind: ElementKind {
        switch values {
        case .float: .float32
        case .int64: .int64
        case .bool: .bool
        }
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// The float storage; only for float32 tensors.
    public var buffer: FloatBuffer {
        guard case .float(let b) = values else { preconditionFailure("not a float32 tensor") }
        return b
    }

    public var pointer: UnsafeMutablePointer<Float> { buffer.pointer }

    public var floats: [Float] {
        guard case .float(let b) = values else { return [] }
        return Array(UnsafeBufferPointer(start: b.pointer, count: count))
    }

    /// Integer view of int64 and bool tensors (bool as 0/1); floats are truncated toward zero.
    public var int64s: [Int64] {
        switch values {
        case .int64(let v): return v
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .float(let b): return (0..<count).map { Int64(saturating: Double(b.pointer[$0])) }
        }
    }

    /// The same values under another shape with the same element count (shares float storage).
    public func reshaped(_ newShape: [Int]) -> DenseTensor {
        var t = self
        t.shape = newShape
        return t
    }
}

extension Int64 {
    /// The integer part of `value`, clamped to Int64's range (NaN → 0), where a plain conversion
    /// would trap on data from a file.
    public init(saturating value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.223372036854775e18 { self = .max }
        else if value <= -9.223372036854775e18 { self = .min } else { self = Int64(value) }
    }
}
