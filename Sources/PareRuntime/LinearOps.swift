import PareEngine
import PareKernels

/// MatMul (NumPy semantics: 1-D promotion, broadcast batch axes) and Gemm, both on OpenBLAS.
enum LinearOps {
    static func matMul(_ call: OpCall) throws -> [DenseTensor] {
        let a = try call.floatInput(0), b = try call.floatInput(1)
        guard a.rank >= 1, b.rank >= 1 else { throw OpFailure("MatMul operands must have rank ≥ 1") }
        let sa = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let sb = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let m = sa[sa.count - 2], k = sa[sa.count - 1], n = sb[sb.count - 1]
        guard sb[sb.count - 2] == k else { throw OpFailure("inner dimensions differ: \(a.shape) × \(b.shape)") }
        let batchA = Array(sa.dropLast(2)), batchB = Array(sb.dropLast(2))
        guard let plan = Broadcast(batchA, batchB) else {
            throw OpFailure("batch axes of \(a.shape) and \(b.shape) do not broadcast")
        }
        var outShape = plan.outputShape + [m, n]
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }
        let y = call.output(outShape)
        let (offA, offB) = plan.offsets()
        let pa = a.pointer, pb = b.pointer, py = y.pointer
        if offA.count > 1, batchB.reduce(1, *) == 1, a.rank > 2 {
            // A stack of matrices times one matrix: a single tall GEMM.
            Gemm.sgemm(m: m * offA.count, n: n, k: k, a: pa, lda: k, b: pb, ldb: n, c: py, ldc: n)
        } else {
            for i in offA.indices {
                Gemm.sgemm(m: m, n: n, k: k, a: pa + offA[i] * m * k, lda: k, b: pb + offB[i] * k * n, ldb: n,
                           c: py + i * m * n, ldc: n)
            }
        }
        return [y]
    }

    static func gemm(_ call: OpCall) throws -> [DenseTensor] {
        let a = try call.floatInput(0), b = try call.floatInput(1)
        guard a.rank == 2, b.rank == 2 else { throw OpFailure("Gemm needs 2-D operands, got \(a.shape) and \(b.shape)") }
        let transA = call.int("transA", 0) == 1, transB = call.int("transB", 0) == 1
        let alpha = call.float("alpha", 1), beta = call.float("beta", 1)
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else { throw OpFailure("inner dimensions differ: A \(a.shape) (transA=\(transA ? 1 : 0)) and B \(b.shape) (transB=\(transB ? 1 : 0))") }
        let y = call.output([m, n])
        var useC = false
        if let c = call.optionalInput(2), beta != 0 {
            guard c.kind == .float32, let plan = Broadcast(c.shape, [m, n]), plan.outputShape == [m, n] else {
                throw OpFailure("C \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            let (offsets, _) = plan.offsets()
            let pc = c.pointer, py = y.pointer
            for i in 0..<m * n { py[i] = pc[offsets[i]] }
            useC = true
        }
        if m == 1 && !transA {
            // One row (batch 1 classifier): y = B'ᵀ·a as a matrix-vector product, split over threads.
            nonisolated(unsafe) let pa = a.pointer, pb = b.pointer, py = y.pointer
            let ldb = b.shape[1], betaUsed: Float = useC ? beta : 0
            call.pool.parallelRanges(n, grain: 256) { r in
                if transB {  // B is n × k: rows r of B times a
                    Gemm.sgemv(rows: r.count, columns: k, alpha: alpha, a: pb + r.lowerBound * ldb, lda: ldb, x: pa,
                               beta: betaUsed, y: py + r.lowerBound)
                } else {     // B is k × n: columns r of B, i.e. Bᵀ rows
                    Gemm.sgemv(transA: true, rows: k, columns: r.count, alpha: alpha, a: pb + r.lowerBound, lda: ldb, x: pa,
                               beta: betaUsed, y: py + r.lowerBound)
                }
            }
        } else {
            Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: a.shape[1],
                       b: b.pointer, ldb: b.shape[1], beta: useC ? beta : 0, c: y.pointer, ldc: n)
        }
        call.activation?.apply(y.pointer, y.count)
        return [y]
    }
}
