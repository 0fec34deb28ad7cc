import PareCore
import PareDepGraph
import PareIR

/// Physical channel removal (dependency-graph.md §6): slices every member tensor, rewrites the
/// shape constants and attributes that encode pruned widths, drops stale value_info, and checks
/// that shape inference of the result gives exactly the widths the dependency graph predicts.
/// Node order, names, opsets, metadata and untouched tensors stay as they were.
public enum Surgery {
    public static func apply(_ plan: PrunePlan, to model: Model, analysis: DependencyAnalysis,
                             file: String? = nil) throws -> Model {
        try PlanValidation.validate(plan, groups: analysis.groups, file: file)
        let kept = analysis.keptPositions(removing: plan.removals)
        guard !kept.isEmpty, var graph = model.graph else { return model }

        // 1. Slice member storages (initializers and Constant node values), all axes at once.
        var keepByStorage: [String: [Int: [Int]]] = [:]
        for (slot, positions) in kept { keepByStorage[slot.value, default: [:]][slot.axis] = positions }
        var edits = TensorEdits(graph: graph, file: file)
        for (storage, keep) in keepByStorage where edits.has(storage) {
            try edits.update(storage) { try TensorSlicing.slice($0, keep: keep, file: file) }
        }

        // 2. Shape constants and attributes that follow the new widths.
        func newExtent(_ slot: Slot) -> Int? { kept[slot]?.count ?? analysis.extent(of: slot) }
        for rewrite in analysis.rewrites {
            switch rewrite {
            case let .shapeEntry(storage, entry, slot, divisor):
                guard let positions = kept[slot] else { continue }
                try edits.setEntry(storage, entry, Int64(positions.count / divisor))
            case let .convGroup(node, slot):
                guard let positions = kept[slot] else { continue }
                edits.setIntAttribute(node: node, "group", Int64(positions.count))
            case let .splitSizes(node, outputs):
                guard outputs.contains(where: { kept[$0] != nil }) else { continue }
                let sizes = try outputs.map { slot -> Int64 in
                    guard let n = newExtent(slot) else {
                        throw PareError(.invalid, file: file, "internal error: unknown width of Split output '\(slot.value)'")
                    }
                    return Int64(n)
                }
                try edits.setSplitSizes(node: node, sizes)
            case let .sliceBounds(start, end, oldStart, input, output):
                guard kept[input] != nil || kept[output] != nil else { continue }
                let newStart = kept[input].map { $0.filter { $0 < oldStart }.count } ?? oldStart
                try edits.setEntry(start.storage, start.index, Int64(newStart))
                if let end, let width = newExtent(output) { try edits.setEntry(end.storage, end.index, Int64(newStart + width)) }
            }
        }
        graph = edits.graph
        // IR 3 files list initializers among the graph inputs too: their declared shapes follow.
        for i in graph.inputs.indices {
            guard let name = graph.inputs[i].name, keepByStorage[name] != nil,
                  let t = graph.initializer(named: name), let elem = graph.inputs[i].type?.tensorInfo?.elemType else { continue }
            graph.inputs[i].type = .tensor(elem, Shape(known: t.dims))
        }

        // 3. value_info that described old widths goes; inference describes the new ones.
        let changed = Set(kept.keys.map(\.value))
        graph.valueInfo.removeAll { changed.contains($0.name ?? "") }
        var result = model
        result.graph = graph
        let fresh = try StaleShapes.prune(result, file: file)
        result.graph?.valueInfo = fresh
        try StaleShapes.verify(result, kept: kept, analysis: analysis, file: file)
        return result
    }
}
