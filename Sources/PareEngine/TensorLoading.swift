import PareCore
import PareIR

extension DenseTensor {
    /// Converts a stored ONNX tensor (initializer, Constant value, .pb file) to the engine's types:
    /// every floating type to float32, every integer type to int64, BOOL to bool.
    /// `place` names the tensor in errors.
    public init(_ tensor: PareIR.Tensor, place: String) throws {
        guard let dtype = tensor.dtype else {
            throw PareError(.invalid, place: place, "unknown data type \(tensor.dataType.map(String.init) ?? "none")")
        }
        guard !tensor.isExternal else {
            throw PareError(.unsupported, place: place, "its values live in an external file that was not loaded",
                            hint: "keep the .data file beside the model, or run `pare convert MODEL OUT.onnx --inline`")
        }
        guard let data = tensor.denseBytes() else {
            throw PareError(.invalid, place: place, "the stored values do not match its \(tensor.dims) shape")
        }
        let shape = tensor.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw PareError(.invalid, place: place, "negative dimension in \(shape)") }
        let n = shape.reduce(1, *)
        let raw = data.bytes
        func load<T>(_ type: T.Type, _ size: Int, _ i: Int) -> T { raw.loadUnaligned(fromByteOffset: size * i, as: T.self) }
        switch dtype {
        case .float:
            let buffer = FloatBuffer(capacity: n)
            if n > 0 { UnsafeMutableRawPointer(buffer.pointer).copyMemory(from: raw.baseAddress!, byteCount: 4 * n) }
            self.init(shape: shape, buffer: buffer)
        case .double: self.init(shape: shape, floats: (0..<n).map { Float(load(Double.self, 8, $0)) })
        case .float16: self.init(shape: shape, floats: (0..<n).map { Float(Float16(bitPattern: load(UInt16.self, 2, $0))) })
        case .bfloat16:
            self.init(shape: shape, floats: (0..<n).map { Float(bitPattern: UInt32(load(UInt16.self, 2, $0)) << 16) })
        case .int64: self.init(shape: shape, int64s: (0..<n).map { load(Int64.self, 8, $0) })
        case .int32: self.init(shape: shape, int64s: (0..<n).map { Int64(load(Int32.self, 4, $0)) })
        case .int16: self.init(shape: shape, int64s: (0..<n).map { Int64(load(Int16.self, 2, $0)) })
        case .int8: self.init(shape: shape, int64s: (0..<n).map { Int64(load(Int8.self, 1, $0)) })
        case .uint8: self.init(shape: shape, int64s: (0..<n).map { Int64(load(UInt8.self, 1, $0)) })
        case .uint16: self.init(shape: shape, int64s: (0..<n).map { Int64(load(UInt16.self, 2, $0)) })
        case .uint32: self.init(shape: shape, int64s: (0..<n).map { Int64(load(UInt32.self, 4, $0)) })
        case .uint64: self.init(shape: shape, int64s: (0..<n).map { Int64(bitPattern: load(UInt64.self, 8, $0)) })
        case .bool: self.init(shape: shape, bools: (0..<n).map { load(UInt8.self, 1, $0) != 0 })
        default:
            throw PareError(.unsupported, place: place, "the engine computes with float32, int64 and bool; \(dtype.name) is not supported")
        }
    }

    /// The engine kind an ONNX element type maps to, or nil for types the engine cannot hold.
    public static func kind(of dtype: DType) -> ElementKind? {
        switch dtype {
        case .float, .double, .float16, .bfloat16: .float32
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .uint64: .int64
        case .bool: .bool
        default: nil
        }
    }
}
