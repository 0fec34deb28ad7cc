import PareCore
import PareIR
import PareONNX

/// ONNX initializers as a weights set, and back.
public enum ONNXWeights {
    /// Every initializer of the main graph with its values (typed fields converted to dense
    /// little-endian bytes, external data resolved). STRING initializers are listed as other values.
    public static func weights(of loaded: LoadedModel) throws -> WeightSet {
        let resolver = ExternalDataResolver(modelPath: loaded.path)
        var set = WeightSet()
        for m in loaded.model.metadata { if let k = m.key { set.metadata[k] = m.value ?? "" } }
        for t in loaded.model.graph?.initializers ?? [] {
            let name = t.name ?? ""
            guard let dtype = t.dtype, dtype != .string else {
                set.otherValues.append((name, "ONNX initializer of type \(t.dtype?.name ?? "\(t.dataType ?? 0)") (not a numeric tensor)"))
                continue
            }
            let place = "initializer '\(name)'"
            let data: TensorData
            if t.isExternal {
                data = try resolver.bytes(of: t, place: place)
            } else if let d = t.denseBytes() {
                data = d
            } else {
                throw PareError(.invalid, file: loaded.path, place: place,
                                "the initializer holds fewer values than its dims \(t.dims) need",
                                hint: "run `pare check` on the model")
            }
            set.tensors.append(WeightTensor(name: name, dtype: dtype, shape: t.dims, data: data))
        }
        return set
    }
}
