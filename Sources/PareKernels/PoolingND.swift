/// Max and average pooling over any number of spatial axes (3-D volumes and beyond): the
/// definition, index by index. 2-D and 1-D pools use the faster `Pool2D`.
public struct PoolNDShape: Sendable, Equatable {
    public var planes: Int
    public var size: [Int], kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int], padEnd: [Int]
    public var ceilMode = false

    public init(planes: Int, size: [Int], kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int], padEnd: [Int]) {
        self.planes = planes; self.size = size; self.kernel = kernel; self.strides = strides
        self.dilations = dilations; self.padBegin = padBegin; self.padEnd = padEnd
    }

    public var outSize: [Int] {
        size.indices.map { Pool2DShape.extent(size[$0], kernel[$0], strides[$0], dilations[$0], padBegin[$0], padEnd[$0], ceilMode) }
    }
}

public enum PoolND {
    public static func run(_ s: PoolNDShape, max useMax: Bool, countIncludePad: Bool, _ x: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>) {
        let out = s.outSize, rank = s.size.count
        let inPlane = s.size.reduce(1, *), outPlane = out.reduce(1, *), taps = s.kernel.reduce(1, *)
        let inStrides = s.size.strides
        var o = [Int](repeating: 0, count: rank), k = o
        for p in 0..<s.planes {
            let src = x + p * inPlane
            for flat in 0..<outPlane {
                var rest = flat
                for d in stride(from: rank - 1, through: 0, by: -1) { o[d] = rest % out[d]; rest /= out[d] }
                var best = -Float.infinity, sum: Float = 0, inside = 0, padded = 0
                for t in 0..<taps {
                    var r = t
                    for d in stride(from: rank - 1, through: 0, by: -1) { k[d] = r % s.kernel[d]; r /= s.kernel[d] }
                    var offset = 0, valid = true, withinPadding = true
                    for d in 0..<rank {
                        let i = o[d] * s.strides[d] - s.padBegin[d] + k[d] * s.dilations[d]
                        if i >= s.size[d] + s.padEnd[d] { withinPadding = false }
                        if i < 0 || i >= s.size[d] { valid = false } else { offset += i * inStrides[d] }
                    }
                    if withinPadding { padded += 1 }
                    guard valid else { continue }
                    let v = src[offset]
                    if !(v <= best) { best = v }
                    sum += v
                    inside += 1
                }
                let divisor = countIncludePad ? padded : inside
                y[p * outPlane + flat] = useMax ? best : (divisor > 0 ? sum / Float(divisor) : 0)
            }
        }
    }
}
