import PareCore
import PareDepGraph
import PareIR

/// Shapes after the surgery: value_info entries that no longer match inference are dropped (a
/// stale declaration would make the checker reject a correct model), and every pruned feature
/// map must have exactly the width the dependency graph predicted — anything else is a bug in
/// Pare, so nothing is written.
enum StaleShapes {
    static func prune(_ model: Model, file: String?) throws -> [ValueInfo] {
        guard let graph = model.graph else { return [] }
        var bare = model
        bare.graph?.valueInfo = []
        let inferred = ShapeInference.infer(model: bare)
        return graph.valueInfo.filter { info in
            guard let name = info.name, let declared = info.type?.tensorInfo?.shape?.dims else { return true }
            guard let actual = inferred.shape(name)?.dims, actual.count == declared.count else { return false }
            return zip(declared, actual).allSatisfy { d, a in
                guard let dv = d.knownValue, let av = a.knownValue else { return true }
                return dv == av
            }
        }
    }

    static func verify(_ model: Model, kept: [Slot: [Int]], analysis: DependencyAnalysis, file: String?) throws {
        let inferred = ShapeInference.infer(model: model)
        let storages = Set((model.graph?.initializers ?? []).compactMap(\.name))
        for (slot, positions) in kept.sorted(by: { $0.key < $1.key }) where !storages.contains(slot.value) {
            guard let dims = inferred.shape(slot.value)?.dims, slot.axis < dims.count else { continue }
            if let width = dims[slot.axis].knownValue, width != Int64(positions.count) {
                throw PareError(.invalid, file: file, place: "value '\(slot.value)' axis \(slot.axis)",
                                "internal error: after pruning, shape inference gives width \(width) but the dependency graph predicts \(positions.count); nothing was written",
                                hint: "please report this model; `pare groups --explain` shows the group")
            }
        }
    }
}
