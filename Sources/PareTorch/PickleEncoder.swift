/// Emits protocol-2 pickle opcodes, with the integer and tuple encodings `torch.save` itself uses
/// (spec §5.11). Globals are memoised on first use and fetched back with BINGET, as PyTorch's
/// pickler does, which keeps a state_dict of thousands of tensors small.
struct PickleEncoder {
    private(set) var bytes: [UInt8] = [0x80, 0x02]
    private var globals: [String: UInt32] = [:]
    private var nextMemo: UInt32 = 0

    mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let i = globals[key] {
            get(i)
            return
        }
        bytes.append(0x63)  // GLOBAL
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
        globals[key] = put()
    }

    /// Memoises the top of the stack, answering its index.
    @discardableResult
    mutating func put() -> UInt32 {
        let i = nextMemo
        nextMemo += 1
        if i < 256 { bytes += [0x71, UInt8(i)] } else { bytes += [0x72] + le32(i) }  // BINPUT / LONG_BINPUT
        return i
    }

    mutating func get(_ i: UInt32) {
        if i < 256 { bytes += [0x68, UInt8(i)] } else { bytes += [0x6A] + le32(i) }  // BINGET / LONG_BINGET
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        bytes += [0x58] + le32(UInt32(utf8.count)) + utf8  // BINUNICODE
    }

    mutating func int(_ v: Int64) {
        switch v {
        case 0...0xFF: bytes += [0x4B, UInt8(v)]                               // BININT1
        case 0x100...0xFFFF: bytes += [0x4D] + le16(UInt16(v))                 // BININT2
        case Int64(Int32.min)...Int64(Int32.max): bytes += [0x4A] + le32(UInt32(bitPattern: Int32(v)))  // BININT
        default:
            // LONG1: the shortest little-endian two's complement that keeps the sign.
            var b = le64(UInt64(bitPattern: v))
            while b.count > 1, (b[b.count - 1] == 0x00 && b[b.count - 2] & 0x80 == 0)
                || (b[b.count - 1] == 0xFF && b[b.count - 2] & 0x80 != 0) { b.removeLast() }
            bytes += [0x8A, UInt8(b.count)] + b
        }
    }

    mutating func ints(_ values: [Int64]) {
        tuple(values.count) { e in for v in values { e.int(v) } }
    }

    /// A tuple of `count` items emitted by `items`: EMPTY_TUPLE, TUPLE1…3, or MARK … TUPLE.
    mutating func tuple(_ count: Int, _ items: (inout PickleEncoder) -> Void) {
        if count > 3 { mark() }
        items(&self)
        switch count {
        case 0: bytes.append(0x29)                        // EMPTY_TUPLE
        case 1...3: bytes.append(0x85 + UInt8(count - 1))  // TUPLE1…TUPLE3
        default: bytes.append(0x74)                        // TUPLE
        }
    }

    mutating func mark() { bytes.append(0x28) }
    mutating func op(_ opcode: PickleOpcode) { bytes.append(opcode.rawValue) }
}
