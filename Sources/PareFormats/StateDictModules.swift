import PareCore

/// A state_dict seen as the modules that own its tensors (`layer1.0.conv1.weight` belongs to
/// module `layer1.0.conv1`), classified by what their tensors look like. The order is the order
/// of first appearance, which is PyTorch's module registration order.
struct StateDictModule {
    enum Kind { case conv, linear, batchNorm, other }
    var prefix: String
    var kind: Kind
    var tensors: [String: WeightTensor]
    var weight: WeightTensor? { tensors["weight"] }
    var bias: WeightTensor? { tensors["bias"] }

    static func modules(of set: WeightSet) -> [StateDictModule] {
        var order: [String] = []
        var byPrefix: [String: [String: WeightTensor]] = [:]
        for t in set.tensors {
            let (prefix, leaf) = split(t.name)
            if byPrefix[prefix] == nil { order.append(prefix); byPrefix[prefix] = [:] }
            byPrefix[prefix]![leaf] = t
        }
        return order.map { p in
            let ts = byPrefix[p]!
            let kind: Kind
            if ts["running_mean"] != nil && ts["running_var"] != nil {
                kind = .batchNorm
            } else if let w = ts["weight"], w.shape.count >= 3 {
                kind = .conv
            } else if let w = ts["weight"], w.shape.count == 2 {
                kind = .linear
            } else {
                kind = .other
            }
            return StateDictModule(prefix: p, kind: kind, tensors: ts)
        }
    }

    static func split(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: ".") else { return ("", name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}
