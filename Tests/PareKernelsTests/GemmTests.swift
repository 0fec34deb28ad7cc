import Testing
@testable import PareKernels

@Suite struct GemmTests {
    /// OpenBLAS against the naive reference on 60 random shapes, all four transpose combinations.
    @Test func openBLASMatchesReference() {
        var seed: UInt64 = 7
        func rand() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        for trial in 0..<60 {
            let m = 1 + Int(rand() % 37), n = 1 + Int(rand() % 41), k = 1 + Int(rand() % 53)
            let ta = trial % 2 == 1, tb = (trial / 2) % 2 == 1
            let a = (0..<(m * k)).map { _ in Float(Int(rand() % 2001) - 1000) / 500 }
            let b = (0..<(k * n)).map { _ in Float(Int(rand() % 2001) - 1000) / 500 }
            var c1 = (0..<(m * n)).map { _ in Float(Int(rand() % 11) - 5) }
            var c2 = c1
            let lda = ta ? m : k, ldb = tb ? k : n
            Gemm.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                       beta: 0.5, c: &c1, ldc: n)
            Gemm.reference(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                           beta: 0.5, c: &c2, ldc: n)
            let worst = EngineKernelTests.maxRelativeError(c1, c2)
            #expect(worst < 1e-4, "m=\(m) n=\(n) k=\(k) transA=\(ta) transB=\(tb)")
        }
    }

    /// The matrix-vector path (batch-1 Gemm) against the same reference with one row or column.
    @Test func gemvMatchesReference() {
        var seed: UInt64 = 11
        func rand() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        for trial in 0..<60 {
            let rows = 1 + Int(rand() % 67), columns = 1 + Int(rand() % 71), trans = trial % 2 == 1
            let a = (0..<(rows * columns)).map { _ in Float(Int(rand() % 2001) - 1000) / 500 }
            let x = (0..<(trans ? rows : columns)).map { _ in Float(Int(rand() % 2001) - 1000) / 500 }
            var y1 = (0..<(trans ? columns : rows)).map { _ in Float(Int(rand() % 11) - 5) }
            var y2 = y1
            Gemm.sgemv(transA: trans, rows: rows, columns: columns, alpha: 0.75, a: a, lda: columns, x: x, beta: 0.5, y: &y1)
            // y = op(A)·x as a GEMM with one output column.
            Gemm.reference(transA: trans, m: trans ? columns : rows, n: 1, k: trans ? rows : columns, alpha: 0.75,
                           a: a, lda: columns, b: x, ldb: 1, beta: 0.5, c: &y2, ldc: 1)
            let worst = EngineKernelTests.maxRelativeError(y1, y2)
            #expect(worst < 1e-4, "rows=\(rows) columns=\(columns) trans=\(trans)")
        }
    }

    @Test func backendIsOpenBLAS() {
        #expect(Gemm.backendDescription.contains("OpenBLAS"))
    }
}
