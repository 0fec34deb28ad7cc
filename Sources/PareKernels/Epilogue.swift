/// What a convolution does to its raw products before they are final: add the channel's bias,
/// add a residual (the shortcut of a ResNet block, when the graph's Add was fused into the conv)
/// and clamp (a fused ReLU or Clip). In that order, so a fused run rounds exactly as the unfused
/// ops would: ((conv + b) + residual), then the clamp.
enum Epilogue {
    /// dst[i] = clamp(source[i] + add + residual[i]) for i < count, sixteen lanes at a time;
    /// `dst` may be `source`. NaN passes the clamp, as the scalar min(max(v, lo), hi) lets it, and
    /// −0 at a lower bound of 0 becomes +0 as there (hence `.<=`).
    @inline(__always)
    static func row(_ dst: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, count: Int, add: Float,
                    residual: UnsafePointer<Float>?, _ clamp: Clamp) {
        let lo = clamp.lo, hi = clamp.hi
        let loLanes = SIMD16<Float>(repeating: lo), hiLanes = SIMD16<Float>(repeating: hi)
        let addLanes = SIMD16<Float>(repeating: add)
        var i = 0
        if let residual {
            while i + 16 <= count {
                let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self) + addLanes
                    + UnsafeRawPointer(residual + i).loadUnaligned(as: SIMD16<Float>.self)
                let raised = v.replacing(with: loLanes, where: v .<= loLanes)
                UnsafeMutableRawPointer(dst + i).storeBytes(of: raised.replacing(with: hiLanes, where: raised .> hiLanes),
                                                            as: SIMD16<Float>.self)
                i += 16
            }
            while i < count { dst[i] = min(max(source[i] + add + residual[i], lo), hi); i += 1 }
        } else {
            while i + 16 <= count {
                let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self) + addLanes
                let raised = v.replacing(with: loLanes, where: v .<= loLanes)
                UnsafeMutableRawPointer(dst + i).storeBytes(of: raised.replacing(with: hiLanes, where: raised .> hiLanes),
                                                            as: SIMD16<Float>.self)
                i += 16
            }
            while i < count { dst[i] = min(max(source[i] + add, lo), hi); i += 1 }
        }
    }
}
