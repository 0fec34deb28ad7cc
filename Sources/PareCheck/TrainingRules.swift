import PareCore
import PareIR

/// ONNX-X16: training bindings name things that exist. onnx's checker ignores training_info;
/// a binding to a missing initializer or output silently does nothing in a trainer.
extension CheckContext {
    mutating func checkTrainingBindings() {
        guard let main = model.graph else { return }
        let initializers = Set(main.initializers.compactMap(\.name) + main.sparseInitializers.compactMap { $0.values?.name })
        for (i, info) in model.trainingInfo.enumerated() {
            let place = "training info \(i)"
            checkBindings(info.initializationBinding, graph: info.initialization, graphName: "initialization",
                          initializers: initializers, at: "\(place) → initialization_binding")
            checkBindings(info.updateBinding, graph: info.algorithm, graphName: "algorithm",
                          initializers: initializers, at: "\(place) → update_binding")
        }
    }

    private mutating func checkBindings(_ bindings: [StringPair], graph: Graph?, graphName: String,
                                        initializers: Set<String>, at place: String) {
        let outputs = Set((graph?.outputs ?? []).compactMap(\.name))
        for (k, b) in bindings.enumerated() {
            let key = b.key ?? "", value = b.value ?? ""
            if !initializers.contains(key) {
                report("ONNX-X16", .error, at: "\(place) \(k)", "binding key '\(key)' is not an initializer of the main graph",
                       hint: "bind an existing initializer")
            }
            if !outputs.contains(value) {
                report("ONNX-X16", .error, at: "\(place) \(k)", "binding value '\(value)' is not an output of the \(graphName) graph",
                       hint: "bind an output the \(graphName) graph produces")
            }
        }
    }
}
