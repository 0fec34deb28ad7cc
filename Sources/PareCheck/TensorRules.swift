import PareCore
import PareIR

/// Tensor rules ONNX-T01..T08 in the order of onnx's `check_tensor`, plus ONNX-X12 (raw_data
/// longer than needed), X13 (sub-byte int32_data below the schema's packing), X14 (typed entries
/// outside their element range) and X24 (segment). External location, file and region rules
/// run in the external-data pass over every tensor of the model.
extension CheckContext {
    mutating func checkTensor(_ t: Tensor, at place: String) {
        guard let dt = t.dataType, dt != 0 else {
            report("ONNX-T01", .error, at: place, t.dataType == nil ? "the tensor has no data_type" : "the tensor's data_type is UNDEFINED",
                   hint: "set the element type")
            return
        }
        guard let typeName = GeneratedONNX.dataTypes[dt] else {
            report("ONNX-T01", .error, at: place, "data_type \(dt) is not a known ONNX element type",
                   hint: "Pare cannot size or convert it; use a standard element type")
            return
        }
        if t.segment != nil {
            report("ONNX-X24", .error, at: place, "the tensor sets 'segment' (a chunk of a larger tensor), which is not supported",
                   hint: "store the whole tensor in one TensorProto")
        }
        let raw = t.rawData.map(\.count) ?? 0
        var fields: [String] = []
        if !t.floatData.isEmpty { fields.append("float_data") }
        if !t.int32Data.isEmpty { fields.append("int32_data") }
        if !t.stringData.isEmpty { fields.append("string_data") }
        if !t.int64Data.isEmpty { fields.append("int64_data") }
        if raw > 0 { fields.append("raw_data") }
        if !t.doubleData.isEmpty { fields.append("double_data") }
        if !t.uint64Data.isEmpty { fields.append("uint64_data") }

        if t.dataLocation == 1 {
            if !fields.isEmpty {
                report("ONNX-T02", .error, at: place, "the tensor is stored externally but also has \(fields.joined(separator: ", "))",
                       hint: "drop the inline data or the external reference")
            }
            return
        }
        guard let n = Checked.elementCount(t.dims) else {
            report("ONNX-T04", .error, at: place, "dims \(t.dims) have a negative value or their product overflows",
                   hint: "every dim must be ≥ 0")
            return
        }
        if n == 0 && !fields.isEmpty {
            report("ONNX-T05", .error, at: place, "the tensor has 0 elements but contains data (\(fields.joined(separator: ", ")))",
                   hint: "drop the data or fix the dims")
        } else if n != 0 && fields.count != 1 {
            report("ONNX-T05", .error, at: place,
                   fields.isEmpty ? "the tensor has \(n) elements but no data"
                                  : "the tensor has several value fields (\(fields.joined(separator: ", ")))",
                   hint: "store the values in exactly one field")
        }
        if raw > 0 {
            checkRawData(t, dt: dt, typeName: typeName, n: n, at: place)
        } else if n != 0 && fields.count == 1 {
            checkTypedData(t, dt: dt, typeName: typeName, n: n, field: fields[0], at: place)
        }
    }

    /// Bits of one element for the fixed-width element types, keyed by data type number.
    static func elementBits(_ dt: Int32) -> Int64? {
        switch dt {
        case 2, 3, 9, 17, 18, 19, 20, 24: 8
        case 4, 5, 10, 16: 16
        case 1, 6, 12: 32
        case 7, 11, 13, 14: 64
        case 15: 128
        case 21, 22, 23: 4
        case 25, 26: 2
        case 27, 28: 6
        default: nil
        }
    }

    private mutating func checkRawData(_ t: Tensor, dt: Int32, typeName: String, n: Int64, at place: String) {
        guard dt != 8 else {
            report("ONNX-T06", .error, at: place, "STRING data is stored in raw_data", hint: "store strings in string_data")
            return
        }
        guard let bits = Self.elementBits(dt) else { return }
        guard let totalBits = Checked.multiply(n, bits) else {
            report("ONNX-T07", .error, at: place, "the shape is too large to validate against \(typeName)", hint: "fix the dims")
            return
        }
        let need = totalBits / 8 + (totalBits % 8 == 0 ? 0 : 1)
        let have = Int64(t.rawData?.count ?? 0)
        if have < need {
            report("ONNX-T07", .error, at: place, "raw_data holds \(have) bytes but \(n) \(typeName) elements need \(need)",
                   hint: "the data is truncated or the dims are wrong")
            return
        }
        if have > need {
            report("ONNX-X12", .warning, at: place, "raw_data holds \(have) bytes, \(have - need) more than \(n) \(typeName) elements need",
                   hint: "readers ignore the extra bytes; trim them")
        }
        // FLOAT6: onnx requires the unused high bits of the last packed byte to be zero.
        if bits == 6, totalBits % 8 != 0, need > 0, let data = t.rawData {
            let last = data.bytes[Int(need - 1)]
            if last & ~UInt8((1 << (totalBits % 8)) - 1) != 0 {
                report("ONNX-T07", .error, at: place, "the padding bits of the last packed \(typeName) byte are not zero",
                       hint: "clear the unused bits")
            }
        }
    }

    private mutating func checkTypedData(_ t: Tensor, dt: Int32, typeName: String, n: Int64, field: String, at place: String) {
        func wrongField(_ expected: String) -> Bool {
            guard field != expected else { return false }
            report("ONNX-T08", .error, at: place, "values of \(typeName) must be stored in \(expected), not \(field)",
                   hint: "move the values to \(expected) or raw_data")
            return true
        }
        func need(_ have: Int, _ required: Int64, _ fieldName: String) {
            if Int64(have) < required {
                report("ONNX-T08", .error, at: place, "\(fieldName) has \(have) entries but \(n) \(typeName) elements need \(required)",
                       hint: "the data is truncated or the dims are wrong")
            }
        }
        switch dt {
        case 1, 14:
            if !wrongField("float_data") { need(t.floatData.count, dt == 14 ? n &* 2 : n, "float_data") }
        case 11, 15:
            if !wrongField("double_data") { need(t.doubleData.count, dt == 15 ? n &* 2 : n, "double_data") }
        case 2, 3, 4, 5, 6, 9, 10, 16, 17, 18, 19, 20, 24, 27, 28:
            guard !wrongField("int32_data") else { return }
            need(t.int32Data.count, n, "int32_data")
            checkInt32Range(t.int32Data, dt: dt, typeName: typeName, at: place)
        case 21, 22, 23, 25, 26:
            guard !wrongField("int32_data") else { return }
            let perEntryReference: Int64 = dt >= 25 ? 16 : 8
            let perEntrySchema: Int64 = dt >= 25 ? 4 : 2
            let reference = (n + perEntryReference - 1) / perEntryReference
            let schema = (n + perEntrySchema - 1) / perEntrySchema
            let have = Int64(t.int32Data.count)
            if have < reference {
                need(t.int32Data.count, reference, "int32_data")
            } else if have < schema {
                report("ONNX-X13", .warning, at: place,
                       "int32_data has \(have) entries; onnx accepts that, but the schema packs \(perEntrySchema) \(typeName) elements per entry and needs \(schema)",
                       hint: "write sub-byte tensors to raw_data")
            }
        case 7:
            if !wrongField("int64_data") { need(t.int64Data.count, n, "int64_data") }
        case 12, 13:
            if !wrongField("uint64_data") { need(t.uint64Data.count, n, "uint64_data") }
        case 8:
            if !wrongField("string_data") { need(t.stringData.count, n, "string_data") }
        default:
            break
        }
    }

    /// ONNX-X14 for 8/16-bit integers and BOOL (an error in Pare: the value cannot be represented),
    /// and onnx's own FLOAT6 bit check (T08). Bit-pattern types accept zero- or sign-extended words.
    private mutating func checkInt32Range(_ values: [Int32], dt: Int32, typeName: String, at place: String) {
        let range: ClosedRange<Int32>? = switch dt {
        case 2: 0...255
        case 3: -128...127
        case 4: 0...65535
        case 5: -32768...32767
        case 9: 0...1
        case 10, 16: -32768...65535
        case 17, 18, 19, 20, 24: -128...255
        case 27, 28: 0...0x3F
        default: nil
        }
        guard let range, let k = values.firstIndex(where: { !range.contains($0) }) else { return }
        if dt == 27 || dt == 28 {
            report("ONNX-T08", .error, at: place, "int32_data entry \(k) (\(values[k])) uses bits beyond 0-5 of a \(typeName) element",
                   hint: "store each FLOAT6 element in the low 6 bits")
        } else {
            report("ONNX-X14", .error, at: place, "int32_data entry \(k) is \(values[k]), outside the range of \(typeName)",
                   hint: "store values within \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
