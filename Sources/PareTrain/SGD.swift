/// Stochastic gradient descent with the semantics of `torch.optim.SGD` (one parameter group):
/// coupled weight decay added to the gradient, a momentum buffer started as a copy of the first
/// gradient, dampening, and Nesterov's look-ahead. State is keyed by parameter name — the same
/// dotted names as ONNX initializers and state_dict keys — so pruning can slice it with the weights.
public struct SGD: Optimizer {
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool
    public var weightDecay: Float
    /// Momentum buffers by parameter name ("momentum_buffer" in PyTorch's state dict).
    public var momentumBuffers: [String: [Float]] = [:]

    public init(momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws {
        guard momentum >= 0, weightDecay >= 0, dampening >= 0 else {
            throw OptimizerError.invalid("SGD momentum, dampening and weight decay must not be negative")
        }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw OptimizerError.invalid("Nesterov momentum needs a positive momentum and zero dampening (as in PyTorch)")
        }
        self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov; self.weightDecay = weightDecay
    }

    public mutating func step(name: String, parameter: UnsafeMutableBufferPointer<Float>,
                              gradient: UnsafeBufferPointer<Float>, learningRate: Float) {
        precondition(parameter.count == gradient.count, "parameter and gradient of '\(name)' differ in size")
        let n = parameter.count
        if momentum == 0 {
            for i in 0..<n { parameter[i] -= learningRate * (gradient[i] + weightDecay * parameter[i]) }
            return
        }
        var buffer = momentumBuffers.removeValue(forKey: name)
        let first = buffer == nil
        if first { buffer = [Float](repeating: 0, count: n) }
        buffer!.withUnsafeMutableBufferPointer { buf in
            for i in 0..<n {
                let d = weightDecay == 0 ? gradient[i] : gradient[i] + weightDecay * parameter[i]
                buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d
                let update = nesterov ? d + momentum * buf[i] : buf[i]
                parameter[i] -= learningRate * update
            }
        }
        momentumBuffers[name] = buffer
    }

    public var state: [String: [String: [Float]]] {
        momentumBuffers.mapValues { ["momentum_buffer": $0] }
    }

    public mutating func restore(_ state: [String: [String: [Float]]]) {
        momentumBuffers = state.compactMapValues { $0["momentum_buffer"] }
    }
}
