import Dispatch
import PareCore
import PareEngine
import PareIR
import PareKernels
import PareONNX

/// Runs one ONNX model on the engine.
///
/// Loading checks every op before anything runs, converts the weights, evaluates nodes whose
/// inputs are all constants, and applies the exact inference fusions (`Fusion`). The first run
/// for a set of input shapes is a trace: it runs every node and marks which values depend only on
/// constants and shapes (the Shape → Gather → Concat → Reshape chains of exported graphs); those
/// become constants of a plan kept for that shape, so later runs execute only the real work.
/// Float buffers of values past their last reader are recycled for later outputs.
public final class InferenceSession {
    public let inputs: [GraphInput]
    public let outputNames: [String]
    public let context: ExecutionContext
    private let modelPath: String
    private let baseSteps: [Step]
    private let baseConstants: [Int: DenseTensor]
    private let slotCount: Int
    private let slotNames: [String]
    private let inputSlots: [Int]
    private let outputSlots: [Int]
    private var plans: [[[Int]]: ShapePlan] = [:]
    /// When set, every run adds each op type's wall time (ns) and call count here.
    public var profile: [String: (nanoseconds: UInt64, calls: Int)]?
    /// Keys the profile by node (its label) instead of by op type.
    public var profileNodes = false

    /// A plan specialized to one set of input shapes.
    struct ShapePlan {
        var steps: [Step]
        var constants: [Int: DenseTensor]
    }

    /// `path` names the file in errors and locates external data.
    public init(model: Model, path: String, threads: Int = 1) throws {
        modelPath = path
        guard let graph = model.graph else { throw PareError(.invalid, file: path, "the model has no graph") }
        context = ExecutionContext(pool: WorkerPool.configured(threads: threads))
        context.opset = Int(model.opsetVersion(domain: "") ?? 17)

        try InferenceSession.checkSupport(graph, path: path)
        inputs = try graph.realInputs.enumerated().map { try GraphInput($0.element, index: $0.offset) }
        outputNames = graph.outputs.map { $0.name ?? "" }

        var constants = try InferenceSession.loadConstants(graph, path: path)
        var pending: [(node: Node, activation: FusedActivation?)] = []
        let ordered = try InferenceSession.topologicalOrder(graph, path: path)
        // Nodes that read only constants run now, once.
        let foldContext = ExecutionContext(pool: WorkerPool(threads: 1))
        foldContext.opset = context.opset
        for (index, node) in ordered {
            let present = node.inputs.filter { !$0.isEmpty }
            if present.allSatisfy({ constants[$0] != nil }) {
                let label = "\(node.label(index: index))"
                let values = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
                let results = try InferenceSession.execute(node, label: label, run: OperatorTable.table[node.op]!, inputs: values,
                                                          activation: nil, context: foldContext, path: path)
                for (name, value) in zip(node.outputs, results) where !name.isEmpty { constants[name] = value }
            } else {
                pending.append((node, nil))
            }
        }
        var fusion = Fusion(nodes: pending, constants: constants, graphOutputs: Set(outputNames))
        fusion.apply()
        constants = fusion.constants

        // Slots: every name read or written, constants first.
        var slot: [String: Int] = [:]
        var names: [String] = []
        func id(_ name: String) -> Int {
            if let s = slot[name] { return s }
            slot[name] = names.count; names.append(name); return names.count - 1
        }
        var steps: [Step] = []
        for (i, entry) in fusion.nodes.enumerated() {
            let n = entry.node
            steps.append(Step(node: n, label: n.label(index: i), run: OperatorTable.table[n.op]!,
                              inputs: n.inputs.map { $0.isEmpty ? nil : id($0) }, outputs: n.outputs.map { id($0) },
                              activation: entry.activation))
        }
        inputSlots = inputs.map { id($0.name) }
        outputSlots = outputNames.map { id($0) }
        var constantSlots: [Int: DenseTensor] = [:]
        for (name, value) in constants where slot[name] != nil { constantSlots[slot[name]!] = value }
        baseSteps = steps
        baseConstants = constantSlots
        slotCount = names.count
        slotNames = names
        for (k, o) in outputSlots.enumerated() where constantSlots[o] == nil && !steps.contains(where: { $0.outputs.contains(o) })
            && !inputSlots.contains(o) {
            throw PareError(.invalid, file: path, place: "graph output '\(outputNames[k])'", "no node produces it")
        }
    }

    /// Loads a model file and prepares it.
    public convenience init(path: String, threads: Int = 1) throws {
        let loaded = try ONNXReader.read(path: path)
        try self.init(model: loaded.model, path: path, threads: threads)
    }

    /// Runs the model. `feeds` must hold every graph input, with matching element type and shape.
    public func run(_ feeds: [String: DenseTensor]) throws -> [String: DenseTensor] {
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) {
            throw PareError(.usage, file: modelPath, place: "input '\(name)'",
                            "the model has no such input", hint: "its inputs are: \(inputs.map(\.name).joined(separator: ", "))")
        }
        var shapes: [[Int]] = []
        for input in inputs {
            guard let t = feeds[input.name] else {
                throw PareError(.usage, file: modelPath, place: "input '\(input.name)'", "missing",
                                hint: "pass --input \(input.name)=FILE (shape \(input.shapeText), \(input.dtype.name.lowercased()))")
            }
            if let problem = input.mismatch(t) {
                throw PareError(.usage, file: modelPath, place: "input '\(input.name)'", problem)
            }
            shapes.append(t.shape)
        }
        if let plan = plans[shapes] {
            return try execute(plan, feeds: feeds, trace: false).outputs
        }
        let traced = try execute(ShapePlan(steps: baseSteps, constants: baseConstants), feeds: feeds, trace: true)
        plans[shapes] = traced.folded
        return traced.outputs
    }

    /// How many nodes run per inference for the given input shapes (after folding and fusion),
    /// or nil before the first run with those shapes.
    public func stepCount(for shapes: [[Int]]) -> Int? { plans[shapes]?.steps.count }

    private func execute(_ plan: ShapePlan, feeds: [String: DenseTensor], trace: Bool)
        throws -> (outputs: [String: DenseTensor], folded: ShapePlan?) {
        var slots = [DenseTensor?](repeating: nil, count: slotCount)
        var pinned = Set<ObjectIdentifier>()
        var live: [ObjectIdentifier: Int] = [:]
        var isStatic = [Bool](repeating: false, count: trace ? slotCount : 0)
        context.constantBuffers = Set(plan.constants.values.compactMap {
            if case .float(let b) = $0.values { ObjectIdentifier(b) } else { nil }
        })
        for (s, value) in plan.constants {
            slots[s] = value
            if case .float(let b) = value.values { pinned.insert(ObjectIdentifier(b)) }
            if trace { isStatic[s] = true }
        }
        for (input, s) in zip(inputs, inputSlots) {
            slots[s] = feeds[input.name]
            if case .float(let b) = feeds[input.name]!.values { pinned.insert(ObjectIdentifier(b)) }
        }
        let keep = Set(outputSlots)
        let lastReader = InferenceSession.lastReaders(plan.steps, slotCount: slotCount)
        var dynamicSteps: [Step] = []
        for (k, step) in plan.steps.enumerated() {
            let values = step.inputs.map { $0.flatMap { slots[$0] } }
            for (i, s) in step.inputs.enumerated() where s != nil && values[i] == nil {
                throw PareError(.invalid, file: modelPath, place: step.label, "input '\(slotNames[s!])' has no value (it is never produced)")
            }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let results = try InferenceSession.execute(step.node, label: step.label, run: step.run, inputs: values,
                                                      activation: step.activation, context: context, path: modelPath)
            if profile != nil {
                let key = profileNodes ? step.label : step.node.op + (step.activation == nil ? "" : "+act")
                let entry = profile![key] ?? (0, 0)
                profile![key] = (entry.nanoseconds + DispatchTime.now().uptimeNanoseconds - started, entry.calls + 1)
            }
            for (s, value) in zip(step.outputs, results) {
                slots[s] = value
                if case .float(let b) = value.values { live[ObjectIdentifier(b), default: 0] += 1 }
            }
            if trace {
                let staticNode = step.node.op == "Shape" || step.node.op == "Size"
                    || step.inputs.allSatisfy { $0 == nil || isStatic[$0!] }
                if staticNode { for s in step.outputs { isStatic[s] = true } } else { dynamicSteps.append(step) }
            }
            // Release values whose last reader this was (never constants, feeds, outputs or traced statics).
            for s in Set(step.inputs.compactMap { $0 }) where lastReader[s] == k && !keep.contains(s) && !(trace && isStatic[s]) {
                release(s, &slots, &live, pinned)
            }
        }
        var outputs: [String: DenseTensor] = [:]
        for (name, s) in zip(outputNames, outputSlots) {
            guard let value = slots[s] else {
                throw PareError(.invalid, file: modelPath, place: "graph output '\(name)'", "no value was produced")
            }
            outputs[name] = value
        }
        // Recycle whatever intermediate is still held (values nobody read), keeping outputs intact.
        for s in 0..<slotCount where slots[s] != nil && !keep.contains(s) && plan.constants[s] == nil && !(trace && isStatic[s]) {
            release(s, &slots, &live, pinned.union(outputs.values.compactMap {
                if case .float(let b) = $0.values { return ObjectIdentifier(b) } else { return nil } }))
        }
        guard trace else { return (outputs, nil) }
        var constants = plan.constants
        for s in 0..<slotCount where isStatic[s] {
            if let v = slots[s] { constants[s] = v }
        }
        // Statics still read by a dynamic step, or returned, are the new plan's constants.
        var needed = Set(dynamicSteps.flatMap { $0.inputs.compactMap { $0 } })
        needed.formUnion(outputSlots)
        constants = constants.filter { needed.contains($0.key) }
        return (outputs, ShapePlan(steps: dynamicSteps, constants: constants))
    }

    private func release(_ s: Int, _ slots: inout [DenseTensor?], _ live: inout [ObjectIdentifier: Int],
                         _ pinned: Set<ObjectIdentifier>) {
        guard let value = slots[s] else { return }
        slots[s] = nil
        guard case .float(let b) = value.values else { return }
        let key = ObjectIdentifier(b)
        live[key, default: 1] -= 1
        if live[key]! <= 0 && !pinned.contains(key) {
            live[key] = nil
            var buffer: FloatBuffer? = b
            context.buffers.recycle(&buffer)
        }
    }

    static func lastReaders(_ steps: [Step], slotCount: Int) -> [Int] {
        var last = [Int](repeating: -1, count: slotCount)
        for (k, step) in steps.enumerated() { for s in step.inputs.compactMap({ $0 }) { last[s] = k } }
        return last
    }

    static func execute(_ node: Node, label: String, run: OperatorTable.Run, inputs: [DenseTensor?],
                        activation: FusedActivation?, context: ExecutionContext, path: String) throws -> [DenseTensor] {
        let call = OpCall(node: node, inputs: inputs, context: context, activation: activation)
        let results: [DenseTensor]
        do {
            results = try run(call)
        } catch let failure as OpFailure {
            let shapes = inputs.map { $0.map { "\($0.shape)" } ?? "-" }.joined(separator: ", ")
            throw PareError(.invalid, file: path, place: label, "\(failure.message) (input shapes: \(shapes))")
        } catch let error as PareError {
            throw PareError(error.kind, file: path, place: label, error.message, hint: error.hint)
        }
        let wanted = node.outputs.count
        guard results.count >= wanted || node.op == "Dropout" else {
            throw PareError(.invalid, file: path, place: label, "produced \(results.count) outputs, the node names \(wanted)")
        }
        return Array(results.prefix(wanted))
    }
}
