internal import COnnxProto
internal import CProtobufC
import PareCore
import PareIR

extension ONNXReader {
    /// Reads a file holding one serialized `TensorProto` (the layout of onnx's backend test data:
    /// `input_0.pb`, `output_0.pb`). A TensorProto nests no messages of its own type, so protobuf-c
    /// decodes it directly with bounded depth.
    public static func readTensor(path: String) throws -> Tensor {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count < maxInlineSize else {
            throw PareError(.unreadable, file: path, "the file is \(bytes.count) bytes; a protobuf message must be under 2 GiB")
        }
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let proto = onnx__tensor_proto__unpack(nil, bytes.count, base) else {
            throw PareError(.unreadable, file: path, "not a serialized ONNX TensorProto",
                            hint: "pass a .npy file or a TensorProto .pb file")
        }
        defer { onnx__tensor_proto__free_unpacked(proto, nil) }
        return ProtoDecoder(lifted: []).tensor(proto)
    }
}
