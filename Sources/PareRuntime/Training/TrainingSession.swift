import PareCore
import PareEngine
import PareIR
import PareKernels
import PareONNX

/// One ONNX model prepared for training: its float32 initializers become parameters, every node
/// runs forward in training or evaluation mode, and `backward` walks the nodes in reverse through
/// `GradientRules`. Unlike inference, convolutions are not fused with the BatchNormalization
/// after them: in training mode it needs its own input. The one fusion is a ReLU that is the only
/// reader of a BatchNormalization's, Add's, Conv's or Gemm's output (`rectifiers`): that node
/// writes the ReLU's output instead of its own, saving a pass over the activation and the
/// activation itself. The ReLU's backward pass reads that output as its input (the same sign where
/// it matters, so the same gradient) — or, after a BN, is done by the BN as it reads its gradient.
///
/// Parameters are the float32 initializers (rank ≥ 1) that reach a differentiable input of some
/// node — Conv and Gemm weights and biases, BN scale and bias, MatMul operands, Add/Mul operands.
/// BN running statistics, clip bounds and shape constants are not; running statistics are
/// updated in training mode as PyTorch does (ONNX momentum, unbiased batch variance).
public final class TrainingSession {
    public let modelPath: String
    public let input: GraphInput
    public let outputName: String
    /// Trainable parameters in initializer order; their buffers are updated in place.
    public let parameters: [(name: String, value: DenseTensor)]
    /// BN running statistics (initializer names), updated by training-mode forward passes.
    public let runningStatistics: [String]
    public let context: ExecutionContext
    private let model: Model
    private var constants: [String: DenseTensor]
    private let nodes: [(index: Int, node: Node)]
    /// The nodes that run per step (for re-initialization and diagnostics).
    public var layerNodes: [Node] { nodes.map(\.node) }
    private let requiresGradient: Set<String>
    private let pinned: Set<ObjectIdentifier>
    /// Seeds dropout masks: a mask is a function of (seed, step, node), so resumed runs repeat.
    public var dropoutSeed: UInt64 = 0
    public var step = 0
    /// Node index → index of the Relu that alone reads its output, for the ops that can apply it
    /// (see `rectifierHosts`).
    private let rectifiers: [Int: Int]
    /// Whether training-mode forward passes fuse those pairs (off only to compare: the results are
    /// the same bit for bit, as `FusedRectifierTests` checks).
    public var fusesRectifiers = true

    /// What a forward pass keeps for the backward pass.
    public struct Tape {
        var values: [String: DenseTensor]
        var saved: [Int: [DenseTensor]]
        public let output: DenseTensor
        let training: Bool
        /// Relu nodes fused into the BatchNormalization before them (see `rectifiers`): their
        /// gradient passes straight to the BN, which applies the ReLU's backward pass itself.
        let gatedByNormalization: Set<Int>

        /// The value named `name` as the forward pass computed it (nil when there is none).
        public func value(_ name: String) -> DenseTensor? { values[name] }
    }

    public init(model original: Model, path: String, threads: Int = 1) throws {
        modelPath = path
        let model = UntiedCopies.apply(original)
        self.model = model
        guard let graph = model.graph else { throw PareError(.invalid, file: path, "the model has no graph") }
        context = ExecutionContext(pool: WorkerPool.configured(threads: threads))
        context.weightsAreConstant = false  // SGD updates the weights in place
        context.opset = Int(model.opsetVersion(domain: "") ?? 17)
        try InferenceSession.checkSupport(graph, path: path)
        let inputs = try graph.realInputs.enumerated().map { try GraphInput($0.element, index: $0.offset) }
        guard inputs.count == 1 else {
            throw PareError(.unsupported, file: path, "training needs a model with one input (the image batch); this one has \(inputs.count)",
                            hint: "inputs: \(inputs.map(\.name).joined(separator: ", "))")
        }
        input = inputs[0]
        guard let output = graph.outputs.first?.name, !output.isEmpty else { throw PareError(.invalid, file: path, "the graph has no output") }
        outputName = output

        var constants = try InferenceSession.loadConstants(graph, path: path)
        let ordered = try InferenceSession.topologicalOrder(graph, path: path)
        let floatInitializers = Set(graph.initializers.filter { $0.dtype == .float && $0.dims.count >= 1 }.compactMap(\.name))
        var trainable = Set<String>(), statistics: [String] = []
        for (_, node) in ordered {
            for (i, name) in node.inputs.enumerated() where floatInitializers.contains(name) {
                if GradientRules.isDifferentiable(op: node.op, input: i) { trainable.insert(name) }
                if node.op == "BatchNormalization" && (i == 3 || i == 4) && !statistics.contains(name) { statistics.append(name) }
            }
        }
        if let shared = statistics.first(where: { trainable.contains($0) }) {
            throw PareError(.unsupported, file: path, place: "initializer '\(shared)'",
                            "is both a BatchNormalization running statistic and a trained weight (the exporter merged equal tensors)",
                            hint: "export with do_constant_folding=False, or give the layers distinct values")
        }
        // Nodes that read only non-trainable constants run once, now.
        let foldContext = ExecutionContext(pool: WorkerPool(threads: 1))
        foldContext.opset = context.opset
        var remaining: [(Int, Node)] = []
        for (index, node) in ordered {
            let present = node.inputs.filter { !$0.isEmpty }
            if !present.isEmpty, present.allSatisfy({ constants[$0] != nil && !trainable.contains($0) && !statistics.contains($0) }) {
                let results = try InferenceSession.execute(node, label: node.label(index: index), run: OperatorTable.table[node.op]!,
                                                          inputs: node.inputs.map { $0.isEmpty ? nil : constants[$0] },
                                                          activation: nil, context: foldContext, path: path)
                for (name, value) in zip(node.outputs, results) where !name.isEmpty { constants[name] = value }
            } else {
                remaining.append((index, node))
            }
        }
        nodes = remaining
        self.constants = constants
        parameters = graph.initializers.compactMap { t in
            guard let name = t.name, trainable.contains(name), let value = constants[name] else { return nil }
            return (name, value)
        }
        runningStatistics = statistics
        rectifiers = TrainingSession.rectifierPairs(remaining, graphOutputs: Set(graph.outputs.compactMap(\.name)))
        pinned = Set(constants.values.compactMap { if case .float(let b) = $0.values { ObjectIdentifier(b) } else { nil } })

        // Which values carry a gradient, and which nodes lie between the parameters and the output.
        var carries = trainable
        for (_, node) in remaining {
            let flows = node.inputs.enumerated().contains { carries.contains($0.element) && GradientRules.isDifferentiable(op: node.op, input: $0.offset) }
            if flows && !TrainingSession.blocksGradient(node.op) { carries.formUnion(node.outputs.filter { !$0.isEmpty }) }
        }
        requiresGradient = carries
        guard carries.contains(outputName) else {
            throw PareError(.unsupported, file: path, place: "graph output '\(outputName)'",
                            "no trainable path: no float32 weight reaches the output through differentiable ops",
                            hint: "training needs float32 initializers (weights) feeding the output")
        }
        var missing: [String] = []
        for (index, node) in remaining where GradientRules.table[node.op] == nil && !TrainingSession.blocksGradient(node.op)
            && node.outputs.contains(where: { carries.contains($0) }) {
            missing.append("\(node.label(index: index)): \(node.op)")
        }
        guard missing.isEmpty else {
            throw PareError(.unsupported, file: path, "no gradient rule for \(missing.prefix(5).joined(separator: "; "))"
                            + (missing.count > 5 ? " (and \(missing.count - 5) more)" : ""),
                            hint: "`pare train` differentiates: \(GradientRules.table.keys.sorted().joined(separator: ", "))")
        }
    }

    public convenience init(path: String, threads: Int = 1) throws {
        try self.init(model: try ONNXReader.read(path: path).model, path: path, threads: threads)
    }

    /// The ops with a gradient rule (what `pare train` can differentiate).
    public static var differentiableOps: Set<String> { Set(GradientRules.table.keys) }

    /// Ops that can apply a ReLU to their own output as they write it, in training, and whose
    /// gradient rules do not read their output (which the ReLU replaces).
    static let rectifierHosts: Set<String> = ["BatchNormalization", "Add", "Conv", "Gemm"]

    /// Nodes of `rectifierHosts` whose output only a Relu reads (not a graph output either).
    private static func rectifierPairs(_ nodes: [(Int, Node)], graphOutputs: Set<String>) -> [Int: Int] {
        var readers: [String: [(index: Int, node: Node)]] = [:]
        for (index, node) in nodes { for name in Set(node.inputs) where !name.isEmpty { readers[name, default: []].append((index, node)) } }
        var pairs: [Int: Int] = [:]
        for (index, node) in nodes where rectifierHosts.contains(node.op) {
            guard let out = node.outputs.first, !out.isEmpty, !graphOutputs.contains(out),
                  let only = readers[out], only.count == 1, only[0].node.op == "Relu", only[0].node.inputs == [out] else { continue }
            pairs[index] = only[0].index
        }
        return pairs
    }

    /// Ops whose outputs carry no gradient whatever their inputs (shapes, comparisons, rounding).
    static func blocksGradient(_ op: String) -> Bool {
        ["Shape", "Size", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or",
         "ConstantOfShape", "Range", "Floor", "Ceil", "Round", "Sign", "Cast"].contains(op)
    }

    /// Runs the graph on `batch` (shape checked against the model's input).
    public func forward(_ batch: DenseTensor, training: Bool) throws -> Tape {
        if let problem = input.mismatch(batch) {
            throw PareError(.usage, file: modelPath, place: "input '\(input.name)'", problem)
        }
        var values = constants
        values[input.name] = batch
        var saved: [Int: [DenseTensor]] = [:]
        var fused = Set<Int>(), gating = Set<Int>()
        for (index, node) in nodes {
            if fused.contains(index) {
                values[node.outputs[0]] = values[node.inputs[0]]
                continue
            }
            let label = node.label(index: index)
            let inputs = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            for (i, name) in node.inputs.enumerated() where !name.isEmpty && inputs[i] == nil {
                throw PareError(.invalid, file: modelPath, place: label, "input '\(name)' has no value (it is never produced)")
            }
            let call = OpCall(node: node, inputs: inputs, context: context, activation: nil)
            var results: [DenseTensor]
            do {
                if training && node.op == "BatchNormalization" {
                    let relu = fusesRectifiers ? rectifiers[index] : nil
                    if let relu { fused.insert(relu); gating.insert(relu) }
                    let (y, stats) = try NormGradients.batchNormTrainingForward(call, rectify: relu != nil)
                    saved[index] = stats
                    let updated = try updateRunningStatistics(node, call, batchMean: stats[0], batchVariance: stats[1], count: y.count / y.shape[1])
                    results = [y] + updated
                } else if training && node.op == "Dropout", let (y, mask) = try dropout(call, index: index) {
                    saved[index] = [mask]
                    results = [y]
                } else {
                    let relu = training && fusesRectifiers ? rectifiers[index] : nil
                    results = try InferenceSession.execute(node, label: label, run: OperatorTable.table[node.op]!, inputs: inputs,
                                                          activation: relu == nil ? nil : .relu, context: context, path: modelPath)
                    // Integer tensors take no fused activation: their ReLU runs on its own.
                    if let relu, results.first?.kind == .float32 { fused.insert(relu) }
                }
            } catch let failure as OpFailure {
                throw PareError(.invalid, file: modelPath, place: label, failure.message)
            }
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
        }
        guard let output = values[outputName] else {
            throw PareError(.invalid, file: modelPath, place: "graph output '\(outputName)'", "no value was produced")
        }
        return Tape(values: values, saved: saved, output: output, training: training, gatedByNormalization: gating)
    }

    /// running ← momentum·running + (1 − momentum)·batch statistic, with the unbiased variance
    /// (PyTorch's update; ONNX's momentum is one minus PyTorch's). Returns the node's extra
    /// outputs (running mean and variance) when it declares them.
    private func updateRunningStatistics(_ node: Node, _ call: OpCall, batchMean: DenseTensor, batchVariance: DenseTensor,
                                         count: Int) throws -> [DenseTensor] {
        let momentum = call.float("momentum", 0.9)
        let mean = try call.floatInput(3), variance = try call.floatInput(4)
        let correction = count > 1 ? Float(count) / Float(count - 1) : 1
        for c in 0..<mean.count {
            mean.pointer[c] = momentum * mean.pointer[c] + (1 - momentum) * batchMean.pointer[c]
            variance.pointer[c] = momentum * variance.pointer[c] + (1 - momentum) * batchVariance.pointer[c] * correction
        }
        return node.outputs.count > 1 ? [mean, variance] : []
    }

    /// Inverted dropout with a mask drawn from (seed, step, node); nil when the ratio is 0.
    private func dropout(_ call: OpCall, index: Int) throws -> (DenseTensor, DenseTensor)? {
        let x = try call.floatInput(0)
        var ratio = call.float("ratio", 0.5)
        if let r = call.optionalInput(1) { ratio = try UnaryOps.scalar(r, "ratio") }
        guard ratio > 0 else { return nil }
        guard ratio < 1 else { throw OpFailure("dropout ratio must be below 1, got \(ratio)") }
        var random = SeededRandom(seed: dropoutSeed, stream: 0x4452_4f50, UInt64(step), UInt64(index))
        let mask = DenseTensor(shape: x.shape, buffer: FloatBuffer(capacity: x.count))
        let y = call.output(x.shape)
        let keep = 1 / (1 - ratio), threshold = UInt64(Double(ratio) * 18_446_744_073_709_551_616.0)
        for i in 0..<x.count {
            let m: Float = random.next() >= threshold ? keep : 0
            mask.pointer[i] = m
            y.pointer[i] = x.pointer[i] * m
        }
        return (y, mask)
    }

    /// dL/d(parameter) for every parameter, given dL/d(output) of the tape's forward pass.
    public func backward(_ tape: Tape, outputGradient: DenseTensor) throws -> [DenseTensor] {
        var gradients: [String: DenseTensor] = [outputName: outputGradient]
        var accounts = GradientBuffers(tape: tape, pinned: pinned, outputGradient: outputGradient, recycler: context.buffers)
        for (index, node) in nodes.reversed() {
            let outputGradients = node.outputs.map { gradients[$0] }
            guard outputGradients.contains(where: { $0 != nil }) else { continue }
            let needs = node.inputs.enumerated().map { requiresGradient.contains($0.element) && GradientRules.isDifferentiable(op: node.op, input: $0.offset) }
            guard needs.contains(true), var rule = GradientRules.table[node.op] else { continue }
            if tape.gatedByNormalization.contains(index) { rule = { [$0.outputGradient()] } }
            let inputs = node.inputs.map { $0.isEmpty ? nil : tape.values[$0] }
            let outputs = node.outputs.map { tape.values[$0] ?? DenseTensor(shape: [0], floats: []) }
            let call = GradientCall(forward: OpCall(node: node, inputs: inputs, context: context, activation: nil), outputs: outputs,
                                    outputGradients: outputGradients, needs: needs, saved: tape.saved[index] ?? [])
            let inputGradients: [DenseTensor?]
            do {
                inputGradients = try rule(call)
            } catch let failure as OpFailure {
                throw PareError(.invalid, file: modelPath, place: node.label(index: index), "backward: \(failure.message)")
            }
            // Input gradients are stored before the output gradients are released: a view's
            // input gradient is its output gradient's buffer.
            for (i, g) in inputGradients.enumerated() where i < needs.count && needs[i] {
                guard let g else { continue }
                let name = node.inputs[i]
                guard g.count == inputs[i]?.count else {
                    throw PareError(.invalid, file: modelPath, place: node.label(index: index),
                                    "backward: the gradient of input '\(name)' has shape \(g.shape), the input \(inputs[i]?.shape ?? [])")
                }
                if let existing = gradients[name] {
                    let sum = context.buffers.tensor(existing.shape)
                    GradientSum.add(existing.pointer, g.pointer, into: sum.pointer, count: sum.count)
                    gradients[name] = sum
                    accounts.hold(sum)
                    accounts.release(existing)
                    accounts.releaseIfUnheld(g)
                } else {
                    gradients[name] = g
                    accounts.hold(g)
                }
            }
            for name in node.outputs {
                if let g = gradients.removeValue(forKey: name) { accounts.release(g) }
            }
        }
        return parameters.map { p in
            gradients[p.name].map { $0.reshaped(p.value.shape) } ?? DenseTensor(shape: p.value.shape, floats: [Float](repeating: 0, count: p.value.count))
        }
    }

    /// Hands the buffers of a finished step (activations, gradients) back for the next step.
    public func recycle(_ tape: Tape, _ extra: [DenseTensor] = []) {
        var seen = pinned
        if case .float(let b)? = tape.values[input.name]?.values { seen.insert(ObjectIdentifier(b)) }  // the caller's batch
        for value in Array(tape.values.values) + extra {
            guard case .float(let b) = value.values, !seen.contains(ObjectIdentifier(b)) else { continue }
            seen.insert(ObjectIdentifier(b))
            var buffer: FloatBuffer? = b
            context.buffers.recycle(&buffer)
        }
    }

    /// The current value of a parameter or running statistic.
    public func constant(_ name: String) -> DenseTensor? { constants[name] }

    /// The model with every parameter and running statistic replaced by its current value.
    public func exportModel() -> Model {
        var out = model
        let names = Set(parameters.map(\.name)).union(runningStatistics)
        guard var graph = out.graph else { return out }
        for i in graph.initializers.indices {
            guard let name = graph.initializers[i].name, names.contains(name), let value = constants[name] else { continue }
            var t = Tensor(name: name, type: .float, dims: graph.initializers[i].dims,
                           raw: TensorData(count: 4 * value.count) { raw in
                               raw.copyMemory(from: UnsafeRawBufferPointer(start: value.pointer, count: 4 * value.count))
                           })
            t.docString = graph.initializers[i].docString
            graph.initializers[i] = t
        }
        out.graph = graph
        return out
    }
}
