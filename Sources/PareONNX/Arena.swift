internal import CProtobufC
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns every C allocation made while encoding one model for protobuf-c; frees them together.
/// Large tensor payloads are not copied into it: the encoded structs point at the IR's bytes.
final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []
    /// Messages unpacked by protobuf-c (carried opaque messages), freed by protobuf-c.
    private var adopted: [UnsafeMutableRawPointer] = []

    deinit {
        for b in blocks { free(b) }
        for m in adopted { protobuf_c_message_free_unpacked(m.assumingMemoryBound(to: ProtobufCMessage.self), nil) }
    }

    /// Takes ownership of a message protobuf-c unpacked.
    func adopt(_ message: UnsafeMutableRawPointer) { adopted.append(message) }

    /// A zeroed C struct initialised by protobuf-c's `*_init` function.
    func message<T>(_ type: T.Type, _ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let p = calloc(1, MemoryLayout<T>.stride)!
        blocks.append(p)
        let typed = p.bindMemory(to: T.self, capacity: 1)
        initialise(typed)
        return typed
    }

    func array<T>(_ count: Int, of: T.Type) -> UnsafeMutablePointer<T>? {
        guard count > 0 else { return nil }
        let p = calloc(count, MemoryLayout<T>.stride)!
        blocks.append(p)
        return p.bindMemory(to: T.self, capacity: count)
    }

    func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard let p = array(values.count, of: T.self) else { return nil }
        for (i, v) in values.enumerated() { (p + i).initialize(to: v) }
        return p
    }

    func string(_ s: String?) -> UnsafeMutablePointer<CChar>? {
        guard let s else { return nil }
        let utf8 = Array(s.utf8)
        let p = array(utf8.count + 1, of: CChar.self)!
        for (i, b) in utf8.enumerated() { p[i] = CChar(bitPattern: b) }
        p[utf8.count] = 0
        return p
    }

    func strings(_ list: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        copy(list.map { string($0) })
    }

    func bytes(_ b: [UInt8]) -> (len: Int, data: UnsafeMutablePointer<UInt8>?) {
        (b.count, copy(b))
    }
}

