import PareCore
import PareIR

/// Model-level rules (ONNX-M01..M05) plus the Pare additions about versions and opset lists
/// (ONNX-X17, X21, X22).
extension CheckContext {
    mutating func checkModelRules() {
        let here = "model"
        if irVersion == 0 {
            report("ONNX-M01", .error, at: here, "the model does not have an ir_version set properly",
                   hint: "set ir_version to the IR version the model was written for")
        }
        if irVersion > GeneratedONNX.irVersion {
            report("ONNX-M02", options.allowNewerIR ? .warning : .error, at: here,
                   "ir_version \(irVersion) is newer than the newest IR version Pare knows (\(GeneratedONNX.irVersion))",
                   hint: "upgrade Pare, or pass --allow-newer-ir to check it anyway")
        }
        // onnx only compares keys when there are at least two; an absent key counts as "".
        var keys = Set<String>()
        for entry in model.metadata where !keys.insert(entry.key ?? "").inserted {
            report("ONNX-M03", .error, at: "\(here) → metadata_props", "metadata key '\(entry.key ?? "")' appears more than once",
                   hint: "keep one entry per key")
        }
        modelOpsets = opsetMap(model.opsetImports, at: "\(here) → opset_import")
        if irVersion >= 3 {
            if model.opsetImports.isEmpty {
                report("ONNX-M05", .error, at: here, "a model with IR version ≥ 3 must specify opset_import",
                       hint: "add an opset_import entry for the default domain \"\"")
            }
        } else if model.opsetImports.isEmpty {
            // IR 1 and 2 predate opset_import: the default domain at version 1 is implied.
            modelOpsets[""] = 1
        } else {
            report("ONNX-M05", .error, at: here, "a model with IR version < 3 cannot have opset_import specified",
                   hint: "raise ir_version to 3 or more, or drop opset_import")
        }
        checkOpsetListHygiene(model.opsetImports, at: "\(here) → opset_import")
        checkIRVersionRequirements()
    }

    /// Builds an opset map the way onnx does (raw domain keys, the last entry for a domain wins)
    /// and reports versions that do not fit in int32 (ONNX-M04), which onnx refuses.
    mutating func opsetMap(_ imports: [OpsetImport], at place: String) -> [String: Int64] {
        var map: [String: Int64] = [:]
        for (i, imp) in imports.enumerated() {
            let version = imp.version ?? 0
            if version < Int64(Int32.min) || version > Int64(Int32.max) {
                report("ONNX-M04", .error, at: "\(place) \(i)",
                       "opset version \(version) of domain '\(imp.domain ?? "")' is out of the supported int32 range",
                       hint: "use the real opset version number")
            }
            map[imp.domain ?? ""] = version
        }
        return map
    }

    /// ONNX-X21 (a domain listed twice; onnx silently keeps the last) and ONNX-X22 (version < 1).
    mutating func checkOpsetListHygiene(_ imports: [OpsetImport], at place: String) {
        var seen = Set<String>()
        for (i, imp) in imports.enumerated() {
            if !seen.insert(imp.normalizedDomain).inserted {
                report("ONNX-X21", .warning, at: "\(place) \(i)",
                       "domain '\(imp.domain ?? "")' is imported more than once; onnx uses the last entry",
                       hint: "keep one opset_import entry per domain (\"\" and \"ai.onnx\" are the same domain)")
            }
            if let v = imp.version, v < 1 {
                report("ONNX-X22", .warning, at: "\(place) \(i)", "opset version \(v) of domain '\(imp.domain ?? "")' is below 1",
                       hint: "opset versions start at 1")
            }
        }
    }

    /// ONNX-X17: the IR version must be at least what the imported opsets, the data types and
    /// the features used require (docs: formats §1.6).
    mutating func checkIRVersionRequirements() {
        guard irVersion > 0 else { return }
        var needed: Int64 = 0
        var reason = ""
        func need(_ ir: Int64, _ why: @autoclosure () -> String) {
            if ir > needed { needed = ir; reason = why() }
        }
        let table = GeneratedONNX.minIRForOpset
        for imp in model.opsetImports {
            let d = imp.normalizedDomain, v = imp.version ?? 0
            if let row = table.first(where: { $0.0 == d && $0.1 == v }) {
                need(row.2, "opset \(d.isEmpty ? "ai.onnx" : d) \(v)")
            }
        }
        var types = Set<Int32>()
        model.forEachTensor { t, _ in if let dt = t.dataType { types.insert(dt) } }
        for t in types { if let ir = Self.minIR(dataType: t) { need(ir, "data type \(GeneratedONNX.dataTypes[t] ?? "\(t)")") } }
        if !(model.graph?.sparseInitializers.isEmpty ?? true) { need(6, "sparse initializers") }
        if !model.trainingInfo.isEmpty { need(7, "training_info") }
        if !model.functions.isEmpty { need(8, "model-local functions") }
        if !model.configuration.isEmpty { need(11, "multi-device configuration") }
        if needed > irVersion {
            report("ONNX-X17", strictable, at: "model", "ir_version \(irVersion) is lower than \(reason) requires (IR \(needed))",
                   hint: "set ir_version to \(needed) or more")
        }
    }

    /// The IR version that introduced a data type (formats §1.3); nil for the original types.
    static func minIR(dataType: Int32) -> Int64? {
        switch dataType {
        case 16: 4
        case 17...20: 9
        case 21, 22: 10
        case 23: 11
        case 24: 12
        case 25, 26: 13
        case 27, 28: 14
        default: nil
        }
    }
}
