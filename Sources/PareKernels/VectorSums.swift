/// Float sums in SIMD lanes. Swift keeps scalar float additions in source order, so a plain
/// `sum += p[i]` loop runs one add per cycle-latency; sixteen lanes summed at the end are about
/// ten times faster. The order is fixed (lane by lane, then the tail), so results are still
/// deterministic and independent of threads.
enum VectorSums {
    /// Σ p[i].
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD16<Float>(), i = 0
        while i + 16 <= n { lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self); i += 16 }
        var total = lanes.sum()
        while i < n { total += p[i]; i += 1 }
        return total
    }

    /// Σ (p[i] − m)².
    static func squaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, from m: Float) -> Float {
        var lanes = SIMD16<Float>(), i = 0
        let mean = SIMD16<Float>(repeating: m)
        while i + 16 <= n {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self) - mean
            lanes += d * d; i += 16
        }
        var total = lanes.sum()
        while i < n { let d = p[i] - m; total += d * d; i += 1 }
        return total
    }

    /// (Σ g[i], Σ g[i]·(x[i] − m)), with g[i] taken as 0 where `gate` is given and gate[i] is not
    /// positive (a ReLU after the value: see `BatchNormTraining.backward`). The sums are the same,
    /// bit for bit, as without a gate on g already zeroed there.
    static func sumAndCentredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, centre m: Float,
                                 gate: UnsafePointer<Float>? = nil) -> (Float, Float) {
        var sums = SIMD16<Float>(), dots = SIMD16<Float>(), i = 0
        let mean = SIMD16<Float>(repeating: m), zero = SIMD16<Float>()
        while i + 16 <= n {
            var gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
            if let gate { gv = zero.replacing(with: gv, where: UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD16<Float>.self) .> zero) }
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            sums += gv; dots += gv * (xv - mean); i += 16
        }
        var a = sums.sum(), b = dots.sum()
        while i < n {
            let gi = gate.map { $0[i] > 0 ? g[i] : 0 } ?? g[i]
            a += gi; b += gi * (x[i] - m); i += 1
        }
        return (a, b)
    }
}

/// ReLU and its gradient in SIMD lanes, branch-free: a scalar `x > 0 ? g : 0` compiles to a
/// branch per element, which mispredicts on activations of random sign (a tenth of a ResNet
/// training step went there).
public enum Rectifier {
    /// y = max(x, 0), with NaN kept (as `Swift.max(x, 0)` keeps it).
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let zero = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v.replacing(with: zero, where: v .<= zero), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = max(x[i], 0); i += 1 }
    }

    /// dx = dy where x > 0, else 0 (PyTorch passes no gradient at 0 or NaN).
    public static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int) {
        let zero = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: zero.replacing(with: g, where: v .> zero), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { dx[i] = x[i] > 0 ? dy[i] : 0; i += 1 }
    }
}

/// c[i] = a[i] + b[i] in SIMD lanes: where two gradients of one value meet (a residual block's
/// shortcut and body) in the backward pass.
public enum GradientSum {
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 16 <= n {
            let sum = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self) + UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + i).storeBytes(of: sum, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { c[i] = a[i] + b[i]; i += 1 }
    }
}
