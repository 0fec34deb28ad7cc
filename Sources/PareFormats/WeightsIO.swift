import PareCore
import PareNumPy
import PareONNX
import PareSafetensors
import PareTorch

/// The formats `pare convert` writes weights to.
public enum WeightsFormat: String, CaseIterable, Sendable {
    case safetensors, pytorch, npz

    /// The output format implied by a file name, when `--to` is not given.
    public static func fromExtension(_ path: String) -> WeightsFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".pt") || lower.hasSuffix(".pth") || lower.hasSuffix(".bin") || lower.hasSuffix(".ckpt") { return .pytorch }
        if lower.hasSuffix(".npz") { return .npz }
        return nil
    }
}

/// Reads and writes weights in every supported format; the input format is decided by content.
public enum WeightsIO {
    public static func read(path: String) throws -> (FileFormat, WeightSet) {
        let format = try FormatDetector.detect(path: path)
        switch format {
        case .safetensors: return (format, try SafetensorsReader.read(path: path))
        case .pytorch: return (format, try TorchCheckpointReader.read(path: path))
        case .npz: return (format, try NpzReader.read(path: path))
        case .npy: return (format, try NpyReader.read(path: path))
        case .onnx, .unknown:
            // ONNX has no magic number: try it, and say what the file is not if that fails.
            do {
                return (.onnx, try ONNXWeights.weights(of: try ONNXReader.read(path: path)))
            } catch let e as PareError where format == .unknown {
                throw PareError(.unreadable, file: path, "not a recognised model or weights file (\(e.message))",
                                hint: "Pare reads ONNX, safetensors, PyTorch zip checkpoints, .npy and .npz")
            }
        default:
            throw PareError(.unsupported, file: path, "this is a \(format.displayName), which Pare does not read",
                            hint: "convert it with the tool that made it, or pass a supported file")
        }
    }

    public static func write(_ set: WeightSet, to path: String, format: WeightsFormat) throws {
        switch format {
        case .safetensors: try SafetensorsWriter.write(set, to: path)
        case .pytorch: try TorchCheckpointWriter.write(set, to: path)
        case .npz: try NpzWriter.write(set, to: path)
        }
    }
}
