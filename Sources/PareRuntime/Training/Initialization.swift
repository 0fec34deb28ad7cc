import PareCore
import PareEngine

extension TrainingSession {
    /// Fresh weights as PyTorch initializes a new layer (`--from-scratch`): Conv, Gemm and MatMul
    /// weights and their biases uniform in ±1/√fan_in (kaiming_uniform with a = √5), BN and
    /// LayerNorm scale 1 and bias 0, BN running mean 0 and variance 1. Seeded.
    public func reinitialize(seed: UInt64) {
        var random = SeededRandom(seed: seed, stream: 0x494e_4954)
        func uniform(_ t: DenseTensor, bound: Float) {
            for i in 0..<t.count {
                let unit = Float(Double(random.next() >> 40) / Double(1 << 24))
                t.pointer[i] = (unit * 2 - 1) * bound
            }
        }
        func fill(_ name: String, _ value: Float) {
            if let t = constant(name) { t.pointer.update(repeating: value, count: t.count) }
        }
        let trainable = Set(parameters.map(\.name))
        for node in layerNodes {
            func param(_ i: Int) -> DenseTensor? {
                i < node.inputs.count && trainable.contains(node.inputs[i]) ? constant(node.inputs[i]) : nil
            }
            switch node.op {
            case "Conv", "Gemm", "MatMul":
                guard let w = param(1) else { continue }
                let fanIn: Int
                switch node.op {
                case "Conv": fanIn = w.shape.dropFirst().reduce(1, *)
                case "Gemm": fanIn = node.int("transB") == 1 ? w.shape[1] : w.shape[0]
                default: fanIn = w.shape[w.rank - 2]
                }
                let bound = 1 / Float(max(fanIn, 1)).squareRoot()
                uniform(w, bound: bound)
                if let b = param(2) { uniform(b, bound: bound) }
            case "BatchNormalization":
                if param(1) != nil { fill(node.inputs[1], 1) }
                if param(2) != nil { fill(node.inputs[2], 0) }
                if node.inputs.count > 4 { fill(node.inputs[3], 0); fill(node.inputs[4], 1) }
            case "LayerNormalization":
                if param(1) != nil { fill(node.inputs[1], 1) }
                if param(2) != nil { fill(node.inputs[2], 0) }
            default:
                continue
            }
        }
    }
}
