import PareIR

/// Visits every graph of a model with a location label: the main graph and its subgraphs, the
/// subgraphs inside model-local function bodies, and the training graphs. Rules that look at
/// every graph alike (usage, metadata, unknown fields) share it.
extension Model {
    func forEachGraphEverywhere(_ body: (Graph, String) -> Void) {
        graph?.forEachGraph(body)
        for (i, f) in functions.enumerated() {
            for (n, node) in f.nodes.enumerated() {
                for attr in node.attributes {
                    for sub in attr.subgraphs {
                        sub.forEachGraph { g, p in
                            body(g, "function \(i) '\(f.name ?? "")' → \(node.label(index: n)) → attribute '\(attr.name ?? "")' → \(p)")
                        }
                    }
                }
            }
        }
        for (i, info) in trainingInfo.enumerated() {
            info.initialization?.forEachGraph { g, p in body(g, "training info \(i) → initialization → \(p)") }
            info.algorithm?.forEachGraph { g, p in body(g, "training info \(i) → algorithm → \(p)") }
        }
    }
}
