internal import CZip
import PareCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `.npz` archives that `numpy.load` reads back unchanged: one `name.npy` member per
/// tensor, each byte-identical to what `numpy.save` writes (formats.md §6.4).
///
/// libzip builds the archive, pulling each member's bytes through a streaming source straight
/// from the tensor's memory, so the weights are never copied. It writes into a temporary file in
/// the destination folder; that file is flushed to disk and renamed over the destination only
/// when complete, so a failure leaves the destination as it was.
public enum NpzWriter {
    public enum Compression: Sendable {
        /// Method 0, NumPy's `savez`: members can be mapped in place by readers that want to.
        case stored
        /// Method 8, NumPy's `savez_compressed`.
        case deflated
    }

    /// Fixed member time stamp (2000-01-01), so that equal inputs give equal archives.
    static let timestamp = 946_684_800

    public static func write(_ set: WeightSet, to path: String, compression: Compression = .stored) throws {
        var members: [(name: String, source: MemberSource)] = []
        var names = Set<String>()
        for t in set.tensors {
            try checkName(t.name, path: path)
            guard names.insert(t.name).inserted else {
                throw PareError(.invalid, file: path, place: "tensor \"\(t.name)\"", "two tensors share this name (rule ZIP-10)")
            }
            members.append((t.name + ".npy", MemberSource(header: try NpyWriter.header(for: t, path: path), data: t.data)))
        }
        if members.isEmpty {
            // libzip deletes an archive left without entries; NumPy writes a bare end record.
            try writeFileAtomically(path, [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18))
            return
        }
        let streamed = try AtomicFileWriter.kind(of: path) == .stream
        let (temporary, slot) = try temporaryFile(for: path, streamed: streamed)
        defer { InterruptCleanup.forget(slot) }
        do {
            try build(members, at: temporary, path: path, compression: compression)
            if streamed {
                try copy(temporary, into: path)
                unlink(temporary)
            } else {
                try publish(temporary, as: path)
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Member names must be safe and unambiguous for every reader (the ZIP-09 rules).
    static func checkName(_ name: String, path: String) throws {
        let bad = name.isEmpty || name.hasPrefix("/") || name.contains("\\") || name.utf8.contains(0)
            || name.split(separator: "/", omittingEmptySubsequences: false).contains("..")
        if bad {
            throw PareError(.invalid, file: path, place: "tensor \"\(name)\"",
                            "the name cannot be an archive member name: empty, absolute, or with '..', a backslash or NUL (rule ZIP-09)",
                            hint: "rename the tensor")
        }
    }

    private static func build(_ members: [(name: String, source: MemberSource)], at temporary: String, path: String,
                              compression: Compression) throws {
        var code: Int32 = 0
        guard let archive = zip_open(temporary, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw PareError(.io, file: path, "libzip cannot create the archive (libzip error \(code))")
        }
        func failure(_ what: String) -> PareError {
            PareError(.io, file: path, "\(what): \(String(cString: zip_strerror(archive)))", hint: "check free disk space")
        }
        for (name, member) in members {
            let box = Unmanaged.passRetained(member).toOpaque()
            guard let source = zip_source_function_create({ box, data, length, command in
                MemberSource.handle(box, data, length, command)
            }, box, nil) else {
                Unmanaged<MemberSource>.fromOpaque(box).release()
                zip_discard(archive)
                throw PareError(.io, file: path, "libzip cannot create a member source")
            }
            let index = zip_file_add(archive, name, source, ZIP_FL_ENC_UTF_8)
            guard index >= 0 else {
                zip_source_free(source)  // releases the box through ZIP_SOURCE_FREE
                let error = failure("cannot add member \(name)")
                zip_discard(archive)
                throw error
            }
            let method = compression == .stored ? ZIP_CM_STORE : ZIP_CM_DEFLATE
            guard zip_set_file_compression(archive, UInt64(index), method, 0) == 0,
                  zip_file_set_mtime(archive, UInt64(index), time_t(timestamp), 0) == 0 else {
                let error = failure("cannot configure member \(name)")
                zip_discard(archive)
                throw error
            }
        }
        guard zip_close(archive) == 0 else {
            let error = failure("writing the archive failed")
            zip_discard(archive)
            throw error
        }
    }

    /// An empty file in the destination's folder, created exclusively (mkstemp), so that the
    /// final rename stays within one file system and cannot be redirected by a planted symlink.
    /// A device or pipe destination (`-o /dev/null`) cannot be renamed over: the archive is then
    /// built in the system's temporary folder and copied into it.
    /// Tracked by `InterruptCleanup` until the returned slot is forgotten.
    private static func temporaryFile(for path: String, streamed: Bool) throws -> (path: String, slot: Int32) {
        let folder = streamed ? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") : AtomicFileWriter.folder(of: path)
        let made = InterruptCleanup.makeTemporary("\(folder)/.\(AtomicFileWriter.baseName(of: path)).pare-XXXXXX")
        guard made.fd >= 0 else {
            throw PareError(.io, file: path, "cannot create a temporary file in \(folder): \(MappedFile.errnoText())",
                            hint: "check that the folder exists and is writable")
        }
        close(made.fd)
        return (made.path, made.slot)
    }

    /// Makes the finished temporary file durable, then moves it over the destination.
    private static func publish(_ temporary: String, as path: String) throws {
        chmod(temporary, 0o644)
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw PareError(.io, file: path, "cannot flush the archive to disk: \(MappedFile.errnoText())")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw PareError(.io, file: path, "cannot move the finished archive into place: \(MappedFile.errnoText())")
        }
        let dir = open(AtomicFileWriter.folder(of: path), O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Streams the finished archive into a device or pipe.
    private static func copy(_ temporary: String, into path: String) throws {
        let archive = try MappedFile(path: temporary)
        let out = try AtomicFileWriter(destination: path)
        try withExtendedLifetime(archive) { try out.write(archive.bytes) }
        try out.commit()
    }
}
