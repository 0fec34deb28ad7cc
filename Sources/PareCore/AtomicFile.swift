internal import CPareSys
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: the bytes go to a temporary file in the destination's folder, which is
/// flushed to disk and renamed over the destination only when everything succeeded. A failure or a
/// crash part-way leaves the destination untouched (and removes the temporary file where it can).
///
/// Writing is streamed through a fixed buffer, so writing a model never needs a second in-memory
/// copy of it.
///
/// A destination that already exists as a character device or a pipe (`-o /dev/null`, a FIFO a
/// reader is waiting on) cannot be replaced by renaming: that would swap the device or pipe for a
/// regular file (as root, /dev/null itself). Such a destination is written straight through
/// instead; atomicity means nothing there. Block devices and sockets are refused.
public final class AtomicFileWriter {
    /// How a destination path can be written.
    public enum DestinationKind: Equatable, Sendable {
        /// A regular file, or nothing yet: written atomically through a temporary file.
        case file
        /// An existing character device or pipe: written straight through.
        case stream
    }

    public let destination: String
    /// Empty when writing straight through to a device or pipe.
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var finished = false
    /// The temporary file's slot in `InterruptCleanup` (-1 when not tracked).
    private var cleanupSlot: Int32 = -1
    /// Bytes written so far (including buffered ones).
    public private(set) var offset: Int64 = 0
    /// Bytes handed to the kernel so far, and how far writeback has been started.
    private var flushed: Int64 = 0
    private var writebackStarted: Int64 = 0
    /// Writeback is started every this many bytes, so the disk works while Pare is still copying
    /// and the final fsync waits only for the tail.
    private static let writebackChunk: Int64 = 8 << 20

    public init(destination: String, bufferSize: Int = 1 << 20) throws {
        self.destination = destination
        if try Self.kind(of: destination) == .stream {
            // O_NONBLOCK for the open only: a pipe nobody reads would otherwise block it forever.
            let fd = open(destination, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else {
                let reason = errno == ENXIO ? "no process is reading this pipe" : MappedFile.errnoText()
                throw PareError(.io, file: destination, "cannot open for writing: \(reason)")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            self.fd = fd
            self.temporaryPath = ""
            self.buffer = .allocate(byteCount: bufferSize, alignment: 64)
            return
        }
        let folder = Self.folder(of: destination)
        let made = InterruptCleanup.makeTemporary("\(folder)/.\(Self.baseName(of: destination)).pare-XXXXXX")
        guard made.fd >= 0 else {
            throw PareError(.io, file: destination, "cannot create a temporary file in \(folder): \(MappedFile.errnoText())",
                            hint: "check that the folder exists and is writable")
        }
        self.fd = made.fd
        self.temporaryPath = made.path
        self.buffer = .allocate(byteCount: bufferSize, alignment: 64)
        cleanupSlot = made.slot
    }

    deinit {
        buffer.deallocate()
        if !finished { abandon() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        offset += Int64(bytes.count)
        if bytes.count >= buffer.count {
            try flushBuffer()
            try writeAll(bytes)
            return
        }
        if used + bytes.count > buffer.count { try flushBuffer() }
        UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + bytes.count)]).copyMemory(from: bytes)
        used += bytes.count
    }

    /// Writes a tensor's bytes. A large view into a mapped file is copied file-to-file by the
    /// kernel (`copy_file_range`, what `cp` uses): no page faults on the source mapping and no copy
    /// through user memory. Anything else, or a file system that refuses, goes through `write`.
    public func write(_ data: TensorData) throws {
        guard data.count >= 1 << 16, let (file, start) = data.fileRegion else {
            try write(data.bytes)
            return
        }
        try flushBuffer()
        var sourceOffset = Int64(start)
        var remaining = data.count
        while remaining > 0 {
            let n = pare_copy_file_range(file.descriptor, &sourceOffset, fd, remaining)
            if n > 0 {
                remaining -= n
                flushed += Int64(n)
                startWriteback()
                continue
            }
            if n < 0 && errno == EINTR { continue }
            // EXDEV, ENOSYS, EINVAL (or a 0 return): fall back to a plain write of what is left.
            try writeAll(UnsafeRawBufferPointer(rebasing: data.bytes[(data.count - remaining)...]))
            remaining = 0
        }
        offset += Int64(data.count)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Pads with zero bytes until `offset` is a multiple of `alignment`.
    public func pad(toMultipleOf alignment: Int64) throws {
        let rem = offset % alignment
        if rem != 0 { try write([UInt8](repeating: 0, count: Int(alignment - rem))) }
    }

    /// Flushes, fsyncs and renames the temporary file over the destination.
    public func commit() throws {
        try flushBuffer()
        if temporaryPath.isEmpty {
            close(fd)
            fd = -1
            finished = true
            return
        }
        guard fsync(fd) == 0 else { let e = MappedFile.errnoText(); abandon(); throw PareError(.io, file: destination, "fsync failed: \(e)") }
        fchmod(fd, 0o644)
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            let e = MappedFile.errnoText()
            unlink(temporaryPath)
            InterruptCleanup.forget(cleanupSlot)
            finished = true
            throw PareError(.io, file: destination, "cannot move the finished file into place: \(e)")
        }
        InterruptCleanup.forget(cleanupSlot)
        finished = true
        // Make the rename itself durable.
        let dfd = open(Self.folder(of: destination), O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Drops the temporary file; the destination is left as it was.
    public func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        if !temporaryPath.isEmpty { unlink(temporaryPath) }
        InterruptCleanup.forget(cleanupSlot)
        cleanupSlot = -1
        finished = true
    }

    /// How `path` would be written; throws for a block device or a socket, which no command
    /// should write a model over.
    public static func kind(of path: String) throws -> DestinationKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .file }
        switch info.st_mode & S_IFMT {
        case S_IFCHR, S_IFIFO: return .stream
        case S_IFBLK: throw PareError(.usage, file: path, "is a block device, not a file", hint: "name a file to write")
        case S_IFSOCK: throw PareError(.usage, file: path, "is a socket, not a file", hint: "name a file to write")
        default: return .file
        }
    }

    private func flushBuffer() throws {
        guard used > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        used = 0
    }

    /// Starts (does not wait for) writeback of everything handed to the kernel since last time.
    private func startWriteback() {
        guard flushed - writebackStarted >= Self.writebackChunk else { return }
        _ = pare_start_writeback(fd, writebackStarted, flushed - writebackStarted)
        writebackStarted = flushed
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        defer { flushed += Int64(bytes.count); startWriteback() }
        var rest = bytes
        while rest.count > 0 {
            let n = Glibc_write(fd, rest.baseAddress!, rest.count)
            if n < 0 {
                if errno == EINTR { continue }
                let e = MappedFile.errnoText()
                abandon()
                throw PareError(.io, file: destination, "write failed: \(e)", hint: "check free disk space")
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    /// Throws unless `path` could be written later: not an existing folder, and in a folder that
    /// exists and is writable. For commands that work for a long time before they write (a
    /// training run), so a typo in the output path fails at once rather than after the work.
    /// `example` is a file name the hint suggests when `path` is a folder.
    public static func checkDestination(_ path: String, example: String = "model.onnx") throws {
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw PareError(.usage, file: path, "is a folder, not a file", hint: "name the file to write, e.g. \(path)/\(example)")
        }
        if try kind(of: path) == .stream { return }
        let folder = Self.folder(of: path)
        guard stat(folder, &info) == 0 else {
            throw PareError(.io, file: path, "cannot write here: \(folder): \(MappedFile.errnoText())", hint: "create the folder first")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PareError(.io, file: path, "cannot write here: \(folder) is not a folder")
        }
        guard access(folder, W_OK) == 0 else {
            throw PareError(.io, file: path, "cannot write here: \(folder) is not writable (\(MappedFile.errnoText()))")
        }
    }

    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let f = String(path[..<slash])
        return f.isEmpty ? "/" : f
    }

    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// The libc `write`, named apart from the writer's own method.
@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// Writes `bytes` to `path` atomically.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let w = try AtomicFileWriter(destination: path)
    try w.write(bytes)
    try w.commit()
}
