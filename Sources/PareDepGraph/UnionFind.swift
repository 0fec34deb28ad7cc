/// Disjoint sets over atom indices, iterative (no recursion: graphs with millions of atoms must
/// not overflow the stack), with path halving and union by size.
struct UnionFind {
    private var parent: [Int32] = []
    private var size: [Int32] = []

    var count: Int { parent.count }

    /// Adds `n` singleton atoms and returns the index of the first.
    mutating func add(_ n: Int) -> Int {
        let first = parent.count
        parent.append(contentsOf: (first..<(first + n)).map { Int32($0) })
        size.append(contentsOf: repeatElement(1, count: n))
        return first
    }

    mutating func find(_ x: Int) -> Int {
        var x = Int32(x)
        while parent[Int(x)] != x {
            let grand = parent[Int(parent[Int(x)])]
            parent[Int(x)] = grand
            x = grand
        }
        return Int(x)
    }

    mutating func union(_ a: Int, _ b: Int) {
        var ra = find(a), rb = find(b)
        guard ra != rb else { return }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = Int32(ra)
        size[ra] += size[rb]
    }
}
