internal import CBLAS

/// Single-precision matrix multiply, row-major: C = alpha·op(A)·op(B) + beta·C, through OpenBLAS.
/// `reference` computes the same naively; tests compare the two.
public enum Gemm {
    /// What one floating-point operation (half a multiply-add) costs in a single-threaded OpenBLAS
    /// sgemm on a current x86 core (about 80 GFLOP/s; 75–100 measured here). Only used to size
    /// thread shares, where an error shifts the balance a little and changes no result.
    public static let nanosecondsPerFlop = 1.0 / 80

    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// y = alpha·op(A)·x + beta·y for a row-major A (rows × columns): one input row through a
    /// fully connected layer, where sgemm's blocking only adds overhead.
    public static func sgemv(transA: Bool = false, rows: Int, columns: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, blasint(rows), blasint(columns), alpha, a, blasint(lda),
                    x, 1, beta, y, 1)
    }

    public static func reference(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Double = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += Double(av) * Double(bv)
                }
                c[i * ldc + j] = alpha * Float(acc) + beta * c[i * ldc + j]
            }
        }
    }

    /// OpenBLAS's build and kernel description (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell"),
    /// reported by `pare version` and benchmarks because the kernel decides GEMM speed.
    public static var backendDescription: String {
        let config = String(cString: openblas_get_config())
        let core = String(cString: openblas_get_corename())
        return "\(config) (kernel: \(core))"
    }
}
