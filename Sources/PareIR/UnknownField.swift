/// A protobuf field the schema does not know, kept verbatim so that a read → write round trip
/// re-emits it unchanged (newer ONNX versions may add fields Pare has not heard of).
public struct UnknownField: Sendable, Equatable {
    public var fieldNumber: UInt32
    /// Protobuf wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    public var wireType: UInt8
    /// The field's payload as it appeared on the wire (for varints, the encoded varint bytes).
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
