import PareCore
import PareEngine
import PareIR

/// A value the caller must feed: its name, element type and declared dims (nil = free).
public struct GraphInput: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var dims: [Int?]?

    init(_ info: ValueInfo, index: Int) throws {
        name = info.name ?? ""
        guard let tensor = info.type?.tensorInfo, let raw = tensor.elemType, let t = DType(rawValue: raw),
              DenseTensor.kind(of: t) != nil else {
            throw PareError(.unsupported, place: "graph input \(index) '\(name)'",
                            "only tensor inputs of float, integer or bool types can be fed")
        }
        dtype = t
        dims = tensor.shape.map { $0.dims.map { d in d.knownValue.map { Int($0) } } }
    }

    /// The declared shape as text, `?` for free dimensions.
    public var shapeText: String {
        guard let dims else { return "(any rank)" }
        return "[" + dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }

    /// Why `tensor` cannot be fed here, or nil when it can.
    func mismatch(_ tensor: DenseTensor) -> String? {
        if DenseTensor.kind(of: dtype) != tensor.kind {
            return "expects \(dtype.name.lowercased()) data, got \(tensor.kind.rawValue)"
        }
        guard let dims else { return nil }
        let fits = dims.count == tensor.rank && zip(dims, tensor.shape).allSatisfy { $0 == nil || $0! == $1 }
        return fits ? nil : "expects shape \(shapeText), got \(tensor.shape)"
    }
}
