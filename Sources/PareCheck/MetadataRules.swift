import PareCore
import PareIR

/// ONNX-X20 (duplicate metadata keys below the model level; the model's own are ONNX-M03) and
/// ONNX-X23 (fields this Pare does not know, kept verbatim — a newer writer, or corruption).
extension CheckContext {
    mutating func checkMetadataAndUnknownFields() {
        var duplicates: [(place: String, key: String)] = []
        var unknown: [(place: String, count: Int)] = []
        func keys(_ pairs: [StringPair], _ place: String) {
            var seen = Set<String>()
            for p in pairs {
                if !seen.insert(p.key ?? "").inserted { duplicates.append((place, p.key ?? "")) }
                note(p.unknownFields, place)
            }
        }
        func note(_ fields: [UnknownField], _ place: String) {
            if !fields.isEmpty { unknown.append((place, fields.count)) }
        }
        func type(_ box: ValueTypeBox?, _ place: String) {
            var pending = box.map { [$0] } ?? []
            while let t = pending.popLast() {
                note(t.unknownFields + t.caseUnknownFields, place)
                switch t.kind {
                case .tensor(_, let shape), .sparseTensor(_, let shape):
                    note((shape?.unknownFields ?? []) + (shape?.dims.flatMap(\.unknownFields) ?? []), place)
                case .sequence(let e), .optional(let e): if let e { pending.append(e) }
                case .map(_, let v): if let v { pending.append(v) }
                case .opaque, .none: break
                }
            }
        }
        func values(_ infos: [ValueInfo], _ place: String) {
            for vi in infos {
                let p = "\(place) → value '\(vi.name ?? "")'"
                keys(vi.metadata, p)
                note(vi.unknownFields, p)
                type(vi.type, p)
            }
        }
        func nodes(_ list: [Node], _ place: String) {
            for (i, node) in list.enumerated() {
                let p = "\(place) → \(node.label(index: i))"
                keys(node.metadata, p)
                note(node.unknownFields, p)
                for attr in node.attributes {
                    note(attr.unknownFields, "\(p) → attribute '\(attr.name ?? "")'")
                    for tp in (attr.tp.map { [$0] } ?? []) + attr.typeProtos { type(tp, "\(p) → attribute '\(attr.name ?? "")'") }
                    for s in (attr.sparseTensor.map { [$0] } ?? []) + attr.sparseTensors {
                        note(s.unknownFields, "\(p) → attribute '\(attr.name ?? "")'")
                    }
                }
            }
        }

        note(model.unknownFields, "model")
        for imp in model.opsetImports { note(imp.unknownFields, "model → opset_import") }
        for m in model.metadata { note(m.unknownFields, "model → metadata_props") }
        model.forEachGraphEverywhere { g, path in
            keys(g.metadata, path)
            note(g.unknownFields, path)
            values(g.inputs + g.outputs + g.valueInfo, path)
            nodes(g.nodes, path)
            for s in g.sparseInitializers { note(s.unknownFields, "\(path) → sparse initializer '\(s.values?.name ?? "")'") }
        }
        for (i, f) in model.functions.enumerated() {
            let p = "function \(i) '\(f.name ?? "")'"
            keys(f.metadata, p)
            note(f.unknownFields, p)
            for imp in f.opsetImports { note(imp.unknownFields, "\(p) → opset_import") }
            values(f.valueInfo, p)
            nodes(f.nodes, p)
            for a in f.attributeDefaults { note(a.unknownFields, "\(p) → attribute '\(a.name ?? "")'") }
        }
        for (i, info) in model.trainingInfo.enumerated() { note(info.unknownFields, "training info \(i)") }
        model.forEachTensor { t, place in
            keys(t.metadata, place)
            note(t.unknownFields + (t.externalData.flatMap(\.unknownFields)), place)
        }

        for d in duplicates {
            report("ONNX-X20", .warning, at: d.place, "metadata key '\(d.key)' appears more than once",
                   hint: "keep one entry per key; readers disagree on which one wins")
        }
        if !unknown.isEmpty {
            let total = unknown.reduce(0) { $0 + $1.count }
            let shown = unknown.prefix(3).map(\.place).joined(separator: "; ")
            report("ONNX-X23", .info, at: unknown[0].place,
                   "\(total) unknown field(s) in \(unknown.count) place(s), e.g. \(shown); they are preserved",
                   hint: "written by a newer ONNX version, or the file is damaged")
        }
    }
}
