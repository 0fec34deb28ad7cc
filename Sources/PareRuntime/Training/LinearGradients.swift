import PareEngine
import PareKernels

/// Gradients of Gemm and MatMul: each is two more GEMMs.
enum LinearGradients {
    /// Y = α·op(A)·op(B) + β·C.
    static func gemm(_ call: GradientCall) throws -> [DenseTensor?] {
        let a = try call.forward.floatInput(0), b = try call.forward.floatInput(1)
        let transA = call.forward.int("transA", 0) == 1, transB = call.forward.int("transB", 0) == 1
        let alpha = call.forward.float("alpha", 1), beta = call.forward.float("beta", 1)
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let n = transB ? b.shape[0] : b.shape[1]
        let dy = call.outputGradient()
        var result: [DenseTensor?] = [nil, nil]
        if call.needs(0) {
            let da = call.tensor(a.shape)
            if transA {  // dA = α·op(B)·dYᵀ, k × m
                Gemm.sgemm(transA: transB, transB: true, m: k, n: m, k: n, alpha: alpha, a: b.pointer, lda: b.shape[1],
                           b: dy.pointer, ldb: n, c: da.pointer, ldc: m)
            } else {     // dA = α·dY·op(B)ᵀ, m × k
                Gemm.sgemm(transB: !transB, m: m, n: k, k: n, alpha: alpha, a: dy.pointer, lda: n, b: b.pointer,
                           ldb: b.shape[1], c: da.pointer, ldc: k)
            }
            result[0] = da
        }
        if call.needs(1) {
            let db = call.tensor(b.shape)
            if transB {  // dB = α·dYᵀ·op(A), n × k
                Gemm.sgemm(transA: true, transB: transA, m: n, n: k, k: m, alpha: alpha, a: dy.pointer, lda: n, b: a.pointer,
                           ldb: a.shape[1], c: db.pointer, ldc: k)
            } else {     // dB = α·op(A)ᵀ·dY, k × n
                Gemm.sgemm(transA: !transA, m: k, n: n, k: m, alpha: alpha, a: a.pointer, lda: a.shape[1], b: dy.pointer,
                           ldb: n, c: db.pointer, ldc: n)
            }
            result[1] = db
        }
        if let c = call.forward.optionalInput(2) {
            var dc: DenseTensor? = nil
            if call.needs(2) {
                let reduced = BroadcastGradient.reduce(dy, to: c.shape, other: [m, n], operandIsFirst: true, call)
                let scaled = call.tensor(c.shape)
                for i in 0..<c.count { scaled.pointer[i] = beta * reduced.pointer[i] }
                dc = scaled
            }
            result.append(dc)
        }
        return result
    }

    /// NumPy matmul with broadcast batch axes: per batch pair, dA += dY·Bᵀ and dB += Aᵀ·dY,
    /// summed into the operand each pair came from.
    static func matMul(_ call: GradientCall) throws -> [DenseTensor?] {
        let a = try call.forward.floatInput(0), b = try call.forward.floatInput(1)
        guard a.rank >= 2, b.rank >= 2 else { throw OpFailure("the gradient of MatMul needs operands of rank ≥ 2, got \(a.shape) and \(b.shape)") }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        guard let plan = Broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            throw OpFailure("batch axes of \(a.shape) and \(b.shape) do not broadcast")
        }
        let (offA, offB) = plan.offsets()
        let dy = call.outputGradient()
        let da = call.needs(0) ? call.zeros(a.shape) : nil, db = call.needs(1) ? call.zeros(b.shape) : nil
        for i in offA.indices {
            let g = dy.pointer + i * m * n
            if let da {
                Gemm.sgemm(transB: true, m: m, n: k, k: n, a: g, lda: n, b: b.pointer + offB[i] * k * n, ldb: n,
                           beta: 1, c: da.pointer + offA[i] * m * k, ldc: k)
            }
            if let db {
                Gemm.sgemm(transA: true, m: k, n: n, k: m, a: a.pointer + offA[i] * m * k, lda: k, b: g, ldb: n,
                           beta: 1, c: db.pointer + offB[i] * k * n, ldc: n)
            }
        }
        return [da, db]
    }
}
