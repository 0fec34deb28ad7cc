extension Graph {
    /// Calls `body` on every tensor held by this graph or its subgraphs: initializers, sparse
    /// initializers' values and indices, and attribute tensors. `place` names it for messages.
    public mutating func updateTensors(path: String, _ body: (inout Tensor, String) throws -> Void) rethrows {
        for i in initializers.indices {
            try body(&initializers[i], "\(path) → initializer '\(initializers[i].name ?? "")'")
        }
        for i in sparseInitializers.indices {
            try sparseInitializers[i].updateTensors(path: "\(path) → sparse initializer \(i)", body)
        }
        for n in nodes.indices {
            let nodePath = "\(path) → \(nodes[n].label(index: n))"
            try nodes[n].updateTensors(path: nodePath, body)
        }
    }
}

extension Node {
    public mutating func updateTensors(path: String, _ body: (inout Tensor, String) throws -> Void) rethrows {
        for a in attributes.indices {
            try attributes[a].updateTensors(path: "\(path) → attribute '\(attributes[a].name ?? "")'", body)
        }
    }
}

extension Attribute {
    public mutating func updateTensors(path: String, _ body: (inout Tensor, String) throws -> Void) rethrows {
        if t != nil { try body(&t!, path) }
        for i in tensors.indices { try body(&tensors[i], "\(path)[\(i)]") }
        if sparseTensor != nil { try sparseTensor!.updateTensors(path: path, body) }
        for i in sparseTensors.indices { try sparseTensors[i].updateTensors(path: "\(path)[\(i)]", body) }
        if g != nil { try g!.updateTensors(path: "\(path) → graph '\(g!.name ?? "")'", body) }
        for i in graphs.indices { try graphs[i].updateTensors(path: "\(path)[\(i)] → graph '\(graphs[i].name ?? "")'", body) }
    }
}

extension SparseTensor {
    public mutating func updateTensors(path: String, _ body: (inout Tensor, String) throws -> Void) rethrows {
        if values != nil { try body(&values!, "\(path) → values") }
        if indices != nil { try body(&indices!, "\(path) → indices") }
    }
}

extension Model {
    /// Every tensor of the model, wherever it sits: main graph, subgraphs, functions, training info.
    public mutating func updateTensors(_ body: (inout Tensor, String) throws -> Void) rethrows {
        if graph != nil { try graph!.updateTensors(path: "graph '\(graph!.name ?? "")'", body) }
        for f in functions.indices {
            let fp = "function '\(functions[f].name ?? "")'"
            for a in functions[f].attributeDefaults.indices {
                try functions[f].attributeDefaults[a].updateTensors(path: "\(fp) → attribute default \(a)", body)
            }
            for n in functions[f].nodes.indices {
                try functions[f].nodes[n].updateTensors(path: "\(fp) → \(functions[f].nodes[n].label(index: n))", body)
            }
        }
        for t in trainingInfo.indices {
            if trainingInfo[t].initialization != nil {
                try trainingInfo[t].initialization!.updateTensors(path: "training info \(t) → initialization", body)
            }
            if trainingInfo[t].algorithm != nil {
                try trainingInfo[t].algorithm!.updateTensors(path: "training info \(t) → algorithm", body)
            }
        }
    }

    /// Read-only visit of every tensor (see `updateTensors`).
    public func forEachTensor(_ body: (Tensor, String) throws -> Void) rethrows {
        var copy = self
        try copy.updateTensors { t, place in try body(t, place) }
    }
}
