import Foundation

/// NumPy-style broadcasting of two shapes, coalesced into as few loop dimensions as possible so
/// the common cases (same shape, scalar, per-channel vector) run as long contiguous inner loops.
public struct Broadcast: Sendable {
    public let outputShape: [Int]
    /// Coalesced loop extents (outermost first) and each operand's element stride per extent
    /// (0 where it is broadcast).
    let extents: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    /// Nil when the shapes cannot broadcast.
    public init?(_ a: [Int], _ b: [Int]) {
        guard let out = Broadcast.shape(a, b) else { return nil }
        outputShape = out
        let rank = out.count
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        let sa = pa.strides, sb = pb.strides
        var ext: [Int] = [], xa: [Int] = [], xb: [Int] = []
        for d in 0..<rank where out[d] != 1 {
            let da = pa[d] == 1 ? 0 : sa[d], db = pb[d] == 1 ? 0 : sb[d]
            // Merge with the previous loop when both operands keep walking contiguously through it.
            if let last = ext.indices.last, xa[last] == da * out[d], xb[last] == db * out[d] {
                ext[last] *= out[d]; xa[last] = da; xb[last] = db
            } else {
                ext.append(out[d]); xa.append(da); xb.append(db)
            }
        }
        if ext.isEmpty { ext = [1]; xa = [0]; xb = [0] }
        extents = ext; stridesA = xa; stridesB = xb
    }

    /// The broadcast result shape, or nil when some dimension pair is neither equal nor 1.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Calls `body(outOffset, aOffset, bOffset, length, aStep, bStep)` for every innermost run.
    @inline(__always)
    public func forEachRun(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let depth = extents.count
        let inner = extents[depth - 1], ia = stridesA[depth - 1], ib = stridesB[depth - 1]
        var index = [Int](repeating: 0, count: depth)
        var offA = 0, offB = 0, out = 0
        let total = outputShape.reduce(1, *)
        if total == 0 { return }
        while true {
            body(out, offA, offB, inner, ia, ib)
            out += inner
            var d = depth - 2
            while d >= 0 {
                index[d] += 1; offA += stridesA[d]; offB += stridesB[d]
                if index[d] < extents[d] { break }
                offA -= stridesA[d] * extents[d]; offB -= stridesB[d] * extents[d]; index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// The operand offsets of every output element in order (for non-float element types).
    public func offsets() -> (a: [Int], b: [Int]) {
        var ra: [Int] = [], rb: [Int] = []
        ra.reserveCapacity(outputShape.reduce(1, *)); rb.reserveCapacity(ra.capacity)
        forEachRun { _, a, b, n, sa, sb in
            for i in 0..<n { ra.append(a + i * sa); rb.append(b + i * sb) }
        }
        return (ra, rb)
    }
}

/// A float binary operation the broadcasting loop is specialized for.
public protocol FloatBinaryOp { static func apply(_ a: Float, _ b: Float) -> Float }
public enum AddOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
public enum SubOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
public enum MulOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
public enum DivOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
public enum PowOp: FloatBinaryOp {
    @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { b == 2 ? a * a : powf(a, b) }
}
public enum MaxOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : max(a, b) } }
public enum MinOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : min(a, b) } }
public enum PReluOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a < 0 ? a * b : a } }
public enum ModOp: FloatBinaryOp { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { fmodf(a, b) } }

public enum Elementwise {
    /// out = op(a, b) with broadcasting; `out` holds `plan.outputShape` elements.
    public static func binary<Op: FloatBinaryOp>(_: Op.Type, _ plan: Broadcast, _ a: UnsafePointer<Float>,
                                                 _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        plan.forEachRun { o, oa, ob, n, sa, sb in
            let y = out + o, x1 = a + oa, x2 = b + ob
            if sa == 1 && sb == 1 {
                for i in 0..<n { y[i] = Op.apply(x1[i], x2[i]) }
            } else if sa == 1 {
                let v = x2[0]
                for i in 0..<n { y[i] = Op.apply(x1[i], v) }
            } else if sb == 1 {
                let v = x1[0]
                for i in 0..<n { y[i] = Op.apply(v, x2[i]) }
            } else {
                for i in 0..<n { y[i] = Op.apply(x1[i * sa], x2[i * sb]) }
            }
        }
    }

    /// The definition: every output index decomposed and mapped back to each operand.
    public static func referenceBinary(_ f: (Float, Float) -> Float, _ aShape: [Int], _ a: [Float],
                                       _ bShape: [Int], _ b: [Float]) -> [Float]? {
        guard let out = Broadcast.shape(aShape, bShape) else { return nil }
        let rank = out.count
        let pa = [Int](repeating: 1, count: rank - aShape.count) + aShape
        let pb = [Int](repeating: 1, count: rank - bShape.count) + bShape
        let so = out.strides, sa = pa.strides, sb = pb.strides
        return (0..<out.reduce(1, *)).map { flat in
            var ia = 0, ib = 0
            for d in 0..<rank {
                let i = (flat / so[d]) % out[d]
                ia += (pa[d] == 1 ? 0 : i) * sa[d]
                ib += (pb[d] == 1 ? 0 : i) * sb[d]
            }
            return f(a[ia], b[ib])
        }
    }
}
