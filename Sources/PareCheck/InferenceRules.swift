import PareCore
import PareIR

extension CheckContext {
    /// Shape inference over the main graph: its own findings (SHAPE-01..06) and ONNX-X01, type
    /// annotations (`value_info`, graph outputs) that contradict what inference derives.
    /// Without --full-check these are warnings at most — onnx's plain checker does not run
    /// inference — and with it they keep their severity, as onnx's full_check does.
    mutating func checkInferredShapes() {
        guard let graph = model.graph else { return }
        let result = ShapeInference.infer(model: model, options: .init(strict: options.fullCheck))
        for f in result.findings {
            var d = f
            if !options.fullCheck && d.severity == .error { d.severity = .warning }
            diagnostics.append(d)
        }
        let severity: Diagnostic.Severity = options.fullCheck ? .error : .warning
        let graphPath = "graph '\(graph.name ?? "")'"
        let annotated = graph.valueInfo.map { ($0, "value_info") } + graph.outputs.map { ($0, "output") }
        for (info, role) in annotated {
            guard let name = info.name, let annotation = info.type, let inferred = result.types[name] else { continue }
            for c in ShapeInference.contradictions(annotation: annotation, inferred: inferred) {
                report("ONNX-X01", severity, at: "\(graphPath) → \(role) '\(name)'",
                       "the annotation contradicts shape inference (\(c.rule): \(c.message))",
                       hint: "delete the stale annotation or fix the graph; tools that trust it will misbehave")
            }
        }
    }
}
