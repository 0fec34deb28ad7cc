#if canImport(Glibc)
import Glibc
#endif

/// Adam with decoupled weight decay, as `torch.optim.AdamW` (amsgrad off): the weight decays by
/// lr·λ before the moment update, and both moments are bias-corrected per parameter step count.
public struct AdamW: Optimizer {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var firstMoments: [String: [Float]] = [:]
    public var secondMoments: [String: [Float]] = [:]
    public var steps: [String: Int] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) throws {
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon >= 0, weightDecay >= 0 else {
            throw OptimizerError.invalid("AdamW needs 0 ≤ β1, β2 < 1 and non-negative ε and weight decay")
        }
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public mutating func step(name: String, parameter: UnsafeMutableBufferPointer<Float>,
                              gradient: UnsafeBufferPointer<Float>, learningRate: Float) {
        precondition(parameter.count == gradient.count, "parameter and gradient of '\(name)' differ in size")
        let n = parameter.count
        let t = (steps[name] ?? 0) + 1
        steps[name] = t
        var m = firstMoments.removeValue(forKey: name) ?? [Float](repeating: 0, count: n)
        var v = secondMoments.removeValue(forKey: name) ?? [Float](repeating: 0, count: n)
        let correction1 = 1 - powf(beta1, Float(t))
        let correction2Root = powf(1 - powf(beta2, Float(t)), 0.5)
        let stepSize = learningRate / correction1
        let decay = 1 - learningRate * weightDecay
        for i in 0..<n {
            parameter[i] *= decay
            let g = gradient[i]
            m[i] += (g - m[i]) * (1 - beta1)  // PyTorch's lerp
            v[i] = v[i] * beta2 + (1 - beta2) * g * g
            let denominator = v[i].squareRoot() / correction2Root + epsilon
            parameter[i] -= stepSize * (m[i] / denominator)
        }
        firstMoments[name] = m
        secondMoments[name] = v
    }

    public var state: [String: [String: [Float]]] {
        var out: [String: [String: [Float]]] = [:]
        for (name, m) in firstMoments {
            out[name] = ["exp_avg": m, "exp_avg_sq": secondMoments[name] ?? [], "step": [Float(steps[name] ?? 0)]]
        }
        return out
    }

    public mutating func restore(_ state: [String: [String: [Float]]]) {
        firstMoments = state.compactMapValues { $0["exp_avg"] }
        secondMoments = state.compactMapValues { $0["exp_avg_sq"] }
        steps = state.compactMapValues { $0["step"]?.first.map { Int($0) } }
    }
}
