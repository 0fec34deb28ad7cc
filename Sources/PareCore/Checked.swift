/// Overflow-checked arithmetic on sizes taken from files: an overflow is an error, never a trap.
public enum Checked {
    public static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    public static func add(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    /// The element count of a shape: the product of its dims, 1 for a scalar. Nil when a dim is
    /// negative or the product overflows.
    public static func elementCount<S: Sequence>(_ dims: S) -> Int64? where S.Element == Int64 {
        var n: Int64 = 1
        for d in dims {
            guard d >= 0, let next = multiply(n, d) else { return nil }
            n = next
        }
        return n
    }
}
