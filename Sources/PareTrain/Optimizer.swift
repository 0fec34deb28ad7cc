/// What the training loop needs from an optimizer. Updates are per named parameter, in place;
/// the state is exposed by name so checkpoints can save it and pruning can slice it.
public protocol Optimizer: Sendable {
    mutating func step(name: String, parameter: UnsafeMutableBufferPointer<Float>,
                       gradient: UnsafeBufferPointer<Float>, learningRate: Float)
    /// Parameter name → buffer name → values (PyTorch's names: momentum_buffer, exp_avg, exp_avg_sq).
    var state: [String: [String: [Float]]] { get }
    mutating func restore(_ state: [String: [String: [Float]]])
}

public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let message): message }
    }
}

/// Scales every gradient so that their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` does (norm over all gradients together, ε = 1e-6).
/// Returns the norm before clipping (the training log reports it).
@discardableResult
public func clipGradientNorm(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
    var sum: Double = 0
    for g in gradients { for v in g { sum += Double(v) * Double(v) } }
    let norm = Float(sum.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for g in gradients { for i in g.indices { g[i] *= coefficient } }
    }
    return norm
}
