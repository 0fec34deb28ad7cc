/// A protobuf field the schema does not know, kept verbatim so that a read → write round trip
/// re-emits it unchanged (newer ONNX versions may add fields Pare has not heard of).
public struct UnknownField: Sendable, Equatable {
    public var fieldNumber: UInt32
    /// Protobuf wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    public var wireType: UInt8
    /// Every byte after the field's tag, as on the wire: the encoded varint (wire type 0), the 8 or
    /// 4 fixed bytes (1, 5), or the length prefix followed by the payload (2).
    public var payload: [UInt8]

    public init(fieldNumber: UInt32, wireType: UInt8, payload: [UInt8]) {
        self.fieldNumber = fieldNumber
        self.wireType = wireType
        self.payload = payload
    }
}

/// A key/value pair (`StringStringEntryProto`): metadata, external-data entries, bindings.
public struct StringPair: Sendable, Equatable {
    public var key: String?
    public var value: String?
    public var unknownFields: [UnknownField] = []

    public init(key: String?, value: String?) {
        self.key = key
        self.value = value
    }
}

/// A message Pare carries but does not interpret (multi-device configuration, quantization
/// annotations): its serialized bytes, written back unchanged.
public struct OpaqueMessage: Sendable, Equatable {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
}
