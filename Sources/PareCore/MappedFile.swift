#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Pages are loaded on first touch, so mapping a
/// 500 MB model costs nothing until its bytes are read; slices of it back tensors without copies.
public final class MappedFile: @unchecked Sendable {
    // Safety: the mapping is read-only and unmapped only in deinit, when no view can remain
    // (every view holds a strong reference to this object).
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// Kept open for the mapping's lifetime so writers can copy regions file-to-file in the kernel
    /// (`copy_file_range`) — by descriptor, never by path, which may name a new file by then.
    public let descriptor: Int32

    /// Maps `path`. Regular files only: a directory, FIFO or device is refused, so a hostile name
    /// like /dev/zero cannot make Pare read forever.
    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever; it
        // changes nothing for the regular files that are all this accepts.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw PareError(.io, file: path, Self.errnoText(), hint: "check the path and its permissions") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw PareError(.io, file: path, Self.errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw PareError(.unreadable, file: path, "not a regular file", hint: "name an ordinary file, not a folder, device or pipe")
        }
        descriptor = fd
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            close(fd)
            throw PareError(.io, file: path, "cannot map file: \(Self.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(descriptor)
    }

    /// The file offset of `pointer` when it lies inside this mapping.
    public func offset(of pointer: UnsafeRawPointer) -> Int? {
        guard let base = bytes.baseAddress, pointer >= base, pointer < base + bytes.count else { return nil }
        return pointer - base
    }

    public var count: Int { bytes.count }

    /// A zero-copy view of `range` that keeps this mapping alive.
    public func data(_ range: Range<Int>) -> TensorData {
        TensorData(view: UnsafeRawBufferPointer(rebasing: bytes[range]), owner: self)
    }

    public static func errnoText() -> String { String(cString: strerror(errno)) }
}
