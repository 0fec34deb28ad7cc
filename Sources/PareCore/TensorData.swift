/// Immutable bytes of a tensor, either owned by Pare or viewed inside memory that some owner
/// keeps alive (a memory-mapped file, a decoded protobuf message). Copying a `TensorData` value
/// never copies the bytes.
public final class TensorData: @unchecked Sendable {
    // Safety of @unchecked Sendable: the bytes are never mutated after creation, and `owner` keeps
    // the memory alive for as long as this object exists.
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?
    private let ownsAllocation: Bool

    /// A view into memory kept alive by `owner`.
    public init(view: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = view
        self.owner = owner
        self.ownsAllocation = false
    }

    /// When these bytes are a view into a mapped file: that file and the view's offset in it, so a
    /// writer can copy them file-to-file in the kernel instead of through memory.
    public var fileRegion: (file: MappedFile, offset: Int)? {
        guard let file = mappedFile, let base = bytes.baseAddress, let offset = file.offset(of: base),
              offset + bytes.count <= file.count else { return nil }
        return (file, offset)
    }

    /// The mapped file at the end of the owner chain (a view of a view of a mapping counts too).
    private var mappedFile: MappedFile? {
        if let file = owner as? MappedFile { return file }
        return (owner as? TensorData)?.mappedFile
    }

    /// Owned bytes, copied from `source`.
    public init<C: Collection>(copying source: C) where C.Element == UInt8 {
        let count = source.count
        let mem = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        _ = mem.initializeMemory(as: UInt8.self, from: source)
        self.bytes = UnsafeRawBufferPointer(rebasing: mem[0..<count])
        self.owner = nil
        self.ownsAllocation = true
    }

    /// Owned bytes filled by `fill`, which receives a buffer of exactly `count` bytes.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let mem = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let slice = UnsafeMutableRawBufferPointer(rebasing: mem[0..<count])
        do { try fill(slice) } catch { mem.deallocate(); throw error }
        self.bytes = UnsafeRawBufferPointer(slice)
        self.owner = nil
        self.ownsAllocation = true
    }

    deinit {
        if ownsAllocation, let base = bytes.baseAddress {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    public var count: Int { bytes.count }

    /// Tells the kernel this tensor's pages are no longer needed in memory, after a streaming
    /// writer has copied them out: a view into a mapped file then stops counting towards resident
    /// memory, so converting a 500 MB checkpoint keeps about one tensor resident, not the file.
    /// Non-destructive (MADV_PAGEOUT reclaims clean file pages; the bytes stay readable and are
    /// paged back in on the next access). Only whole pages inside the tensor are touched.
    public func releaseResidentPages() {
        #if os(Linux)
        guard !ownsAllocation, let base = bytes.baseAddress, bytes.count >= 2 * 4096 else { return }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, Int(end - start), 21 /* MADV_PAGEOUT */)
        #endif
    }

    public var array: [UInt8] { Array(bytes) }

    public static func == (a: TensorData, b: TensorData) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.bytes.baseAddress!, b.bytes.baseAddress!, a.count) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
