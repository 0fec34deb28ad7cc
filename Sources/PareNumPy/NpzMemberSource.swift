internal import CZip
import PareCore

/// The bytes of one member — a `.npy` header followed by the tensor's own memory — served to
/// libzip on demand through a source callback.
final class MemberSource {
    let header: [UInt8]
    let data: TensorData
    private var position = 0
    private var error = zip_error_t()

    init(header: [UInt8], data: TensorData) {
        self.header = header
        self.data = data
        zip_error_init(&error)
    }

    deinit { zip_error_fini(&error) }

    var size: Int { header.count + data.count }

    /// libzip's source protocol for a readable source: open, read, close, stat, error, free.
    static func handle(_ box: UnsafeMutableRawPointer?, _ data: UnsafeMutableRawPointer?, _ length: UInt64,
                       _ command: zip_source_cmd_t) -> Int64 {
        guard let box else { return -1 }
        let me = Unmanaged<MemberSource>.fromOpaque(box).takeUnretainedValue()
        switch command {
        case ZIP_SOURCE_OPEN: me.position = 0; return 0
        case ZIP_SOURCE_READ:
            guard let data else { return -1 }
            return Int64(me.read(into: UnsafeMutableRawBufferPointer(start: data, count: Int(min(length, UInt64(Int.max))))))
        case ZIP_SOURCE_CLOSE: return 0
        case ZIP_SOURCE_STAT:
            guard let data, length >= UInt64(MemoryLayout<zip_stat_t>.size) else { return -1 }
            let st = data.assumingMemoryBound(to: zip_stat_t.self)
            zip_stat_init(st)
            st.pointee.size = UInt64(me.size)
            st.pointee.valid |= UInt64(ZIP_STAT_SIZE)
            return Int64(MemoryLayout<zip_stat_t>.size)
        case ZIP_SOURCE_ERROR:
            guard let data else { return -1 }
            return zip_error_to_data(&me.error, data, length)
        case ZIP_SOURCE_FREE:
            Unmanaged<MemberSource>.fromOpaque(box).release()
            return 0
        case ZIP_SOURCE_SUPPORTS:
            // ZIP_SOURCE_SUPPORTS_READABLE: one bit per command above, by its enum value.
            let commands = [ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE]
            return commands.reduce(Int64(0)) { $0 | (1 << Int64($1.rawValue)) }
        default:
            zip_error_set(&me.error, ZIP_ER_OPNOTSUPP, 0)
            return -1
        }
    }

    /// Copies the next bytes of header-then-data into `out`; 0 at the end.
    private func read(into out: UnsafeMutableRawBufferPointer) -> Int {
        var done = 0
        if position < header.count {
            let n = min(out.count, header.count - position)
            header.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            done = n
        }
        let offset = position - header.count
        let n = min(out.count - done, data.count - offset)
        if n > 0 {
            (out.baseAddress! + done).copyMemory(from: data.bytes.baseAddress! + offset, byteCount: n)
            position += n
            done += n
        }
        return done
    }
}
