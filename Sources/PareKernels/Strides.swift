extension Array where Element == Int {
    /// Row-major element strides of a shape.
    public var strides: [Int] {
        var out = [Int](repeating: 1, count: count)
        var acc = 1
        for i in stride(from: count - 1, through: 0, by: -1) {
            out[i] = acc
            acc *= Swift.max(self[i], 1)
        }
        return out
    }
}
